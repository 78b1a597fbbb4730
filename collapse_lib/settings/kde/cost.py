"""How long a KDE run takes (the estimate printed before long runs; see
:func:`collapse_lib.validation.check_duration`).

Scoring dominates: about 8.5 ns per (test point, training point) pair at every scored
generation, plus about 55 microseconds per seed and generation for the rest, measured with
``benchmarks/bench_cost.py`` on the 2-core machine the book is built on (good to a factor of
about 2). Kept out of :mod:`.model`, so that recalibrating it stales no stored result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import evaluation_generations

PAIR = 8.5e-9
STEP = 55e-6


def seconds(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    """Seconds ``n_seeds`` chains of ``n_generations`` take in one process."""
    n, m, T = params["n"], params["n_test"], n_generations
    scored = np.flatnonzero(evaluation_generations(T, params["eval_points"])) + 1  # generations scored
    if workflow == "accumulate" and not isinstance(params["h"], str):
        pairs = 1.3 * T * m * n  # a fixed bandwidth scores each generation's new points once
    elif workflow == "accumulate":
        pairs = float(m * n * scored.sum())  # a rule bandwidth changes: the whole pool, every time
    else:
        pairs = float(m * n * len(scored))
    return n_seeds * (PAIR * pairs + STEP * T)
