"""Closed forms of the KDE setting: the spread of the training points (chapter *Kernel
density estimation*). Both are exact expectations of the spread given the first fit's; the
test NLL itself has no closed form (:func:`expected` returns None for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["expected", "kde_replace_spread", "kde_accumulate_spread"]


def kde_replace_spread(t: np.ndarray | int, n: int, h: float, spread1: float, d: int = 1) -> np.ndarray:
    """KDE, Replace: E[spread_t | spread_1] = r^(t-1) spread_1 + d (n-1) h^2 (1 - r^(t-1)).

    ``spread`` is the mean squared distance of the n training points to their centroid and
    r = (n - 1)/n. Sampling from a Gaussian KDE adds d h^2 of variance to its points'
    spread; drawing n of them keeps the fraction r (the MLE variance of n points). While
    t << n this is spread_1 + (t - 1) d h^2: the density diffuses linearly, by h^2 per
    generation and coordinate, until it saturates at d (n - 1) h^2 after ~n generations.
    """
    r = (n - 1) / n
    decay = r ** (np.asarray(t, dtype=float) - 1.0)
    return decay * spread1 + d * (n - 1) * h * h * (1.0 - decay)


def kde_accumulate_spread(t: np.ndarray | int, n: int, h: float, spread1: float, d: int = 1) -> np.ndarray:
    """KDE, Accumulate: E[spread_t | spread_1] from the exact recursion (fixed bandwidth h).

    With V_t the spread of all t n points so far, the n new points have mean squared
    distance V_t + d h^2 to the pool's centroid and move it, which gives
    E V_{t+1} = V_t + d h^2 / (t + 1) - (V_t + d h^2) / (n (t + 1)^2):
    about spread_1 + d h^2 log t, a logarithmic instead of a linear drift.
    """
    t_arr = np.asarray(t, dtype=np.int64)
    top = int(t_arr.max())
    values = np.empty(top)
    v = float(spread1)
    for i in range(top):  # values[i] = E V_{i+1}
        values[i] = v
        s = i + 2  # the generation being formed
        v = v + d * h * h / s - (v + d * h * h) / (n * s * s)
    return values[t_arr - 1]


def expected(metric: str, workflow: str, t: np.ndarray | int, params: Mapping[str, Any]) -> np.ndarray | None:
    """No closed form of a KDE metric without the first fit's spread (see the functions above)."""
    return None
