"""Closed forms of the discrete setting: Wright-Fisher fixation (chapter *Discrete distributions*).

:func:`wright_fisher_diversity` and :func:`expected_observed_outcomes` are exact;
:func:`wright_fisher_exact_fixation_time` solves the Markov chain exactly for small n and
K; :func:`wright_fisher_fixation_time` is the diffusion (large-n) approximation.
:func:`expected` is what the registry calls; :func:`fixation_time` picks the exact
solution where the chain is small enough, else the approximation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np
from scipy.special import gammaln

__all__ = ["expected", "fixation_time", "EXACT_STATES", "wright_fisher_fixation_time",
           "wright_fisher_exact_fixation_time", "wright_fisher_diversity", "expected_observed_outcomes"]

#: The largest Markov chain (count vectors) :func:`fixation_time` solves exactly.
EXACT_STATES = 200_000


def wright_fisher_fixation_time(n: int, k: int) -> float:
    """Expected generations until one of K equally frequent outcomes remains (diffusion limit).

    -2 n sum_i (1 - p_i) ln(1 - p_i) with p_i = 1/K, i.e. -2 n K (1 - 1/K) ln(1 - 1/K)
    (about 1.9 n for K = 10): the K-allele Wright-Fisher result for a population of n
    (Ewens 2004). A large-n approximation: at n = 10 it overestimates the exact mean by
    about 10% (see :func:`wright_fisher_exact_fixation_time`).
    """
    if k < 1 or n < 1:
        raise ValueError(f"need n >= 1 and k >= 1; got n={n}, k={k}")
    if k == 1:
        return 0.0
    p = 1.0 / k
    return -2.0 * n * k * (1.0 - p) * math.log(1.0 - p)


def wright_fisher_diversity(t: np.ndarray | int, n: int) -> np.ndarray:
    """Replace: E simpson_diversity_t = (1 - 1/n)^t, exactly.

    Given the fit p, the chance that two of the next n draws differ has expectation
    (1 - 1/n)(1 - sum p_i^2); t = 1 is the first draw from the uniform truth.
    """
    return (1.0 - 1.0 / n) ** np.asarray(t, dtype=float)


def expected_observed_outcomes(n: int, k: int) -> float:
    """E number of the K equally likely outcomes that n real draws contain: K (1 - (1 - 1/K)^n).

    Under Accumulate exactly these outcomes survive at every generation.
    """
    return k * (1.0 - (1.0 - 1.0 / k) ** n)


def _compositions(n: int, m: int) -> np.ndarray:
    """All vectors of m non-negative integers summing to n, (C(n + m - 1, m - 1), m)."""
    if m == 1:
        return np.array([[n]])
    bars = np.array(list(combinations(range(n + m - 1), m - 1)))
    edges = np.concatenate([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), n + m - 1)], axis=1)
    return np.diff(edges, axis=1) - 1


def wright_fisher_exact_fixation_time(n: int, k: int, max_states: int = 500_000) -> float:
    """Exact expected generation at which one outcome remains, for small n and K.

    The generation count of :func:`collapse_lib.settings.discrete.replace_fixation_times`: the
    first draw of n from the uniform truth is generation 1. Solves the Markov chain of
    sorted outcome counts (partitions of n into at most K parts) exactly; the number of
    count vectors C(n + K - 1, K - 1) must stay below ``max_states`` (n = 10, K = 10 is
    92,378).
    """
    if k < 2 or n < 1:
        raise ValueError(f"need n >= 1 and k >= 2; got n={n}, k={k}")
    if math.comb(n + k - 1, k - 1) > max_states:
        raise ValueError(f"n={n}, k={k} has {math.comb(n + k - 1, k - 1)} count vectors "
                         f"(> max_states={max_states}); use wright_fisher_fixation_time")
    comps = {m: _compositions(n, m) for m in range(1, k + 1)}
    # states: partitions of n into at most k parts, padded with zeros to length k
    full = -np.sort(-comps[k], axis=1)
    states = np.unique(full, axis=0)
    index = {tuple(s): i for i, s in enumerate(states)}

    def state_of(rows: np.ndarray) -> np.ndarray:
        padded = np.zeros((len(rows), k), dtype=np.int64)
        padded[:, :rows.shape[1]] = -np.sort(-rows, axis=1)
        return np.array([index[tuple(r)] for r in padded])

    targets = {m: state_of(comps[m]) for m in comps}
    log_coef = {m: gammaln(n + 1) - gammaln(comps[m] + 1).sum(axis=1) for m in comps}

    def step_distribution(p: np.ndarray) -> np.ndarray:
        p = p[p > 0]
        m = len(p)
        logp = log_coef[m] + (comps[m] * np.log(p)).sum(axis=1)
        return np.bincount(targets[m], weights=np.exp(logp), minlength=len(states))

    transient = np.flatnonzero((states > 0).sum(axis=1) >= 2)
    q = np.array([step_distribution(states[i] / n)[transient] for i in transient])
    tau = np.linalg.solve(np.eye(len(transient)) - q, np.ones(len(transient)))
    start = step_distribution(np.full(k, 1.0 / k))[transient]
    return float(1.0 + start @ tau)


def fixation_time(n: int, k: int) -> tuple[float, bool]:
    """(expected generation at which one outcome remains, whether it is exact): the exact
    Markov-chain solution while it has at most :data:`EXACT_STATES` count vectors, else the
    diffusion approximation."""
    if math.comb(n + k - 1, k - 1) <= EXACT_STATES:
        return wright_fisher_exact_fixation_time(n, k, max_states=EXACT_STATES), True
    return wright_fisher_fixation_time(n, k), False


def expected(metric: str, workflow: str, t: np.ndarray | int, params: Mapping[str, Any]) -> np.ndarray | None:
    """Replace: E simpson_diversity_t; Accumulate: E n_surviving (constant in t)."""
    t_arr = np.asarray(t)
    if metric == "simpson_diversity" and workflow == "replace":
        return wright_fisher_diversity(t_arr, int(params["n"]))
    if metric == "n_surviving" and workflow == "accumulate":
        return np.full(t_arr.shape, expected_observed_outcomes(int(params["n"]), int(params["k"])))
    return None
