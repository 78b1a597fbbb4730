"""Closed forms of the Gaussian setting (chapter *Multivariate Gaussians*), drawn over its runs.

Every function takes the generation ``t`` (1-based; t = 1 is the fit on the real data) as
a scalar or an array. Which are exact and which approximations is said in each docstring:

* exact expectations: :func:`gaussian_replace_mean_sq_error`, :func:`gaussian_replace_trace_ratio`,
  :func:`gaussian_replace_logdet_ratio` (E log det), :func:`gaussian_replace_det_ratio`
  (E det, the arithmetic mean), :func:`gaussian_accumulate_trace_ratio`,
  :func:`gaussian_accumulate_mean_sq_error_exact`;
* approximations: :func:`gaussian_accumulate_mean_sq_error` (the Basel sum of Dey & Donoho,
  an upper bound) and :func:`subsample_heuristic` (Accumulate-Subsample; this book's back of
  an envelope, with its measured error in the chapter *Accumulate-Subsample*).

:func:`expected` is what the registry calls (:func:`collapse_lib.theory.expected`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import digamma

from ...theory import PI2_OVER_6, basel_partial_sum
from ...validation import ParameterError, check_int

__all__ = ["expected", "gaussian_replace_mean_sq_error", "gaussian_replace_trace_ratio",
           "gaussian_replace_logdet_ratio", "gaussian_replace_det_ratio", "gaussian_accumulate_mean_sq_error",
           "gaussian_accumulate_mean_sq_error_exact", "gaussian_accumulate_trace_ratio", "gaussian_accumulate_bound",
           "accumulate_limit_over_first", "subsample_heuristic", "SUBSAMPLE_HEURISTIC_LIMIT"]

#: Limit of :func:`subsample_heuristic` for large n and t: pi^2/2 - 2.
SUBSAMPLE_HEURISTIC_LIMIT = math.pi ** 2 / 2 - 2


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


def gaussian_replace_det_ratio(t: np.ndarray | int, d: int, n: int) -> np.ndarray:
    """Replace: E det(Sigma_t) / det(Sigma_0) = [prod_{i=1..d} (1 - i/n)]^t, exactly.

    n Sigma_1 is Wishart(n - 1, Sigma_0) and E det of a Wishart(m, I) is m (m - 1) ... (m - d + 1);
    each generation's fit is an independent such draw around the previous one, so the
    expectations multiply. This is the *arithmetic* mean over seeds; the typical seed is far
    smaller, exp(E log det) = :func:`gaussian_replace_logdet_ratio` (a geometric mean): at
    d = 10, n = 100, t = 100 the two are 1.7e-25 and 4.1e-30. Zero for n <= d.
    """
    t_arr = np.asarray(t, dtype=float)
    if n <= d:
        return np.zeros_like(t_arr)
    per_generation = float(np.prod(1.0 - np.arange(1, d + 1) / n))
    return per_generation ** t_arr


def gaussian_accumulate_bound(d: int, n: int, sigma2: float = 1.0) -> float:
    """(pi^2 / 6) d sigma2 / n: the ceiling of Accumulate's mean error."""
    return PI2_OVER_6 * d * sigma2 / n


def accumulate_limit_over_first(n: int, t: int = 100_000) -> float:
    """Accumulate's exact mean error in units of the first fit's, d sigma2 / n, as t grows:
    sum_k s_{k-1} / k^2 (see :func:`gaussian_accumulate_mean_sq_error_exact`), below
    pi^2/6 by the shrinking of the covariance (about 1.56 at n = 10, 1.64 at n = 1000)."""
    return float(gaussian_accumulate_mean_sq_error_exact(t, 1, n)) * n


def subsample_heuristic(t: int | np.ndarray, n: int) -> np.ndarray:
    """Approximate Accumulate-Subsample mean error of the Gaussian, in units of d sigma2 / n.

    A back-of-envelope recursion (this book's, not the paper's; no theorem): pretend every
    fitted covariance equals the truth. The fit at generation t is the mean of n points drawn
    without replacement from the pool of t n points, so it is the pool mean P_t plus a
    subsampling error of variance s_t = (t n - n) / (t n - 1) (units of d sigma2 / n); the
    next batch adds its sampling error (variance 1) on top of that, and enters the pool mean
    with weight 1 / (t + 1):

        p_1 = 1,  p_{t+1} = p_t + (s_t + 1) / (t + 1)^2,  error_t ~ p_t + s_t,

    whose limit for large n and t is pi^2/2 - 2 ~ 2.93 (:data:`SUBSAMPLE_HEURISTIC_LIMIT`).
    An approximation, not an exact expectation: it ignores the shrinking of the fitted
    covariance (the MLE's factor (n - 1)/n) and the correlation between a subsample and
    the pool it is drawn from. Its error is measured against the runs in the chapter
    *Accumulate-Subsample* (largest at small n).
    """
    n = check_int("n", n, minimum=2)
    t_arr = np.asarray(t, dtype=np.int64)
    if t_arr.size and t_arr.min() < 1:
        raise ParameterError("generations t start at 1")
    T = int(t_arr.max()) if t_arr.size else 1
    out = np.empty(T)
    p = 1.0
    for k in range(1, T + 1):
        s = (k * n - n) / (k * n - 1)
        out[k - 1] = p + s
        p += (s + 1.0) / (k + 1) ** 2
    return out[t_arr - 1]


def expected(metric: str, workflow: str, t: np.ndarray | int, params: Mapping[str, Any]) -> np.ndarray | None:
    """E[metric_t] for ``workflow`` where an exact closed form is known, else None.

    ``mean_sq_error`` and ``cov_trace_ratio`` (Replace and Accumulate); ``cov_det_ratio``
    (Replace: the arithmetic mean, :func:`gaussian_replace_det_ratio`) and
    ``cov_logdet_ratio`` (Replace, n > d). Accumulate-Subsample has none (its heuristic is
    an approximation, drawn by its chapter, never used as "theory").
    """
    d, n, s2 = int(params["d"]), int(params["n"]), float(params.get("sigma2", 1.0))
    t_arr = np.asarray(t)
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
    if workflow == "replace" and n > d:
        if metric == "cov_logdet_ratio":
            return gaussian_replace_logdet_ratio(t_arr, d, n)
        if metric == "cov_det_ratio":
            return gaussian_replace_det_ratio(t_arr, d, n)
    return None
