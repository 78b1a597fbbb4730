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
  instead of O(n d); they do not depend on the chain's state, so each seed draws those of a
  block of generations in one call, and the linear algebra is batched over the seeds.
  Accumulate keeps running sums. Accumulate-Subsample needs the points themselves (a
  subsample reuses them), but its subsamples do not depend on the data either: they are
  drawn first, and only the points that some subsample picks are drawn (about half).

When n <= d every fit is singular, and it stays singular under every workflow: each
synthetic point lies in the affine span of the real points. The fast path then works in
that (n - 1)-dimensional span, exactly; the log-determinant metrics are undefined there and
are reported as missing, with the flag column ``singular``.
"""

from __future__ import annotations

import functools
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ...setting import Param, Setting, task_threads
from ...validation import ParameterError, check_float, check_int
from ...workflows import run_chain, seed_rngs

__all__ = ["METRICS", "SETTING", "GaussianFit", "GaussianNLLTask", "GaussianTask", "SingularCovarianceWarning",
           "bartlett_factor", "bartlett_from", "fitted_path", "run_batched"]

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
    m = min(k, df)
    rows, _ = _tril(k, m)
    return bartlett_from(rng.standard_normal(rows.size), rng.chisquare(df - np.arange(m)), k)


def bartlett_from(normals: np.ndarray, chisq: np.ndarray, k: int) -> np.ndarray:
    """The Bartlett factor A (..., k, k) from its draws: ``normals`` (..., below-diagonal
    entries, row by row) and ``chisq`` (..., m), the chi-squares with df, df - 1, ... degrees
    of freedom whose roots are the diagonal (m = min(k, df); leading axes are a batch)."""
    m = chisq.shape[-1]
    rows, cols = _tril(k, m)
    a = np.zeros((*chisq.shape[:-1], k, k))
    a[..., rows, cols] = normals
    a[..., np.arange(m), np.arange(m)] = np.sqrt(chisq)
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


def _threads() -> int:
    """Threads that run independent parts of the seeds (:func:`collapse_lib.setting.task_threads`)."""
    return task_threads()


def _seed_parts(count: int, size: int | None = None) -> list[slice]:
    """Contiguous parts of ``count`` seeds: one per thread (or of ``size`` seeds each)."""
    if size is None:
        size = count if count < 8 else -(-count // _threads())
    return [slice(a, min(count, a + size)) for a in range(0, count, size)]


def _on_threads(run: Any, parts: list[slice]) -> None:
    """``run(part)`` for every part; independent parts run on a few threads (numpy's random
    fills and BLAS release the GIL, so they use the machine's cores)."""
    if len(parts) == 1 or _threads() == 1:
        for part in parts:
            run(part)
        return
    with ThreadPoolExecutor(max_workers=min(_threads(), len(parts))) as pool:
        list(pool.map(run, parts))


def _stream(seed: int, purpose: int) -> np.random.Generator:
    """A seed's own generator for one kind of draw of the fast path (see :func:`run_batched`)."""
    return np.random.default_rng([int(seed), 1, purpose])


#: Purposes of the fast path's streams (each seed has one generator per purpose).
_Z, _OFF, _CHI, _PICK, _POINTS = 1, 2, 3, 4, 5
#: Bytes of random numbers drawn at once per block of generations (any value gives the
#: same numbers: each stream is read sequentially).
_BLOCK_BYTES = 1 << 25


def _replace_accumulate(workflow: str, T: int, seeds: list[int], n: int, cov: np.ndarray, *,
                        real_y: list[np.ndarray], means: np.ndarray, traces: np.ndarray,
                        logdets: np.ndarray) -> None:
    """Replace and Accumulate, all seeds at once, from sufficient statistics (in place).

    The random numbers a generation needs (the batch mean's normal vector z and the
    Bartlett factor's normals and chi-squares) do not depend on the chain's state, so each
    seed draws them for a block of generations in one call per stream; the linear algebra
    is batched over the seeds.
    """
    s_count, k = cov.shape[0], cov.shape[1]
    rows, _ = _tril(k, k)
    dfs = (n - 1) - np.arange(k)
    streams = [(_stream(s, _Z), _stream(s, _OFF), _stream(s, _CHI)) for s in seeds]
    factor = np.linalg.cholesky(cov)
    logdet = 2 * np.log(np.diagonal(factor, axis1=1, axis2=2)).sum(axis=1)
    mean_y = np.zeros((s_count, k))
    means[:, 0], traces[:, 0], logdets[:, 0] = mean_y, np.trace(cov, axis1=1, axis2=2), logdet
    if workflow == "accumulate":
        total = float(n)
        s1 = np.stack([y.sum(axis=0) for y in real_y])            # sum of y
        s2 = np.stack([y.T @ y for y in real_y])                  # sum of y y^T
    root_n = math.sqrt(n)
    block = max(1, _BLOCK_BYTES // (8 * s_count * (rows.size + 2 * k)))
    for t0 in range(1, T, block):
        g = min(block, T - t0)
        z = np.stack([sz.standard_normal((g, k)) for sz, _, _ in streams])               # (S, g, k)
        off = np.stack([so.standard_normal((g, rows.size)) for _, so, _ in streams])    # (S, g, k(k-1)/2)
        chi = np.stack([sc.chisquare(dfs, size=(g, k)) for _, _, sc in streams])         # (S, g, k)
        for j in range(g):
            t = t0 + j
            a = bartlett_from(off[:, j], chi[:, j], k)
            # n points from N(mean, F F^T): their mean, and the root F A of their scatter matrix
            batch_mean = mean_y + np.einsum("sij,sj->si", factor, z[:, j]) / root_n
            batch_root = factor @ a
            if workflow == "replace":
                mean_y = batch_mean
                factor = batch_root / root_n
                trace = np.einsum("sij,sij->s", factor, factor)
                # exact running log-det: no underflow even where det ~ 1e-2000
                logdet = logdet + np.log(chi[:, j]).sum(axis=1) - k * math.log(n)
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
                logdet = 2 * np.log(np.diagonal(factor, axis1=1, axis2=2)).sum(axis=1)
            means[:, t], traces[:, t], logdets[:, t] = mean_y, trace, logdet


def _picks(seed: int, n: int, T: int) -> list[np.ndarray]:
    """The subsample of every generation t = 2..T: n of the (t n) pool positions, sorted.

    They do not depend on the data, so they are drawn before any point is."""
    rng = _stream(seed, _PICK)
    return [np.sort(rng.choice((t + 1) * n, n, replace=False, shuffle=False)) for t in range(1, T)]


def _points_dtype(n: int, k: int) -> type[np.floating]:
    """Single precision where a subsample's covariance is well conditioned (n >= 2k: its
    smallest eigenvalue is then above (1 - 1/sqrt(2))^2 ~ 0.09 of the typical one in
    expectation), double precision where it is nearly singular (n close to k + 1)."""
    return np.float32 if n >= 2 * k else np.float64


def _subsample_batch_size(T: int, n: int, k: int, n_seeds: int) -> tuple[int, float]:
    """Seeds per batch of Accumulate-Subsample, and the bytes one seed's pool needs."""
    per_seed = 4.0 * (T * n * k + 2 * n * k) + 8.0 * T * (n + 4 * k)
    return max(1, min(n_seeds, int((8 * _BLOCK_BYTES) // per_seed))), per_seed


def _subsample(T: int, seeds: list[int], n: int, real_y: list[np.ndarray], *, means: np.ndarray,
               traces: np.ndarray, logdets: np.ndarray) -> None:
    """Accumulate-Subsample, seeds in batches (in place).

    Only the points some later subsample picks are drawn: a point of the b-th synthetic
    batch is never picked with probability b / T, so about half of them are never drawn
    over a long run. The points are single precision where that is safe
    (:func:`_points_dtype`; the subsample's mean is accumulated in double precision). Each
    seed reads its own streams in order, so its numbers do not depend on the seeds beside it,
    on the batch size, or on the threads (:func:`_threads`) that run the batches.
    """
    batch, _ = _subsample_batch_size(T, n, real_y[0].shape[1], len(seeds))
    batch = max(1, min(batch, -(-len(seeds) // _threads())))  # at least one batch per thread

    def run(sl: slice) -> None:
        _subsample_batch(T, seeds[sl], n, real_y[sl], means=means[sl], traces=traces[sl], logdets=logdets[sl])

    _on_threads(run, _seed_parts(len(seeds), batch))


def _subsample_batch(T: int, seeds: list[int], n: int, real_y: list[np.ndarray], *, means: np.ndarray,
                     traces: np.ndarray, logdets: np.ndarray) -> None:
    s_count, k = len(seeds), real_y[0].shape[1]
    dtype = _points_dtype(n, k)
    picks = [_picks(s, n, T) for s in seeds]
    # which pool positions are ever picked, and where each used point is kept
    slots = np.full((s_count, T * n), -1, dtype=np.int64)
    used_in_block: list[list[np.ndarray]] = []
    for i in range(s_count):
        used = np.zeros(T * n, dtype=bool)
        used[:n] = True
        for p in picks[i]:
            used[p] = True
        where = np.flatnonzero(used)
        slots[i, where] = np.arange(where.size)
        used_in_block.append(np.split(where, np.searchsorted(where, np.arange(1, T) * n)))
    width = int(max(slots.max(axis=1)) + 1)
    pool = np.zeros((s_count, width, k), dtype=dtype)
    for i, y in enumerate(real_y):
        pool[i, :n] = y
    rng_points = [_stream(s, _POINTS) for s in seeds]
    y0 = np.stack(real_y)                                                  # (S, n, k)
    mean = y0.mean(axis=1)
    centred = y0 - mean[:, None]
    cov = np.swapaxes(centred, 1, 2) @ centred / n
    rows = np.arange(s_count)[:, None]
    chol = np.linalg.cholesky(cov)
    # buffers reused every generation (allocating them anew costs much where the allocator
    # returns freed memory to the system at once, as on Dask's workers)
    zbuf, newbuf, pickbuf = (np.empty((s_count, n, k), dtype=dtype) for _ in range(3))
    covbuf = np.empty((s_count, k, k), dtype=dtype)
    flat_pool = pool.reshape(s_count * width, k)
    base = np.arange(s_count)[:, None] * width
    for t in range(T):
        if t > 0:
            factor_t = np.swapaxes(chol, 1, 2).astype(dtype)
            counts = [used_in_block[i][t].size for i in range(s_count)]
            m = max(counts)
            if m:
                z = zbuf[:, :m]
                for i, c in enumerate(counts):
                    if c:
                        rng_points[i].standard_normal(dtype=dtype, out=z[i, :c])
                    z[i, c:] = 0.0
                new = np.matmul(z, factor_t, out=newbuf[:, :m])
                new += mean.astype(dtype)[:, None]
                for i, c in enumerate(counts):
                    if c:
                        pool[i, slots[i, used_in_block[i][t]]] = new[i, :c]
            index = (base + slots[rows, np.stack([picks[i][t - 1] for i in range(s_count)])]).ravel()
            pick = np.take(flat_pool, index, axis=0, out=pickbuf.reshape(s_count * n, k)).reshape(s_count, n, k)
            mean = pick.mean(axis=1, dtype=np.float64)
            np.subtract(pick, mean.astype(dtype)[:, None], out=pick)
            cov = np.matmul(np.swapaxes(pick, 1, 2), pick, out=covbuf).astype(np.float64) / n
            # the single-precision centring leaves a tiny offset: correct the covariance for it
            offset = pick.mean(axis=1, dtype=np.float64)
            cov -= np.einsum("si,sj->sij", offset, offset)
            cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
            chol = np.linalg.cholesky(cov)
        means[:, t] = mean
        traces[:, t] = np.trace(cov, axis1=1, axis2=2)
        logdets[:, t] = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)


def run_batched(workflow: str, n_generations: int, seeds: list[int], *, d: int, n: int,
                sigma2: float) -> dict[str, np.ndarray]:
    """All seeds of one (workflow, d, n, sigma2) cell at once; see the module docstring.

    Returns ``metric -> (n_seeds, n_generations)`` arrays (the setting's ``finish`` adds
    the ``singular`` flag and blanks the determinants of singular cells). The real data of
    a seed come from :func:`~collapse_lib.workflows.seed_rngs` (so generation 1 is the
    reference loop's); every later draw comes from the seed's own streams, one per kind of
    draw (:func:`_stream`), so a seed's numbers do not depend on which other seeds run
    beside it, nor on how the work is split into blocks. BLAS runs single-threaded: the
    matrices are small (d <= a few hundred), and multi-threaded BLAS on small products
    slows down by an order of magnitude when anything else runs on the machine.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_batched(workflow, n_generations, seeds, d=d, n=n, sigma2=sigma2)


def _run_batched(workflow: str, n_generations: int, seeds: list[int], *, d: int, n: int,
                 sigma2: float) -> dict[str, np.ndarray]:
    s_count, T = len(seeds), n_generations
    k = min(d, n - 1)
    sd = math.sqrt(sigma2)
    mu1 = np.empty((s_count, d))
    basis = np.empty((s_count, d, k))
    cov = np.empty((s_count, k, k))
    real_y = []
    for i, seed in enumerate(seeds):
        rng_real, _ = seed_rngs(seed)
        m1, q, y, c = _first_fit(sd * rng_real.standard_normal((n, d)), k)
        mu1[i], basis[i], cov[i] = m1, q, c
        real_y.append(y)
    # state in the k coordinates of the real data's span (k = d when n > d)
    means = np.empty((s_count, T, k))
    traces = np.empty((s_count, T))
    logdets = np.empty((s_count, T))
    if workflow == "accumulate-subsample":
        _subsample(T, seeds, n, real_y, means=means, traces=traces, logdets=logdets)
    else:
        def run(sl: slice) -> None:
            _replace_accumulate(workflow, T, seeds[sl], n, cov[sl], real_y=real_y[sl], means=means[sl],
                                traces=traces[sl], logdets=logdets[sl])

        _on_threads(run, _seed_parts(s_count))
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
    return run_batched(workflow, n_generations, seeds, d=params["d"], n=params["n"], sigma2=params["sigma2"])


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
    if workflow == "accumulate-subsample":  # the drawn points of a batch of chains
        batch, per_seed = _subsample_batch_size(n_generations, n, k, n_seeds)
        state += min(n_seeds, batch * _threads()) * per_seed  # batches run on a few threads
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
