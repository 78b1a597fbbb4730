"""Discrete distributions (chapter *Discrete distributions*).

Truth: the uniform distribution on K outcomes (parameter ``k``). Each generation fits the
empirical frequencies of its training data and draws ``n`` outcomes from the fit. Under
Replace this is the Wright-Fisher model of population genetics with K alleles: an outcome
that is not drawn once has probability zero forever after, and the chain ends with a single
outcome (fixation). Under Accumulate the real data stay in the training pool, so every
outcome the real sample contains keeps a positive frequency at every generation.

Metrics of the fitted model p_t: ``normalised_entropy`` = H(p_t) / log K (1 for the
uniform truth, 0 once one outcome remains), ``n_surviving`` = number of outcomes with
p_t > 0, ``tv_distance`` = total variation distance from the uniform truth, and
``simpson_diversity`` = (1 - sum_i p_t(i)^2) / (1 - 1/K), the chance that two draws differ
(population geneticists' heterozygosity) relative to the truth's: under Replace its
expectation is exactly (1 - 1/n)^t.

Two implementations with one meaning:

* :class:`DiscreteTask` runs through the generic loop :func:`~collapse_lib.workflows.run_chain`
  with the individual outcomes (the reference, also used for the options beyond the paper);
* :func:`run_batched`, the fast path used by :func:`~collapse_lib.simulate.simulate`, keeps only
  counts: a sample of n is a multinomial draw, and a subsample of n from the pool without
  replacement is a multivariate hypergeometric draw. Replace and Accumulate draw the same
  random numbers as the generic loop (the task also samples through a multinomial draw), so
  the two agree exactly for a seed; Accumulate-Subsample agrees in distribution.

:func:`replace_fixation_times` runs Replace chains until one outcome remains (or a cap),
for the fixation-time distribution.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...setting import Param, Setting
from ...validation import ParameterError, check_int, check_seeds
from ...workflows import check_workflow, seed_rngs

__all__ = ["DiscreteTask", "distribution_metrics", "run_batched", "fixation_generation",
           "replace_fixation_times", "SETTING", "METRICS"]

METRICS = ("normalised_entropy", "n_surviving", "tv_distance", "simpson_diversity")

def distribution_metrics(freqs: np.ndarray) -> dict[str, np.ndarray]:
    """The metrics of fitted distributions ``freqs`` (..., K), each of shape ``freqs.shape[:-1]``."""
    freqs = np.asarray(freqs, dtype=float)
    k = freqs.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(freqs > 0, freqs * np.log(np.where(freqs > 0, freqs, 1.0)), 0.0)
    return {
        "normalised_entropy": -plogp.sum(axis=-1) / math.log(k),
        "n_surviving": (freqs > 0).sum(axis=-1),
        "tv_distance": 0.5 * np.abs(freqs - 1.0 / k).sum(axis=-1),
        "simpson_diversity": (1.0 - (freqs ** 2).sum(axis=-1)) / (1.0 - 1.0 / k),
    }


def _draw(counts: np.ndarray) -> np.ndarray:
    """Outcome labels with the given counts (sorted; the order carries no information)."""
    return np.repeat(np.arange(counts.shape[0]), counts)


class DiscreteTask:
    """The discrete setting for the generic loop: data are arrays of outcome labels 0..K-1."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.uniform = np.full(k, 1.0 / k)

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _draw(rng.multinomial(n, self.uniform))

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return np.bincount(data, minlength=self.k) / data.shape[0]

    def sample(self, model: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return _draw(rng.multinomial(n, model))

    def evaluate(self, model: np.ndarray) -> dict[str, float]:
        return {m: float(v) for m, v in distribution_metrics(model).items()}


def _chain_counts(workflow: str, n_generations: int, k: int, n: int, seed: int) -> np.ndarray:
    """One chain's training counts per generation, (T, K); the fit at t is row t / its sum."""
    rng_real, rng = seed_rngs(seed)
    uniform = np.full(k, 1.0 / k)
    real = rng_real.multinomial(n, uniform)
    out = np.empty((n_generations, k), dtype=np.int64)
    if workflow == "replace":
        counts = real
        for t in range(n_generations):
            out[t] = counts
            if t < n_generations - 1:
                counts = rng.multinomial(n, counts / n)
    elif workflow == "accumulate":
        pool = real.copy()
        for t in range(n_generations):
            out[t] = pool
            if t < n_generations - 1:
                pool = pool + rng.multinomial(n, pool / ((t + 1) * n))
    else:  # accumulate-subsample
        pool = real.copy()
        for t in range(n_generations):
            counts = rng.multivariate_hypergeometric(pool, n)
            out[t] = counts
            if t < n_generations - 1:
                pool = pool + rng.multinomial(n, counts / n)
    return out


def run_batched(workflow: str, n_generations: int, seeds: list[int], k: int,
                n: int) -> dict[str, np.ndarray]:
    """All seeds of one (workflow, k, n) cell, through counts; see the module docstring."""
    check_workflow(workflow)
    out = {m: np.empty((len(seeds), n_generations)) for m in METRICS}
    for i, seed in enumerate(seeds):
        counts = _chain_counts(workflow, n_generations, k, n, seed)
        freqs = counts / counts.sum(axis=1, keepdims=True)
        for m, v in distribution_metrics(freqs).items():
            out[m][i] = v
    return out


def fixation_generation(n_surviving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First generation (1-based) at which one outcome remains, per row of (S, T) counts.

    Returns ``(generation, censored)``: ``generation`` is NaN where one outcome never
    remained within the T generations (``censored`` True): the fixation time is then only
    known to exceed T.
    """
    n_surviving = np.atleast_2d(np.asarray(n_surviving))
    hit = n_surviving <= 1
    censored = ~hit.any(axis=1)
    generation = np.where(censored, np.nan, hit.argmax(axis=1) + 1.0)
    return generation, censored


def replace_fixation_times(n: int, k: int, seeds: Any, max_generations: int) -> pd.DataFrame:
    """Replace chains run until one outcome remains: one row per seed (chapter *Discrete*).

    Columns ``seed``, ``n``, ``k``, ``fixation_generation`` (the first generation t whose fit
    has a single outcome; t = 1 is the fit on the real sample, so the count includes that
    first draw from the uniform truth) and ``censored`` (no fixation within
    ``max_generations``; the time is then NaN and only known to exceed the cap). Draws the
    same random numbers as ``simulate("discrete", "replace", ...)``, so the times equal
    :func:`fixation_generation` of its ``n_surviving`` for the same seeds.
    """
    n = check_int("n", n, minimum=1)
    k = check_int("k", k, minimum=2)
    max_generations = check_int("max_generations", max_generations, minimum=1)
    seed_list = check_seeds(seeds)
    uniform = np.full(k, 1.0 / k)
    times = np.full(len(seed_list), np.nan)
    for i, seed in enumerate(seed_list):
        rng_real, rng = seed_rngs(seed)
        counts = rng_real.multinomial(n, uniform)
        for t in range(1, max_generations + 1):
            if np.count_nonzero(counts) == 1:
                times[i] = t
                break
            if t < max_generations:
                counts = rng.multinomial(n, counts / n)
    return pd.DataFrame({"seed": np.asarray(seed_list, dtype=np.int64), "n": n, "k": k,
                         "fixation_generation": times, "censored": np.isnan(times),
                         "max_generations": max_generations})


#: Largest pool Accumulate-Subsample can subsample from: numpy's multivariate hypergeometric
#: draw needs the total count below 10^9.
MAX_POOL = 10**9 - 1


def _check_run(workflow: str, n_generations: int, params: dict[str, Any]) -> None:
    if workflow == "accumulate-subsample" and params["n"] * n_generations > MAX_POOL:
        raise ParameterError(
            f"Accumulate-Subsample pools n x n_generations = {params['n'] * n_generations} outcomes; "
            "numpy's hypergeometric subsample needs fewer than 10^9: lower parameter 'n' or "
            "'n_generations'")


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    return run_batched(workflow, n_generations, seeds, params["k"], params["n"])


def _memory(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    return 8.0 * (3 * n_generations * params["k"] + 4 * n_seeds * n_generations * len(METRICS))


SETTING = Setting(
    name="discrete",
    params={
        "k": Param(lambda name, v: check_int(name, v, minimum=2), 10, "number of outcomes K, int >= 2"),
        "n": Param(lambda name, v: check_int(name, v, minimum=1), 100, "samples per generation, int >= 1"),
    },
    metrics=METRICS,
    task=lambda p: DiscreteTask(p["k"]),
    fast=_fast,
    fast_exact=False,  # Replace and Accumulate draw the loop's numbers; Accumulate-Subsample does not
    validate_run=_check_run,
    memory=_memory,
    doc="Discrete distribution on K outcomes: empirical frequencies refit each generation.",
    extra={"example": {"k": 5, "n": 15}, "exact_workflows": ("replace", "accumulate")},
)
