"""Closed forms drawn over the simulations (chapters *Multivariate Gaussians* and later).

All functions take the generation ``t`` (1-based; t = 1 is the fit on the real data) as a
scalar or an array and return the expected value of the metric of the same name.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import digamma

__all__ = [
    "PI2_OVER_6",
    "gaussian_replace_mean_sq_error",
    "gaussian_replace_trace_ratio",
    "gaussian_replace_logdet_ratio",
    "gaussian_accumulate_mean_sq_error",
    "gaussian_accumulate_mean_sq_error_exact",
    "gaussian_accumulate_trace_ratio",
    "gaussian_accumulate_bound",
    "basel_partial_sum",
]

#: The limit of sum_{k>=1} 1/k^2: Accumulate's error stays below this multiple of the first fit's.
PI2_OVER_6 = math.pi ** 2 / 6


def basel_partial_sum(t: np.ndarray | int) -> np.ndarray:
    """sum_{k=1..t} 1/k^2 for each t (t >= 1)."""
    t_arr = np.asarray(t, dtype=np.int64)
    table = np.cumsum(1.0 / np.arange(1, int(t_arr.max()) + 1) ** 2)
    return table[t_arr - 1]


def gaussian_replace_mean_sq_error(t: np.ndarray | int, d: int, n: int, sigma2: float = 1.0) -> np.ndarray:
    """Replace: E||mu_t - mu_0||^2 = d sigma2 (1 - r^t), r = (n - 1)/n.

    Exact for the MLE covariance: each generation adds tr(Sigma_{t-1})/n, and the trace
    shrinks by r per generation, so the error saturates at d sigma2 instead of growing
    linearly (t d sigma2 / n holds only while t << n).
    """
    r = (n - 1) / n
    return d * sigma2 * (1.0 - r ** np.asarray(t, dtype=float))


def gaussian_replace_trace_ratio(t: np.ndarray | int, n: int) -> np.ndarray:
    """Replace: E tr(Sigma_t) / tr(Sigma_0) = r^t, r = (n - 1)/n."""
    return ((n - 1) / n) ** np.asarray(t, dtype=float)


def gaussian_replace_logdet_ratio(t: np.ndarray | int, d: int, n: int) -> np.ndarray:
    """Replace: E log det(Sigma_t / Sigma_0) = t sum_{i=1..d} [psi((n-i)/2) + log 2 - log n].

    Needs n > d (otherwise the determinant is zero from t = 1); each term is negative, so
    the determinant goes to zero geometrically.
    """
    if n <= d:
        raise ValueError(f"the log-determinant drift needs n > d; got n={n}, d={d}")
    i = np.arange(1, d + 1)
    per_generation = float(np.sum(digamma((n - i) / 2) + math.log(2) - math.log(n)))
    return per_generation * np.asarray(t, dtype=float)


def gaussian_accumulate_mean_sq_error(t: np.ndarray | int, d: int, n: int, sigma2: float = 1.0) -> np.ndarray:
    """Accumulate, the Basel approximation: E||mu_t - mu_0||^2 ~ (d sigma2 / n) sum_{k=1..t} 1/k^2
    (Dey & Donoho 2024).

    It treats every fitted covariance as the truth, so it overstates the error a little
    (the MLE covariances shrink); :func:`gaussian_accumulate_mean_sq_error_exact` is the
    exact expectation. Bounded by :func:`gaussian_accumulate_bound`.
    """
    return d * sigma2 / n * basel_partial_sum(t)


def gaussian_accumulate_trace_ratio(t: np.ndarray | int, n: int) -> np.ndarray:
    """Accumulate: E tr(Sigma_t) / tr(Sigma_0) = prod_{k=1..t} (1 - 1/(n k^2)), exactly.

    Sigma_t is the MLE covariance of the pool of t n points. Adding the (t+1)-th batch of n
    points drawn from N(mu_t, Sigma_t) adds their scatter, (n - 1) Sigma_t in expectation,
    plus t/(t+1) Sigma_t for the move of the pooled mean; dividing by the (t+1) n points
    gives E[Sigma_{t+1} | Sigma_t] = (1 - 1/(n (t+1)^2)) Sigma_t, and the first fit is
    (1 - 1/n) Sigma_0. The product converges (to sin(pi a)/(pi a), a = n^{-1/2}): the
    covariance shrinks by a bounded factor only, about 0.84 for n = 10.
    """
    t_arr = np.asarray(t, dtype=np.int64)
    k = np.arange(1, int(t_arr.max()) + 1, dtype=float)
    return np.cumprod(1.0 - 1.0 / (n * k * k))[t_arr - 1]


def gaussian_accumulate_mean_sq_error_exact(t: np.ndarray | int, d: int, n: int, sigma2: float = 1.0
                                            ) -> np.ndarray:
    """Accumulate: E||mu_t - mu_0||^2 = (d sigma2 / n) sum_{k=1..t} s_{k-1} / k^2, exactly,
    with s_0 = 1 and s_k = :func:`gaussian_accumulate_trace_ratio` (k).

    The pooled mean moves by 1/k of the k-th batch's error, whose covariance is
    Sigma_{k-1} / n; the errors are uncorrelated, so their traces add. Since s_k < 1 the
    error stays below the Basel approximation :func:`gaussian_accumulate_mean_sq_error`
    and so below (pi^2/6) d sigma2 / n; the gap is largest for small n (at n = 10 the limit
    is about 1.56 times the first fit's error instead of 1.64) and vanishes as n grows.
    """
    t_arr = np.asarray(t, dtype=np.int64)
    top = int(t_arr.max())
    k = np.arange(1, top + 1, dtype=float)
    shrink = np.concatenate([[1.0], np.cumprod(1.0 - 1.0 / (n * k * k))[:-1]])  # s_{k-1}
    return d * sigma2 / n * np.cumsum(shrink / (k * k))[t_arr - 1]


def gaussian_accumulate_bound(d: int, n: int, sigma2: float = 1.0) -> float:
    """(pi^2 / 6) d sigma2 / n: the ceiling of Accumulate's mean error."""
    return PI2_OVER_6 * d * sigma2 / n


# --- Linear regression on a fixed design (chapter *Linear regression*) -----------
# w* ~ N(0, I_d), design X (n x d) with N(0, 1) entries, OLS by pseudo-inverse, each
# generation relabels the same design. "test_mse" is the error on noiseless test points
# x ~ N(0, I_d), so its expectation is the excess risk E||w_t - w*||^2. With P = pinv(X) and
# Pi = P X, the error after t generations is -(I - Pi) w* + sigma sum_k c_k P eps_k, with
# c_k = 1 (Replace) or 1/k (Accumulate); averaging over w* and X gives the forms below.

def linreg_variance_factor(d: int, n: int) -> float:
    """E tr(pinv(X)^T pinv(X)) for X (n x d) with N(0, 1) entries: the noise gain of OLS.

    d/(n - d - 1) for n >= d + 2 (inverse-Wishart mean), n/(d - n - 1) for n <= d - 2
    (minimum-norm interpolation), and infinite for n in {d - 1, d, d + 1}, where the
    smallest singular value of X is too often near zero for the mean to exist.
    """
    if n >= d + 2:
        return d / (n - d - 1)
    if n <= d - 2:
        return n / (d - n - 1)
    return math.inf


def linreg_bias(d: int, n: int) -> float:
    """E||(I - Pi) w*||^2 = max(d - n, 0): the part of w* outside the design's row space.

    Zero when n >= d; for n < d no generation can learn it, under any workflow.
    """
    return float(max(d - n, 0))


def linreg_replace_test_mse(t: np.ndarray | int, d: int, n: int, sigma2: float = 1.0) -> np.ndarray:
    """Replace: E test_mse_t = t sigma2 d / (n - d - 1) for n >= d + 2 (Gerstgrasser et al. 2024).

    The noise of every generation adds up on the same design, so the error grows linearly
    without bound. Beyond the paper: for n <= d - 2 it is (d - n) + t sigma2 n / (d - n - 1)
    (see :func:`linreg_variance_factor`); for n in {d - 1, d, d + 1} the mean is infinite.
    """
    t_arr = np.asarray(t, dtype=float)
    v = linreg_variance_factor(d, n)
    return linreg_bias(d, n) + t_arr * sigma2 * v if math.isfinite(v) else np.full_like(t_arr, math.inf)


def linreg_accumulate_test_mse(t: np.ndarray | int, d: int, n: int, sigma2: float = 1.0) -> np.ndarray:
    """Accumulate: E test_mse_t = sigma2 d / (n - d - 1) sum_{k=1..t} 1/k^2 for n >= d + 2.

    Exact (not an approximation): the fit on t stacked copies of the design averages the t
    label vectors, so the error after t generations is e_{t-1} + P eps_t / t. Bounded by
    :func:`linreg_accumulate_bound`. For n <= d - 2 the bias d - n is added and the noise
    gain is n / (d - n - 1); infinite for n in {d - 1, d, d + 1}.
    """
    t_arr = np.asarray(t)
    v = linreg_variance_factor(d, n)
    if not math.isfinite(v):
        return np.full(t_arr.shape, math.inf)
    return linreg_bias(d, n) + sigma2 * v * basel_partial_sum(t_arr)


def linreg_accumulate_bound(d: int, n: int, sigma2: float = 1.0) -> float:
    """(pi^2 / 6) sigma2 d / (n - d - 1) (plus the bias d - n when n <= d - 2): Accumulate's ceiling."""
    return linreg_bias(d, n) + PI2_OVER_6 * sigma2 * linreg_variance_factor(d, n)


def linreg_expected_test_mse(workflow: str, t: np.ndarray | int, d: int, n: int,
                             sigma2: float = 1.0) -> np.ndarray | None:
    """The closed form of E test_mse_t for ``workflow``, or None where none is known.

    Replace and Accumulate as above; Accumulate-Subsample has no closed form (None). The
    result is None as well where the expectation is infinite (n in {d - 1, d, d + 1}), so a
    plot simply draws no theory curve there.
    """
    if workflow == "accumulate-subsample" or not math.isfinite(linreg_variance_factor(d, n)):
        return None
    fn = linreg_replace_test_mse if workflow == "replace" else linreg_accumulate_test_mse
    return fn(t, d, n, sigma2)


# --- Discrete distributions: Wright-Fisher fixation (chapter *Discrete distributions*) ----

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
    from itertools import combinations

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
    from scipy.special import gammaln

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


__all__ += [
    "linreg_variance_factor",
    "linreg_bias",
    "linreg_replace_test_mse",
    "linreg_accumulate_test_mse",
    "linreg_accumulate_bound",
    "linreg_expected_test_mse",
    "wright_fisher_fixation_time",
    "wright_fisher_exact_fixation_time",
    "wright_fisher_diversity",
    "expected_observed_outcomes",
]


# --- kernel density estimation (chapter *Kernel density estimation*) -----------------------

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


__all__ += ["kde_replace_spread", "kde_accumulate_spread"]


# --- one entry point: the closed form of a setting's metric, per workflow -------------------

def expected(setting: str, metric: str, workflow: str, t: np.ndarray | int, **params: float) -> np.ndarray | None:
    """E[metric_t] for ``workflow`` in ``setting`` where a closed form is known, else None.

    ``params`` are the setting's parameters (extra ones are ignored). Known forms:
    gaussian ``mean_sq_error`` and ``cov_trace_ratio`` (Replace and Accumulate, exact),
    ``cov_logdet_ratio`` and ``cov_det_ratio`` (Replace,
    n > d; the determinant as exp of the expected log, i.e. a geometric mean);
    linear_regression ``test_mse`` and ``param_error`` (Replace, Accumulate);
    discrete ``simpson_diversity`` (Replace) and ``n_surviving`` (Accumulate).
    Accumulate-Subsample has no closed form anywhere (None).
    """
    t_arr = np.asarray(t)
    p = params
    if setting == "gaussian":
        d, n, s2 = int(p["d"]), int(p["n"]), float(p.get("sigma2", 1.0))
        if metric == "mean_sq_error":
            if workflow == "replace":
                return gaussian_replace_mean_sq_error(t_arr, d, n, s2)
            if workflow == "accumulate":
                return gaussian_accumulate_mean_sq_error_exact(t_arr, d, n, s2)
        if metric == "cov_trace_ratio":
            if workflow == "replace":
                return gaussian_replace_trace_ratio(t_arr, n)
            if workflow == "accumulate":
                return gaussian_accumulate_trace_ratio(t_arr, n)
        if workflow == "replace" and metric in ("cov_logdet_ratio", "cov_det_ratio") and n > d:
            logdet = gaussian_replace_logdet_ratio(t_arr, d, n)
            return logdet if metric == "cov_logdet_ratio" else np.exp(logdet)
        return None
    if setting == "linear_regression" and metric in ("test_mse", "param_error"):
        return linreg_expected_test_mse(workflow, t_arr, int(p["d"]), int(p["n"]), float(p.get("sigma2", 1.0)))
    if setting == "discrete":
        if metric == "simpson_diversity" and workflow == "replace":
            return wright_fisher_diversity(t_arr, int(p["n"]))
        if metric == "n_surviving" and workflow == "accumulate":
            return np.full(t_arr.shape, expected_observed_outcomes(int(p["n"]), int(p["k"])))
    return None


__all__ += ["expected"]
