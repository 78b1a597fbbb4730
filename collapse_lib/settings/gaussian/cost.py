"""How long a Gaussian run takes (the estimate printed before long runs; see
:func:`collapse_lib.validation.check_duration`).

Microseconds per seed and generation of the fast path in one process, measured with
``benchmarks/bench_cost.py`` on the 2-core machine the book is built on (d up to 100, n up to
1000; good to a factor of about 2). Kept out of :mod:`.model`, so that recalibrating it
stales no stored result.
"""

from __future__ import annotations

from typing import Any


def seconds(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    """Seconds ``n_seeds`` chains of ``n_generations`` take in one process."""
    d, n = params["d"], params["n"]
    if workflow == "replace":
        micro = 5.0 + 0.013 * d * d
    elif workflow == "accumulate":
        micro = 8.0 + 0.3 * d + 0.021 * d * d
    else:  # Accumulate-Subsample draws the points a subsample picks
        micro = 70.0 + 0.075 * n + 0.0095 * n * d + 0.013 * d * d
    return 1e-6 * (PER_GENERATION.get(workflow, 0.0) + micro * n_seeds) * n_generations


#: Microseconds of each generation's batched step whatever the number of seeds (what one seed
#: pays alone; measured here: Accumulate, d = 1, one seed, 10^5 generations, 7.97 s).
PER_GENERATION = {"replace": 20.0, "accumulate": 70.0}
