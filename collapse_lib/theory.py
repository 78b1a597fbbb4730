"""Theory shared by every setting, and the one entry point to a setting's closed forms.

Each setting keeps its closed forms in its own folder (``collapse_lib/settings/<name>/theory.py``);
:func:`expected` reaches them through the registry. Here only what they share: the Basel
sum, whose limit pi^2/6 bounds Accumulate's error wherever errors add with weights 1/k.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import part

__all__ = ["PI2_OVER_6", "basel_partial_sum", "expected"]

#: The limit of sum_{k>=1} 1/k^2: Accumulate's error stays below this multiple of the first fit's.
PI2_OVER_6 = math.pi ** 2 / 6


def basel_partial_sum(t: np.ndarray | int) -> np.ndarray:
    """sum_{k=1..t} 1/k^2 for each t (t >= 1)."""
    t_arr = np.asarray(t, dtype=np.int64)
    table = np.cumsum(1.0 / np.arange(1, int(t_arr.max()) + 1) ** 2)
    return table[t_arr - 1]


def expected(setting: str, metric: str, workflow: str, t: np.ndarray | int, **params: float) -> np.ndarray | None:
    """E[metric_t] for ``workflow`` in ``setting`` where a closed form is known, else None: the
    ``expected(metric, workflow, t, params)`` of the setting's theory module, found through
    the registry (a setting without one has no closed form). Extra ``params`` are ignored."""
    module = part(setting, "theory")
    if module is None:
        return None
    return module.expected(metric, workflow, t, params)
