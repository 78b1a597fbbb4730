"""Multivariate Gaussian estimation (chapter *Multivariate Gaussians*).

Truth N(0, sigma2 I_d). Each generation fits the sample mean and the MLE covariance
(divide by the number of points, as the authors do) and draws ``n`` points from the fit.

Two implementations with one meaning:

* :class:`GaussianTask` runs through the generic loop :func:`~collapse_lib.workflows.run_chain`,
  point by point, exactly as the paper's loop is written (the reference, also used for the
  options beyond the paper);
* :func:`run_batched` is the fast path used by :func:`~collapse_lib.simulate.simulate`: all seeds at
  once, and the synthetic points enter only through their sufficient statistics. The mean
  of ``n`` draws from N(mu, F F^T) is mu + F z / sqrt(n), and their scatter matrix is
  F A A^T F^T with A the Bartlett factor of a Wishart(I, n - 1) matrix, independent of the
  mean. That is exact in distribution and costs O(d^2) random numbers per generation
  instead of O(n d). Accumulate keeps running sums; Accumulate-Subsample keeps the points,
  because a subsample reuses them.

When n <= d every fit is singular, and it stays singular under every workflow: each
synthetic point lies in the affine span of the real points. The fast path then works in
that (n - 1)-dimensional span, exactly; the log-determinant metrics are undefined there and
are reported as missing, with the flag column ``singular``.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..setting import Param, Setting
from ..validation import ParameterError, check_float, check_int
from ..workflows import run_chain, seed_rngs

__all__ = ["METRICS", "SETTING", "GaussianFit", "GaussianNLLTask", "GaussianTask", "SingularCovarianceWarning",
           "fitted_path", "run_batched"]

METRICS = ("mean_sq_error", "cov_trace_ratio", "cov_logdet_ratio", "cov_det_ratio")


class SingularCovarianceWarning(UserWarning):
    """n <= d: the fitted covariance is singular, so its determinant metrics are undefined."""


class GaussianFit:
    """A fitted Gaussian: mean ``mu`` (d,) and MLE covariance ``cov`` (d, d)."""

    def __init__(self, mu: np.ndarray, cov: np.ndarray) -> None:
        self.mu = mu
        self.cov = cov


def psd_factor(cov: np.ndarray) -> np.ndarray:
    """A matrix F with F F^T = cov (Cholesky, or a symmetric square root if singular)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))


class GaussianTask:
    """The Gaussian setting for the generic loop (one seed, the actual points)."""

    def __init__(self, d: int, sigma2: float = 1.0) -> None:
        self.d = d
        self.sigma2 = sigma2
        self.singular_rule: int | None = None

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return math.sqrt(self.sigma2) * rng.standard_normal((n, self.d))

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> GaussianFit:
        mu = data.mean(axis=0)
        centred = data - mu
        return GaussianFit(mu, centred.T @ centred / data.shape[0])

    def sample(self, model: GaussianFit, n: int, rng: np.random.Generator) -> np.ndarray:
        return model.mu + rng.standard_normal((n, self.d)) @ psd_factor(model.cov).T

    def evaluate(self, model: GaussianFit) -> dict[str, float]:
        sign, logdet = np.linalg.slogdet(model.cov)
        logdet_ratio = logdet - self.d * math.log(self.sigma2) if sign > 0 else float("nan")
        return {
            "mean_sq_error": float(model.mu @ model.mu),
            "cov_trace_ratio": float(np.trace(model.cov) / (self.d * self.sigma2)),
            "cov_logdet_ratio": float(logdet_ratio),
            "cov_det_ratio": float(math.exp(logdet_ratio)) if sign > 0 else float("nan"),
        }


def bartlett_factor(rng: np.random.Generator, k: int, df: int) -> np.ndarray:
    """Lower-triangular A (k, k) with A A^T ~ Wishart(I_k, df) (Bartlett decomposition).

    For df < k the Wishart matrix is singular and A has only ``df`` non-zero columns
    (the singular Bartlett form).
    """
    rows, cols = _tril(k, min(k, df))
    a = np.zeros((k, k))
    m = min(k, df)
    a[rows, cols] = rng.standard_normal(rows.size)
    a[np.arange(m), np.arange(m)] = np.sqrt(rng.chisquare(df - np.arange(m)))
    return a


