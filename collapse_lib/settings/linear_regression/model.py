"""Linear regression on a fixed design (chapter *Linear regression*).

Truth: coefficients w* ~ N(0, I_d), drawn once per seed, and a fixed design X0 (n x d,
entries N(0, 1)). The real labels are X0 w* + sigma eps. Each generation fits ordinary
least squares with the pseudo-inverse (the minimum-norm solution when the fit is not
unique) and labels the *same* design with its own predictions plus fresh noise,
X0 w_t + sigma eps; so a training example is a row ``[x, y]`` and Accumulate stacks copies
of X0. Metrics: ``test_mse``, the mean squared error of the fit on ``n_test`` noiseless
test points x ~ N(0, I_d) (its expectation over the test points is ||w_t - w*||^2, the
excess risk), and ``param_error`` = ||w_t - w*||^2 itself.

Two implementations with one meaning:

* :class:`LinearRegressionTask` runs through the generic loop
  :func:`~collapse_lib.workflows.run_chain` with the actual rows (the reference, also used
  for the options beyond the paper);
* :func:`run_batched` is the fast path used by :func:`~collapse_lib.simulate.simulate`. It draws the
  same random numbers in the same order as the generic loop, so for a given seed the two
  agree to rounding error, but it never stacks data: with P = pinv(X0), Replace is
  w_t = P (X0 w_{t-1} + sigma eps_t), Accumulate is w_t = P (y_1 + ... + y_t) / t (the
  pseudo-inverse of t stacked copies of X0 is [P ... P] / t), and Accumulate-Subsample keeps
  only the label pool: a subsample of rows is X0's rows with multiplicities, so its normal
  equations are X0^T diag(c) X0 w = X0^T s (c counts, s label sums per design row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ...setting import Param, Setting
from ...validation import check_float, check_int
from ...workflows import seed_rngs

__all__ = ["METRICS", "SETTING", "LinearProblem", "LinearRegressionTask", "RegressionFit", "RegressionTask",
           "design_pinv", "draw_problem", "ols", "regime", "run_batched"]

METRICS = ("test_mse", "param_error")

def regime(d: int, n: int) -> str:
    """Which closed form holds for a (d, n) cell (chapter *Linear regression*).

    ``"n >= d + 2"``: the paper's formulas; ``"|n - d| <= 1"``: the expected error is
    infinite (no theory curve); ``"n <= d - 2"``: minimum-norm interpolation, the
    book's extension with the bias d - n.
    """
    if n >= d + 2:
        return "n >= d + 2"
    if n <= d - 2:
        return "n <= d - 2"
    return "|n - d| <= 1"


def ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary least squares via the pseudo-inverse: the minimum-norm minimiser of ||x w - y||^2.

    The cut-off for small singular values is max(rows, cols) * machine epsilon (the
    array-API default), so exactly repeated design rows count once towards the rank.
    """
    return np.linalg.pinv(x, rtol=None) @ y


@dataclass(frozen=True)
class LinearProblem:
    """One seed's truth: coefficients ``w_star`` (d,), design ``design`` (n, d), test inputs (n_test, d)."""

    w_star: np.ndarray
    design: np.ndarray
    test_x: np.ndarray


def draw_problem(rng: np.random.Generator, d: int, n: int, n_test: int) -> LinearProblem:
    """Draw w* ~ N(0, I_d), the design X0 (n x d) and the test inputs, in that order."""
    w_star = rng.standard_normal(d)
    design = rng.standard_normal((n, d))
    test_x = rng.standard_normal((n_test, d))
    return LinearProblem(w_star, design, test_x)


