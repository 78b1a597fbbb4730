"""How long a discrete-distribution run takes (the estimate printed before long runs; see
:func:`collapse_lib.validation.check_duration`).

Microseconds per seed and generation in one process (the chains keep counts, so the cost
grows with K, not n), measured with ``benchmarks/bench_cost.py`` on the 2-core machine the
book is built on (good to a factor of about 2). Kept out of :mod:`.model`, so that
recalibrating it stales no stored result.
"""

from __future__ import annotations

from typing import Any


def seconds(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    """Seconds ``n_seeds`` chains of ``n_generations`` take in one process."""
    k = params["k"]
    micro = {"replace": 4.5 + 0.04 * k, "accumulate": 6.0 + 0.045 * k}.get(workflow, 20.0 + 0.2 * k)
    return 1e-6 * (PER_GENERATION + micro * n_seeds) * n_generations


#: Microseconds of each generation's batched step whatever the number of seeds (what one seed
#: pays alone; measured here: Replace and Accumulate, one seed, 2 x 10^4 generations).
PER_GENERATION = 6.0
