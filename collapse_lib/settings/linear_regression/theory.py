"""Closed forms of the linear-regression setting (chapter *Linear regression*).

w* ~ N(0, I_d), design X (n x d) with N(0, 1) entries, OLS by pseudo-inverse, each
generation relabels the same design. "test_mse" is the error on noiseless test points
x ~ N(0, I_d), so its expectation is the excess risk E||w_t - w*||^2. With P = pinv(X) and
Pi = P X, the error after t generations is -(I - Pi) w* + sigma sum_k c_k P eps_k, with
c_k = 1 (Replace) or 1/k (Accumulate); averaging over w* and X gives the exact forms below.
:func:`expected` is what the registry calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...theory import PI2_OVER_6, basel_partial_sum

__all__ = ["expected", "linreg_variance_factor", "linreg_bias", "linreg_replace_test_mse",
           "linreg_accumulate_test_mse", "linreg_accumulate_bound", "linreg_expected_test_mse"]


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


def expected(metric: str, workflow: str, t: np.ndarray | int, params: Mapping[str, Any]) -> np.ndarray | None:
    """E[test_mse_t] (and E[param_error_t], the same expectation) where a closed form is known."""
    if metric not in ("test_mse", "param_error"):
        return None
    return linreg_expected_test_mse(workflow, np.asarray(t), int(params["d"]), int(params["n"]),
                                    float(params.get("sigma2", 1.0)))