@functools.lru_cache(maxsize=64)
def _tril(k: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.tril_indices(k, -1)
    keep = cols < m
    return rows[keep], cols[keep]


def _first_fit(real: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit the real data; return (mu1 (d,), basis Q (d, k), centred coordinates Y (n, k), cov_y).

    The coordinates are y = Q^T (x - mu1). With k = d, Q is the identity.
    """
    n, d = real.shape
    mu1 = real.mean(axis=0)
    centred = real - mu1
    if k == d:
        basis = np.eye(d)
    else:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        basis = vt[:k].T
    y = centred @ basis
    return mu1, basis, y, y.T @ y / n


def _subsample_chain(real_y: np.ndarray, rng: np.random.Generator, n: int, T: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Accumulate-Subsample chain in the k coordinates: (means (T, k), covs (T, k, k), logdets (T,)).

    The pool keeps every point (a subsample reuses them); memory is T n k floats per chain.
    """
    k = real_y.shape[1]
    pool = np.empty((T * n, k))
    pool[:n] = real_y
    means = np.empty((T, k))
    covs = np.empty((T, k, k))
    logdets = np.empty(T)
    mean = real_y.mean(axis=0)
    cov = (real_y - mean).T @ (real_y - mean) / n
    for t in range(T):
        if t > 0:
            factor = np.linalg.cholesky(cov)
            pool[t * n:(t + 1) * n] = mean + rng.standard_normal((n, k)) @ factor.T
            pick = pool[np.sort(rng.choice((t + 1) * n, n, replace=False))]
            mean = pick.mean(axis=0)
            cov = pick.T @ pick / n - np.outer(mean, mean)
            cov = 0.5 * (cov + cov.T)
        means[t], covs[t] = mean, cov
        logdets[t] = 2 * np.log(np.diagonal(np.linalg.cholesky(cov))).sum()
    return means, covs, logdets


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run_batched(workflow: str, n_generations: int, seeds: list[int], d: int, n: int,
                sigma2: float) -> dict[str, np.ndarray]:
    """All seeds of one (workflow, d, n, sigma2) cell at once; see the module docstring.

    Returns ``metric -> (n_seeds, n_generations)`` arrays (the setting's ``finish`` adds
    the ``singular`` flag and blanks the determinants of singular cells).
    Each seed draws from its own generators (:func:`~collapse_lib.workflows.seed_rngs`), so a
    seed's numbers do not depend on which other seeds run beside it (nor on the number of
    threads that run the Accumulate-Subsample chains). BLAS runs single-threaded: the
    matrices are small (d <= a few hundred), and multi-threaded BLAS on small products
    slows down by an order of magnitude when anything else runs on the machine.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_batched(workflow, n_generations, seeds, d, n, sigma2)


def _run_batched(workflow: str, n_generations: int, seeds: list[int], d: int, n: int,
                 sigma2: float) -> dict[str, np.ndarray]:
    s_count, T = len(seeds), n_generations
    k = min(d, n - 1)
    rngs = [seed_rngs(s) for s in seeds]
    sd = math.sqrt(sigma2)
    mu1 = np.empty((s_count, d))
    basis = np.empty((s_count, d, k))
    cov = np.empty((s_count, k, k))
    real_y = []
    for i, (rng_real, _) in enumerate(rngs):
        m1, q, y, c = _first_fit(sd * rng_real.standard_normal((n, d)), k)
        mu1[i], basis[i], cov[i] = m1, q, c
        real_y.append(y)
    # state in the k coordinates of the real data's span (k = d when n > d)
    mean_y = np.zeros((s_count, k))
    means = np.empty((s_count, T, k))
    traces = np.empty((s_count, T))
    logdets = np.empty((s_count, T))

    def chol_logdet(factor: np.ndarray) -> np.ndarray:
        return 2 * np.log(np.diagonal(factor, axis1=1, axis2=2)).sum(axis=1)

    if workflow == "accumulate-subsample":
        # chains are independent: run them on a few threads (numpy releases the GIL)
        with ThreadPoolExecutor(max_workers=_threads()) as pool:
            chains = list(pool.map(lambda i: _subsample_chain(real_y[i], rngs[i][1], n, T),
                                   range(s_count)))
        for i, (m, c, ld) in enumerate(chains):
            means[i], logdets[i] = m, ld
            traces[i] = np.trace(c, axis1=1, axis2=2)
    else:
        factor = np.linalg.cholesky(cov)
        logdet = chol_logdet(factor)
        means[:, 0], traces[:, 0], logdets[:, 0] = mean_y, np.trace(cov, axis1=1, axis2=2), logdet
        if workflow == "accumulate":
            total = float(n)
            s1 = np.stack([y.sum(axis=0) for y in real_y])            # sum of y
            s2 = np.stack([y.T @ y for y in real_y])                  # sum of y y^T
        root_n = math.sqrt(n)
        z = np.empty((s_count, k))
        a = np.empty((s_count, k, k))
        for t in range(1, T):
            for i, (_, rng) in enumerate(rngs):
                z[i] = rng.standard_normal(k)
                a[i] = bartlett_factor(rng, k, n - 1)
            # n points from N(mean, F F^T): their mean and the root of their scatter matrix
            batch_mean = mean_y + np.einsum("sij,sj->si", factor, z) / root_n
            batch_root = factor @ a
            if workflow == "replace":
                mean_y = batch_mean
                factor = batch_root / root_n
                trace = np.einsum("sij,sij->s", factor, factor)
                # exact running log-det: no underflow even where det ~ 1e-2000
                logdet = logdet + 2 * np.log(np.abs(np.diagonal(a, axis1=1, axis2=2))).sum(axis=1) \
                    - k * math.log(n)
            else:  # accumulate: running sums of y and y y^T over every point so far
                total += n
                s1 = s1 + n * batch_mean
                s2 = s2 + batch_root @ np.swapaxes(batch_root, 1, 2) \
                    + n * np.einsum("si,sj->sij", batch_mean, batch_mean)
                mean_y = s1 / total
                cov = s2 / total - np.einsum("si,sj->sij", mean_y, mean_y)
                cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
                factor = np.linalg.cholesky(cov)
                trace = np.trace(cov, axis1=1, axis2=2)
                logdet = chol_logdet(factor)
            means[:, t], traces[:, t], logdets[:, t] = mean_y, trace, logdet
    mean_x = mu1[:, None, :] + np.einsum("sdk,stk->std", basis, means)
    out = {
        "mean_sq_error": np.einsum("std,std->st", mean_x, mean_x),
        "cov_trace_ratio": traces / (d * sigma2),
        "cov_logdet_ratio": logdets - d * math.log(sigma2),
    }
    out["cov_det_ratio"] = np.exp(out["cov_logdet_ratio"])
    return out


def _check_cell(values: dict[str, Any]) -> None:
    if values["n"] < 2:
        raise ParameterError("parameter 'n' must be >= 2 for the Gaussian setting (the MLE "
                             f"covariance of one point is zero); got {values['n']}")
    if values["n"] <= values["d"]:
        warnings.warn(f"n={values['n']} <= d={values['d']}: the fitted covariance is singular at every "
                      "generation; cov_logdet_ratio and cov_det_ratio are undefined (NaN, flagged by "
                      "the 'singular' column)", SingularCovarianceWarning, stacklevel=5)


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    return run_batched(workflow, n_generations, seeds, params["d"], params["n"], params["sigma2"])


def _finish(arrays: dict[str, np.ndarray], params: dict[str, Any], n_generations: int) -> dict[str, np.ndarray]:
    """n <= d: structurally singular, so never report a rounding-error determinant."""
    singular = params["n"] <= params["d"]
    if singular:
        for name in ("cov_logdet_ratio", "cov_det_ratio"):
            arrays[name] = np.full_like(np.asarray(arrays[name], dtype=float), np.nan)
    arrays["singular"] = np.full(np.shape(arrays["mean_sq_error"]), singular)
    return arrays


def _memory(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    d, n = params["d"], params["n"]
    k = min(d, n - 1)
    state = 8.0 * n_seeds * (3 * n_generations * d + d * k + 8 * k * k + n * k)
    if workflow == "accumulate-subsample":  # every point of a chain is kept (a few chains at once)
        state += 8.0 * n_generations * n * k * min(n_seeds, _threads())
    return state


class GaussianNLLTask(GaussianTask):
    """:class:`GaussianTask` scored by its held-out negative log-likelihood (chapter *The
    value of synthetic data*).

    ``test_nll`` is the expected NLL of a fresh real point x ~ N(0, sigma2 I) under the fit
    N(mu, Sigma), in closed form (an infinite held-out set, no test-sample noise):
    0.5 [d log 2 pi + log det Sigma + sigma2 tr Sigma^-1 + mu^T Sigma^-1 mu].
    ``kl`` = KL(truth || fit) = test_nll minus the truth's entropy 0.5 d (1 + log 2 pi sigma2).
    Both are infinite when Sigma is singular (fewer than d + 1 training points).
    """

    def evaluate(self, model: GaussianFit) -> dict[str, float]:
        out = super().evaluate(model)
        d = self.d
        entropy = 0.5 * d * (1.0 + math.log(2 * math.pi * self.sigma2))
        try:
            factor = np.linalg.cholesky(model.cov)
        except np.linalg.LinAlgError:
            out.update(test_nll=math.inf, kl=math.inf)
            return out
        logdet = 2.0 * float(np.log(np.diagonal(factor)).sum())
        inv_factor = np.linalg.inv(factor)
        trace_inv = float(np.einsum("ij,ij->", inv_factor, inv_factor))
        z = inv_factor @ model.mu
        nll = 0.5 * (d * math.log(2 * math.pi) + logdet + self.sigma2 * trace_inv + float(z @ z))
        out.update(test_nll=nll, kl=nll - entropy)
        return out


SETTING = Setting(
    name="gaussian",
    params={
        "d": Param(lambda k, v: check_int(k, v, minimum=1), 1, "dimension, int >= 1"),
        "n": Param(lambda k, v: check_int(k, v, minimum=1), 100, "samples per generation, int >= 2"),
        "sigma2": Param(lambda k, v: check_float(k, v, minimum=0.0, strict_minimum=True), 1.0,
                        "true variance per coordinate, float > 0"),
    },
    metrics=METRICS,
    task=lambda p: GaussianTask(p["d"], p["sigma2"]),
    fast=_fast,
    fast_exact=False,  # the fast path draws sufficient statistics, not points
    validate=_check_cell,
    finish=_finish,
    may_be_nan=frozenset({"cov_logdet_ratio", "cov_det_ratio"}),
    columns=("singular",),
    memory=_memory,
    mixing_task=lambda p: GaussianNLLTask(p["d"], p["sigma2"]),
    doc="Multivariate Gaussian: mean and MLE covariance refit each generation.",
    extra={"example": {"d": 3, "n": 20}},
)


def fitted_path(workflow: str, *, n: int, n_generations: int, seed: int, d: int = 1,
                sigma2: float = 1.0) -> list[GaussianFit]:
    """The fitted Gaussians of one chain, generation by generation (the generic loop).

    Used to draw how the fitted density moves (chapter *Multivariate Gaussians*).
    """
    fits: list[GaussianFit] = []

    class Recording(GaussianTask):
        def evaluate(self, model: GaussianFit) -> dict[str, float]:
            fits.append(model)
            return super().evaluate(model)

    run_chain(Recording(d, sigma2), workflow, n=n, n_generations=n_generations, seed=seed)
    return fits