class LinearRegressionTask:
    """The linear-regression setting for the generic loop: one chain, rows ``[x, y]``.

    The problem (w*, X0, test inputs) is drawn from the real-data generator on the first
    call of :meth:`sample_real`; later calls (fresh real data) draw new noisy labels on the
    same design. A task therefore serves exactly one chain: make a new one per seed.
    """

    def __init__(self, d: int, sigma2: float = 1.0, n_test: int = 1000) -> None:
        self.d = d
        self.sigma2 = sigma2
        self.n_test = n_test
        self.problem: LinearProblem | None = None
        self._owner: np.random.Generator | None = None

    def _labels(self, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        assert self.problem is not None
        x = self.problem.design
        return np.column_stack([x, x @ w + math.sqrt(self.sigma2) * rng.standard_normal(x.shape[0])])

    def _check_n(self, n: int) -> None:
        assert self.problem is not None
        if n != self.problem.design.shape[0]:
            raise ValueError(f"the design has {self.problem.design.shape[0]} rows; "
                             f"every generation labels all of them (asked for n={n})")

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.problem is None:
            self.problem = draw_problem(rng, self.d, n, self.n_test)
            self._owner = rng
        elif rng is not self._owner:
            raise RuntimeError("a LinearRegressionTask serves one chain (its w* and design come "
                               "from that chain's real-data generator); make a new task per seed")
        self._check_n(n)
        return self._labels(self.problem.w_star, rng)

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return ols(data[:, :-1], data[:, -1])

    def sample(self, model: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.problem is None:
            raise RuntimeError("sample_real must run first (it draws the design)")
        self._check_n(n)
        return self._labels(model, rng)

    def evaluate(self, model: np.ndarray) -> dict[str, float]:
        assert self.problem is not None
        err = model - self.problem.w_star
        resid = self.problem.test_x @ err
        return {"test_mse": float(resid @ resid / resid.shape[0]), "param_error": float(err @ err)}


def _subsample_fit(design: np.ndarray, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """OLS on the rows ``design[rows]`` with ``labels``, through per-row counts (min-norm)."""
    n, d = design.shape
    counts = np.bincount(rows, minlength=n)
    sums = np.bincount(rows, weights=labels, minlength=n)
    used = counts > 0
    if used.sum() >= d:  # rows of a Gaussian design are in general position: full column rank
        gram = design.T @ (design * counts[:, None])
        return np.linalg.solve(gram, design.T @ sums)
    # fewer distinct rows than coefficients: the min-norm fit interpolates each row's mean label
    return ols(design[used], sums[used] / counts[used])


def design_pinv(design: np.ndarray) -> np.ndarray:
    """pinv of a stack of full-rank designs (S, n, d) through the normal equations.

    A Gaussian design has full rank with probability one, so pinv(X) is (X^T X)^{-1} X^T
    (n >= d) or X^T (X X^T)^{-1} (n < d); a Cholesky solve is several times cheaper than the
    SVD behind :func:`numpy.linalg.pinv`. Falls back to the SVD if a Gram matrix is not
    numerically positive definite.
    """
    n, d = design.shape[-2:]
    xt = np.swapaxes(design, -1, -2)
    try:
        if n >= d:
            return np.linalg.solve(xt @ design, xt)
        return xt @ np.linalg.inv(design @ xt)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(design, rtol=None)


def run_batched(workflow: str, n_generations: int, seeds: list[int], *, d: int, n: int,
                sigma2: float, n_test: int = 1000) -> dict[str, np.ndarray]:
    """All seeds of one (workflow, d, n, sigma2) cell; see the module docstring.

    Each seed draws from its own generators (:func:`~collapse_lib.workflows.seed_rngs`) in
    the generic loop's order, so a seed's numbers do not depend on the seeds beside it and
    match :class:`LinearRegressionTask` under :func:`~collapse_lib.workflows.run_chain`.
    """
    s_count, T = len(seeds), n_generations
    sd = math.sqrt(sigma2)
    rngs = [seed_rngs(s) for s in seeds]
    w_star = np.empty((s_count, d))
    design = np.empty((s_count, n, d))
    gram_test = np.empty((s_count, d, d))
    y = np.empty((s_count, n))
    for i, (rng_real, _) in enumerate(rngs):
        prob = draw_problem(rng_real, d, n, n_test)
        w_star[i], design[i] = prob.w_star, prob.design
        gram_test[i] = prob.test_x.T @ prob.test_x / n_test
        y[i] = prob.design @ prob.w_star + sd * rng_real.standard_normal(n)
    pinv = design_pinv(design)                                   # (S, d, n)
    out = {m: np.empty((s_count, T)) for m in METRICS}

    def record(t: int, w: np.ndarray) -> None:
        err = w - w_star
        out["param_error"][:, t] = np.einsum("si,si->s", err, err)
        out["test_mse"][:, t] = np.einsum("si,sij,sj->s", err, gram_test, err)

    def noise() -> np.ndarray:
        return sd * np.stack([rng.standard_normal(n) for _, rng in rngs])

    def predict(w: np.ndarray) -> np.ndarray:
        return (design @ w[:, :, None])[:, :, 0]

    def solve(labels: np.ndarray) -> np.ndarray:
        return (pinv @ labels[:, :, None])[:, :, 0]

    if workflow == "replace":
        w = solve(y)
        record(0, w)
        for t in range(1, T):
            w = solve(predict(w) + noise())
            record(t, w)
    elif workflow == "accumulate":
        total = y.copy()
        w = solve(total)
        record(0, w)
        for t in range(1, T):
            total += predict(w) + noise()
            w = solve(total) / (t + 1)
            record(t, w)
    else:  # accumulate-subsample: the label pool; row j of the pool is design row j % n
        pool = np.empty((s_count, T * n))
        pool[:, :n] = y
        w = np.empty((s_count, d))
        for t in range(T):
            size = (t + 1) * n
            for i, (_, rng) in enumerate(rngs):
                pick = rng.choice(size, n, replace=False)
                w[i] = _subsample_fit(design[i], pick % n, pool[i, pick])
            record(t, w)
            if t < T - 1:
                pool[:, size:size + n] = predict(w) + noise()
    return out


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    # The matrices here are small (at most n x d); a multi-threaded BLAS spends more time
    # handing them between threads than computing, and on a busy machine (2 shared cores)
    # runs 10-20x slower than one thread. One thread, for this call only.
    with threadpool_limits(1, user_api="blas"):
        return run_batched(workflow, n_generations, seeds, d=params["d"], n=params["n"], sigma2=params["sigma2"],
                           n_test=params["n_test"])


def _memory(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    d, n = params["d"], params["n"]
    pool = n_generations * n if workflow == "accumulate-subsample" else 2 * n
    return 8.0 * n_seeds * (3 * n * d + 2 * d * d + pool + params["n_test"] * d / n_seeds)


@dataclass(frozen=True)
class RegressionFit:
    """A fitted linear model: coefficients ``w`` (d,) and the MLE noise variance ``sigma2``."""

    w: np.ndarray
    sigma2: float


class RegressionTask:
    """Linear regression with a random design, as a generative model of rows ``[x, y]``.

    Truth: x ~ N(0, I_d), y = x . w* + sigma eps, with w* ~ N(0, I_d) drawn on the first call
    of :meth:`sample_real` (from the real-data generator; one task per chain). The fit is
    ordinary least squares (the minimum-norm solution when it is not unique) and the MLE
    noise variance (residual sum of squares / rows). Sampling draws fresh inputs x ~ N(0, I_d)
    and labels x . w_hat + sigma_hat eps. ``test_mse`` is the exact expected squared error on
    a noiseless test point, E_x (x . (w_hat - w*))^2 = ||w_hat - w*||^2.

    Unlike :class:`LinearRegressionTask` (a fixed design that
    every generation relabels), the number of rows here is free, which the mixing experiment
    needs.
    """

    def __init__(self, d: int, sigma2: float = 1.0) -> None:
        self.d = check_int("d", d, minimum=1)
        self.sigma2 = check_float("sigma2", sigma2, minimum=0.0)
        self.w_star: np.ndarray | None = None

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.w_star is None:
            self.w_star = rng.standard_normal(self.d)
        x = rng.standard_normal((n, self.d))
        return np.column_stack([x, x @ self.w_star + math.sqrt(self.sigma2) * rng.standard_normal(n)])

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> RegressionFit:
        x, y = data[:, :-1], data[:, -1]
        rows = x.shape[0]
        w = None
        if rows >= self.d:
            gram = x.T @ x
            try:
                factor = np.linalg.cholesky(gram)
                w = np.linalg.solve(factor.T, np.linalg.solve(factor, x.T @ y))
            except np.linalg.LinAlgError:
                w = None
        if w is None:
            w = np.linalg.pinv(x) @ y
        resid = y - x @ w
        return RegressionFit(w, float(resid @ resid / rows))

    def sample(self, model: RegressionFit, n: int, rng: np.random.Generator) -> np.ndarray:
        x = rng.standard_normal((n, self.d))
        return np.column_stack([x, x @ model.w + math.sqrt(model.sigma2) * rng.standard_normal(n)])

    def evaluate(self, model: RegressionFit) -> dict[str, float]:
        if self.w_star is None:
            raise RuntimeError("evaluate() before sample_real(): the task has no truth yet")
        err = model.w - self.w_star
        return {"test_mse": float(err @ err), "sigma2_hat": model.sigma2}


SETTING = Setting(
    name="linear_regression",
    params={
        "d": Param(lambda k, v: check_int(k, v, minimum=1), 10, "number of coefficients, int >= 1"),
        "n": Param(lambda k, v: check_int(k, v, minimum=1), 100,
                   "rows of the fixed design = labels per generation, int >= 1"),
        "sigma2": Param(lambda k, v: check_float(k, v, minimum=0.0), 1.0,
                        "label noise variance, float >= 0"),
        "n_test": Param(lambda k, v: check_int(k, v, minimum=1), 1000,
                        "noiseless test points for test_mse, int >= 1"),
    },
    metrics=METRICS,
    task=lambda p: LinearRegressionTask(p["d"], p["sigma2"], p["n_test"]),
    fast=_fast,
    fast_exact=True,  # the fast path makes the loop's draws, in the loop's order
    memory=_memory,
    mixing_task=lambda p: RegressionTask(p["d"], p["sigma2"]),
    extra={"example": {"d": 3, "n": 12, "n_test": 50}},
    doc="Linear regression on a fixed Gaussian design: OLS refit on its own noisy predictions.",
)
