"""Logistic regression on a fixed real design (chapter *Logistic regression*).

The experiment of Dey & Donoho (arXiv 2410.22812, their repository's ``experiments/UCI``):
a binary classification data set that scikit-learn ships, split as they split it
(``train_test_split(test_size=0.3, random_state=123456)``), and unpenalised logistic
regression with an intercept. Each generation fits the model and draws new labels for the
*same* training inputs from it, ``y_i ~ Bernoulli(sigmoid(z_i . beta_t))``. A training example
is a pair (design row, label), so the workflows apply unchanged: Replace keeps the newest
labels, Accumulate stacks every labelled copy of the design, Accumulate-Subsample draws ``n``
pairs from that stack without replacement.

Parameters: ``dataset`` (``"diabetes"``: the target above 100; ``"breast_cancer"``), ``n`` (rows
of the design: the first ``n`` rows of the training split, its rows repeated in order when
``n`` is larger), ``features`` (the first so many feature columns, or ``"all"``) and
``labels``: ``"real"`` (the data set's labels, as Dey & Donoho) or ``"model"`` (the first
generation's labels drawn from the real data's fit, so the truth is known: the setting of
their theory).

Metrics, always on the held-out real test split: ``test_log_loss`` (mean cross-entropy, nats)
and ``test_accuracy``; and ``param_error`` = (beta_t - beta_ref)' J_ref (beta_t - beta_ref) / p,
the squared distance of the fit from the real data's fit ``beta_ref`` in the metric of that
fit's Fisher information ``J_ref`` on the ``n`` design rows, per coefficient (p = features + 1).
Its large-n expectation is 1 per generation of noise (:mod:`.theory`).

The unpenalised fit does not always exist. When the classes of a training set can be
separated by a hyperplane (completely or quasi-completely), the likelihood increases without
bound along that direction and there is no maximum-likelihood fit (Albert & Anderson,
Biometrika 1984); an optimiser stopped at its iteration limit returns a point on the way to
infinity. This module never reports such a point:

* every fit is Newton's method with step halving, to a Newton decrement below
  :data:`NEWTON_TOL`; a converged fit is accepted when its residuals give a certificate that
  the classes overlap (:func:`overlap_certified`), otherwise a linear program decides
  (:func:`is_separable`);
* real data whose classes are separable are refused with a
  :class:`~collapse_lib.validation.ParameterError` (the breast-cancer split with all 30
  features is);
* a generation whose synthetic labels are separable (or whose rows do not determine the p
  coefficients) has no fit: its metrics and all later ones of that chain are missing, and
  the column ``no_mle`` is True from that generation on (the chain has ended: there is no
  model to draw the next labels from);
* a fit whose labels are not separable but whose Newton iterations did not converge raises
  :class:`FitNotConverged`: an error, never a number.

Two implementations with one meaning: :class:`LogisticRegressionTask` runs through the
generic loop :func:`~collapse_lib.workflows.run_chain` with the actual (row, label) pairs,
and :func:`run_batched`, the fast path, keeps per-row label counts and runs Newton's method
for all seeds of a cell at once. Both fit the same counts with the same function from the
same starting point. Replace and Accumulate draw the same random numbers in the same order,
so the two agree to rounding error; Accumulate-Subsample's subsample is, in the fast path, one
multivariate hypergeometric draw of the pool's (row, label) counts (the same distribution as
n stack entries drawn without replacement, at a cost that does not grow with the pool), so
there the two agree in distribution.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from ...setting import Param, Setting
from ...validation import ParameterError, check_choice, check_int
from ...workflows import seed_rngs

__all__ = ["DATASETS", "LABELS", "METRICS", "SETTING", "TEST_SIZE", "SPLIT_SEED", "NEWTON_TOL", "MAX_NEWTON",
           "Design", "Fits", "FitNotConverged", "LogisticRegressionTask", "RealFit", "check_features", "counts",
           "design", "fit_counts", "is_separable", "load_split", "newton", "overlap_certified", "real_fit",
           "run_batched", "fit_metrics"]

DATASETS = ("diabetes", "breast_cancer")
LABELS = ("real", "model")
METRICS = ("test_log_loss", "test_accuracy", "param_error")
COLUMNS = ("no_mle",)
#: Dey & Donoho's split of every data set.
TEST_SIZE, SPLIT_SEED = 0.3, 123456
#: Newton's method stops when the squared Newton decrement g' J^-1 g (about twice the gap to
#: the maximal log-likelihood) is below this: the fit is then within 1e-10 of the maximum in
#: the metric of its Fisher information.
NEWTON_TOL = 1e-20
#: Newton steps before a fit counts as not converged (a fit from a warm start takes 3-6).
MAX_NEWTON = 200
_MAX_HALVINGS = 60
#: A linear program's optimum above this counts as a separating direction (its constraints
#: hold to about 1e-9 here; a separable training set of these data scores 1e-3 or more).
LP_TOL = 1e-6


class FitNotConverged(RuntimeError):
    """Newton's method did not converge although the labels are not separable."""


# --- the data -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """A data set split as Dey & Donoho split it: training and test inputs and 0/1 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=len(DATASETS))
def load_split(dataset: str) -> Split:
    """``dataset`` loaded from scikit-learn's bundled files (no download) and split with
    ``train_test_split(test_size=0.3, random_state=123456)``. Diabetes is made binary as
    Dey & Donoho made it: target > 100."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.model_selection import train_test_split

    check_choice("dataset", dataset, DATASETS)
    if dataset == "diabetes":
        data = load_diabetes()
        x, y = data.data, (data.target > 100).astype(np.int64)
    else:
        data = load_breast_cancer()
        x, y = data.data, data.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=TEST_SIZE, random_state=SPLIT_SEED)
    arrays = [np.ascontiguousarray(a) for a in (x_tr, y_tr, x_te, y_te)]
    for a in arrays:
        a.setflags(write=False)
    return Split(*arrays)


def check_features(name: str, value: Any) -> int | str:
    """``"all"`` or an int >= 1 (how many leading feature columns to use)."""
    if isinstance(value, str):
        if value == "all":
            return value
        raise ParameterError(f"parameter '{name}' must be 'all' or an integer >= 1; got {value!r}")
    return check_int(name, value, minimum=1)


@dataclass(frozen=True)
class Design:
    """The fixed design of one cell. Its ``n`` rows are the training split's rows 0, 1, ...,
    repeated in order beyond the split's size: design row r is distinct row ``row_of[r]``.
    The fit depends on the labels only through counts per distinct row, so it runs on the
    distinct rows ``z`` (u, p) = [1, standardised inputs] with multiplicities ``mult`` (u,);
    ``y`` (u,) are their real labels, (``z_test``, ``y_test``) the test split. Inputs are
    standardised with the training split's mean and standard deviation: the fitted
    probabilities (and every metric) are those of the fit on the raw inputs, only the
    arithmetic is better conditioned."""

    dataset: str
    features: int
    z: np.ndarray
    y: np.ndarray
    mult: np.ndarray
    row_of: np.ndarray
    z_test: np.ndarray
    y_test: np.ndarray

    @property
    def n(self) -> int:
        """Rows of the design (labels per generation)."""
        return int(self.row_of.shape[0])

    @property
    def p(self) -> int:
        """Coefficients: the features and an intercept."""
        return int(self.z.shape[1])

    def aggregate(self, labels: np.ndarray) -> np.ndarray:
        """Label counts per distinct row, (S, u), from labels per design row, (S, n)."""
        u = self.z.shape[0]
        if self.n == u:
            return np.asarray(labels, dtype=float)
        copies = -(-self.n // u)
        padded = np.zeros((labels.shape[0], copies * u))
        padded[:, :self.n] = labels
        return padded.reshape(labels.shape[0], copies, u).sum(axis=1)


@functools.lru_cache(maxsize=64)
def design(dataset: str, n: int, features: int | str = "all") -> Design:
    """The design of ``n`` rows: the training split's rows 0, 1, ... (repeated in order when
    ``n`` exceeds the split), its first ``features`` columns and an intercept."""
    split = load_split(dataset)
    cols = split.x_train.shape[1] if features == "all" else int(features)
    if cols > split.x_train.shape[1]:
        raise ParameterError(f"parameter 'features' must be at most {split.x_train.shape[1]} for dataset "
                             f"'{dataset}' (or 'all'); got {features}")
    x = split.x_train[:, :cols]
    mean, sd = x.mean(axis=0), x.std(axis=0)
    u = min(n, x.shape[0])
    row_of = np.arange(n) % u

    def standardise(a: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(a.shape[0]), (a[:, :cols] - mean) / sd])

    out = Design(dataset, cols, standardise(x[:u]), split.y_train[:u].astype(float),
                 np.bincount(row_of, minlength=u).astype(float), row_of, standardise(split.x_test),
                 split.y_test.astype(float))
    for a in (out.z, out.y, out.mult, out.row_of, out.z_test, out.y_test):
        a.setflags(write=False)
    return out


# --- the fit ---------------------------------------------------------------------------------------

def counts(rows: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row index 0..n-1: the number of 1-labels ``k`` and of examples ``m`` among (row, label) pairs."""
    rows = np.asarray(rows, dtype=np.int64)
    k = np.bincount(rows, weights=np.asarray(labels, dtype=float), minlength=n)
    m = np.bincount(rows, minlength=n).astype(float)
    return k, m


def _loglik(eta: np.ndarray, k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood sum_i k_i eta_i - m_i log(1 + e^eta_i), per row of ``eta``."""
    return (k * eta - m * np.logaddexp(0.0, eta)).sum(axis=-1)


def _information(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """z' diag(w_s) z for each row w_s of ``w``: (S, p, p)."""
    return np.matmul(z.T[None, :, :] * w[:, None, :], z)


def _solve_pd(mat: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve mat_s x_s = rhs_s where mat_s is numerically positive definite; ``ok`` marks those."""
    out = np.zeros_like(rhs)
    ok = np.zeros(mat.shape[0], dtype=bool)
    try:
        np.linalg.cholesky(mat)
        return np.linalg.solve(mat, rhs[..., None])[..., 0], np.ones(mat.shape[0], dtype=bool)
    except np.linalg.LinAlgError:
        pass
    for s in range(mat.shape[0]):
        try:
            np.linalg.cholesky(mat[s])
            out[s] = np.linalg.solve(mat[s], rhs[s])
            ok[s] = True
        except np.linalg.LinAlgError:
            continue
    return out, ok


def newton(z: np.ndarray, k: np.ndarray, m: np.ndarray, beta0: np.ndarray, *, max_iter: int | None = None,
           tol: float = NEWTON_TOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximise the binomial log-likelihood of counts ``k`` of ones out of ``m`` per design row
    (each (S, n)) over beta, for S problems at once, from ``beta0`` (S, p).

    Newton's method with step halving (Armijo's rule) on a concave function: it converges to
    the maximum whenever one exists. Returns ``(beta, converged, steps)``; ``converged`` is
    True where the squared Newton decrement fell below ``tol``. Where the information matrix
    is numerically singular or no step increases the likelihood, iterations stop unconverged
    (unless the decrement is already at the level of rounding error). ``max_iter`` defaults to
    :data:`MAX_NEWTON`.
    """
    max_iter = MAX_NEWTON if max_iter is None else max_iter
    beta = np.array(beta0, dtype=float, copy=True)
    n_prob = beta.shape[0]
    converged = np.zeros(n_prob, dtype=bool)
    stopped = np.zeros(n_prob, dtype=bool)
    steps = np.zeros(n_prob, dtype=np.int64)
    eta = beta @ z.T
    ll = _loglik(eta, k, m)
    for _ in range(max_iter):
        active = np.flatnonzero(~converged & ~stopped)
        if active.size == 0:
            break
        pr = expit(eta[active])
        grad = (k[active] - m[active] * pr) @ z
        info = _information(z, m[active] * pr * expit(-eta[active]))
        step, ok = _solve_pd(info, grad)
        dec = np.einsum("sp,sp->s", grad, step)
        done = ok & (dec <= tol)
        converged[active[done]] = True
        stopped[active[~ok]] = True
        go = ok & ~done
        idx, step, dec = active[go], step[go], dec[go]
        alpha = np.ones(idx.size)
        moved = np.zeros(idx.size, dtype=bool)
        # near the maximum the full step is safe, and a likelihood change would be lost in rounding
        full = dec < 1e-8
        for _ in range(_MAX_HALVINGS):
            todo = np.flatnonzero(~moved)
            if todo.size == 0:
                break
            cand = beta[idx[todo]] + alpha[todo, None] * step[todo]
            cand_eta = cand @ z.T
            cand_ll = _loglik(cand_eta, k[idx[todo]], m[idx[todo]])
            good = full[todo] | (cand_ll >= ll[idx[todo]] + 1e-4 * alpha[todo] * dec[todo])
            good &= np.isfinite(cand_ll)
            sel = todo[good]
            beta[idx[sel]], eta[idx[sel]], ll[idx[sel]] = cand[good], cand_eta[good], cand_ll[good]
            moved[sel] = True
            steps[idx[sel]] += 1
            alpha[todo[~good]] /= 2
        stuck = idx[~moved]
        converged[stuck[dec[~moved] < 1e-12]] = True  # the decrement is at rounding level
        stopped[stuck[dec[~moved] >= 1e-12]] = True
    return beta, converged, steps


def _pseudo_rows(k: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the design rows with a 1-label and with a 0-label."""
    return k > 0, (m - k) > 0


#: Safety factor on the rounding-error bound of :func:`overlap_certified`.
_CERT_SAFETY = 100.0
#: Weights below these fractions of the largest are left out in turn by :func:`overlap_certified`.
_CERT_LEVELS = (0.0, 1e-13, 1e-11, 1e-9, 1e-7, 1e-5)


def _certify(z: np.ndarray, has1: np.ndarray, has0: np.ndarray, u1: np.ndarray, u0: np.ndarray) -> np.ndarray:
    """The certificate of :func:`overlap_certified` on the pseudo-rows ``has1``/``has0`` (S, n)."""
    eps = np.finfo(float).eps
    u1, u0 = np.where(has1, u1, 0.0), np.where(has0, u0, 0.0)
    grad = (u1 - u0) @ z
    count = has1.astype(float) + has0
    gram = _information(z, count)
    corr, ok = _solve_pd(gram, grad)
    proj = corr @ z.T
    low = np.minimum(np.where(has1, u1 - proj, np.inf), np.where(has0, u0 + proj, np.inf))
    # first-order bounds on the rounding error of each corrected weight
    eig = np.linalg.eigvalsh(np.where(ok[:, None, None], gram, np.eye(z.shape[1])))
    lam_min, lam_max = np.maximum(eig[:, 0], np.finfo(float).tiny), eig[:, -1]
    znorm = np.linalg.norm(z, axis=1)
    rows = count.sum(axis=1)
    grad_err = rows * eps * ((u1 + u0) @ znorm)  # the sum g, computed
    with np.errstate(over="ignore"):  # a singular Gram matrix: an infinite bound, no certificate
        corr_err = grad_err / lam_min + (lam_max / lam_min) * rows * eps * np.linalg.norm(corr, axis=1)
    bound = _CERT_SAFETY * (znorm[None, :] * corr_err[:, None] + eps * (np.abs(proj) + u1 + u0))
    return ok & np.all(low > bound, axis=1)


def overlap_certified(z: np.ndarray, k: np.ndarray, m: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Whether the residuals of a fit ``beta`` (S, p) prove that the classes overlap (so that the
    maximum-likelihood fit exists), for counts ``k``, ``m`` (S, n).

    With a_j = +z_i for each row i with a 1-label and -z_i for each row with a 0-label, the
    classes are separable exactly when some beta != 0 has a_j . beta >= 0 for all j. Weights
    u_j > 0 with sum_j u_j a_j = 0 over a set of a_j of rank p rule that out (a_j . beta >= 0
    for all j forces those a_j . beta = 0, so beta = 0), and a subset of the a_j will do:
    classes that overlap on some rows overlap on all. At the maximum-likelihood fit the
    residuals u = k (1 - p) and (m - k) p are such weights, up to the small gradient
    g = sum_j u_j a_j; the smallest correction u - A (A'A)^-1 g removes it exactly. The
    certificate holds where every corrected weight exceeds a bound on its rounding error
    (:data:`_CERT_SAFETY` times the first-order bound, from the Gram matrix's extreme
    eigenvalues), on all rows or, failing that, on the rows whose weight is above a fraction
    of the largest (:data:`_CERT_LEVELS`: rows the fit already predicts with a probability
    within rounding error of 0 or 1 carry no usable weight). The argument needs no
    convergence: any beta that gives such weights will do. Where no level holds, the
    classes may still overlap: :func:`is_separable` decides.
    """
    eta = beta @ z.T
    has1, has0 = _pseudo_rows(k, m)
    u1, u0 = k * expit(-eta), (m - k) * expit(eta)
    top = np.maximum(np.where(has1, u1, 0.0).max(axis=1), np.where(has0, u0, 0.0).max(axis=1))
    done = np.zeros(beta.shape[0], dtype=bool)
    for level in _CERT_LEVELS:
        todo = np.flatnonzero(~done)
        if todo.size == 0:
            break
        cut = (level * top[todo])[:, None]
        done[todo] = _certify(z, has1[todo] & (u1[todo] > cut), has0[todo] & (u0[todo] > cut), u1[todo], u0[todo])
    return done


def is_separable(z: np.ndarray, k: np.ndarray, m: np.ndarray) -> bool:
    """Whether the classes of counts ``k`` of ones out of ``m`` on design rows ``z`` are
    separable, completely or quasi-completely: a linear program (HiGHS) maximises
    sum_j a_j . beta subject to a_j . beta >= 0 and |beta_i| <= 1, with a_j as in
    :func:`overlap_certified`; a positive optimum is a separating direction. Rows the
    counts do not use do not count."""
    from scipy.optimize import linprog

    has1, has0 = _pseudo_rows(k, m)
    a = np.vstack([z[has1], -z[has0]])
    res = linprog(-a.sum(axis=0), A_ub=-a, b_ub=np.zeros(a.shape[0]), bounds=[(-1.0, 1.0)] * z.shape[1],
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"the separation check's linear program failed: {res.message}")
    return bool(-res.fun > LP_TOL)


@dataclass(frozen=True)
class Fits:
    """Fits of S problems: ``beta`` (S, p), NaN where no maximum-likelihood fit exists
    (``exists`` False: the labels are separable or the used rows do not have rank p), and
    the Newton ``steps`` taken."""

    beta: np.ndarray
    exists: np.ndarray
    steps: np.ndarray


def fit_counts(z: np.ndarray, k: np.ndarray, m: np.ndarray, beta0: np.ndarray, *, what: str = "fit") -> Fits:
    """The maximum-likelihood fits of S count problems (``k``, ``m``: (S, n)) from ``beta0``.

    A converged Newton fit with an overlap certificate is accepted; otherwise the rank of
    the used rows and a linear program decide whether the fit exists; a fit that exists
    but did not converge raises :class:`FitNotConverged` (``what`` names it in the message).
    """
    k, m = np.asarray(k, dtype=float), np.asarray(m, dtype=float)
    beta, conv, steps = newton(z, k, m, beta0)
    exists = np.zeros(beta.shape[0], dtype=bool)
    if conv.any():
        exists[conv] = overlap_certified(z, k[conv], m[conv], beta[conv])
    for s in np.flatnonzero(~exists):
        used = m[s] > 0
        if np.linalg.matrix_rank(z[used]) < z.shape[1] or is_separable(z, k[s], m[s]):
            continue
        if not conv[s]:
            raise FitNotConverged(
                f"{what}: Newton's method did not converge in {MAX_NEWTON} steps although the labels "
                "are not separable (the fit is refused, not reported)")
        exists[s] = True
    beta[~exists] = np.nan
    return Fits(beta, exists, steps)


@dataclass(frozen=True)
class RealFit:
    """The fit on the design's real labels: ``beta`` (p,), its Fisher information ``info``
    (p, p) on the design's n rows, and its fitted probabilities ``prob`` (u,) on the distinct
    rows."""

    beta: np.ndarray
    info: np.ndarray
    prob: np.ndarray


def _separable_message(dataset: str, n: int, features: int | str, p: int) -> str:
    cols = load_split(dataset).x_train.shape[1]
    shown = cols if features == "all" else int(features)
    hint = ""
    for f in range(shown - 1, 0, -1):
        try:
            d = design(dataset, n, f)
        except ParameterError:
            break
        if not is_separable(d.z, d.mult * d.y, d.mult):
            hint = f"; with features <= {f} its classes overlap at this n"
            break
    return (f"parameters 'dataset', 'n' and 'features': dataset '{dataset}' with n={n} rows and {shown} features "
            f"(p={p} coefficients): the training "
            "labels are linearly separable, so the unpenalised maximum-likelihood fit does not exist (an "
            "optimiser stopped at its iteration limit returns a point on the way to infinity, not a fit)"
            f"{hint}")


@functools.lru_cache(maxsize=64)
def real_fit(dataset: str, n: int, features: int | str = "all") -> RealFit:
    """The maximum-likelihood fit of the real labels on the design of (``dataset``, ``n``,
    ``features``); raises :class:`~collapse_lib.validation.ParameterError` where it does not
    exist (n too small for p coefficients, or separable classes)."""
    d = design(dataset, n, features)
    if d.z.shape[0] < d.p + 1:
        raise ParameterError(f"parameter 'n' must be at least p + 1 = {d.p + 1} for {d.p} coefficients "
                             f"(features={features} and an intercept): n <= p rows are separable whatever "
                             f"their labels; got n={n}")
    if np.linalg.matrix_rank(d.z) < d.p:
        raise ParameterError(f"dataset '{dataset}' with n={n} rows: the design has rank below p={d.p}, so the "
                             "coefficients are not determined; use a larger n or fewer features")
    fits = fit_counts(d.z, (d.mult * d.y)[None, :], d.mult[None, :], np.zeros((1, d.p)),
                      what=f"the real data of '{dataset}'")
    if not fits.exists[0]:
        raise ParameterError(_separable_message(dataset, n, features, d.p))
    beta = fits.beta[0]
    eta = d.z @ beta
    prob = expit(eta)
    info = _information(d.z, (d.mult * expit(eta) * expit(-eta))[None, :])[0]
    for a in (beta, info, prob):
        a.setflags(write=False)
    return RealFit(beta, info, prob)


def fit_metrics(d: Design, ref: RealFit, beta: np.ndarray) -> dict[str, np.ndarray]:
    """The metrics of fits ``beta`` (S, p), NaN rows where a fit does not exist."""
    eta = beta @ d.z_test.T
    sign = 2.0 * d.y_test - 1.0
    delta = beta - ref.beta
    with np.errstate(invalid="ignore"):  # NaN rows (no fit) stay NaN
        loss = np.logaddexp(0.0, -sign * eta).mean(axis=1)
    return {
        "test_log_loss": loss,
        "test_accuracy": np.where(np.isnan(eta[:, 0]), np.nan, ((eta > 0) == (d.y_test > 0.5)).mean(axis=1)),
        "param_error": np.einsum("si,ij,sj->s", delta, ref.info, delta) / d.p,
    }


def _draw(rng: np.random.Generator, prob: np.ndarray) -> np.ndarray:
    """Bernoulli(prob) labels, one uniform per row: the same numbers in both implementations."""
    return (rng.random(prob.shape[0]) < prob).astype(float)


# --- the reference loop ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LogisticFit:
    """One fitted model: ``beta`` (p,), or None where no maximum-likelihood fit exists."""

    beta: np.ndarray | None


class LogisticRegressionTask:
    """The setting for the generic loop: an example is a row ``[design row, label]``.

    A task serves one chain: it remembers the last fit (each fit starts Newton's method from
    it) and whether the chain has ended (a generation without a fit). Under ``labels="real"``
    the real data are the data set's labels, and there are no fresh ones to draw.
    """

    def __init__(self, dataset: str, n: int, features: int | str, labels: str) -> None:
        self.design = design(dataset, n, features)
        self.ref = real_fit(dataset, n, features)
        self.labels = labels
        self.last = np.zeros(self.design.p)
        self.ended = False
        self._real_draws = 0

    def _rows(self, labels: np.ndarray) -> np.ndarray:
        return np.column_stack([np.arange(self.design.n, dtype=float), labels])

    def _check_n(self, n: int) -> None:
        if n != self.design.n:
            raise ValueError(f"the design has {self.design.n} rows; every generation labels all of them "
                             f"(asked for n={n})")

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        self._check_n(n)
        self._real_draws += 1
        if self.labels == "real":
            if self._real_draws > 1:
                raise ParameterError("option 'fresh_real' needs labels='model' in setting 'logistic_regression': "
                                     "a real data set has one set of labels")
            return self._rows(self.design.y[self.design.row_of])
        return self._rows(_draw(rng, self.ref.prob[self.design.row_of]))

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> LogisticFit:
        if self.ended:
            return LogisticFit(None)
        k, m = counts(self.design.row_of[data[:, 0].astype(np.int64)], data[:, 1], self.design.z.shape[0])
        fits = fit_counts(self.design.z, k[None], m[None], self.last[None])
        if not fits.exists[0]:
            self.ended = True
            return LogisticFit(None)
        self.last = fits.beta[0]
        return LogisticFit(fits.beta[0])

    def sample(self, model: LogisticFit, n: int, rng: np.random.Generator) -> np.ndarray:
        self._check_n(n)
        if model.beta is None:  # the chain has ended: placeholder rows that nothing reports
            return self._rows(np.zeros(n))
        return self._rows(_draw(rng, expit(self.design.z @ model.beta)[self.design.row_of]))

    def evaluate(self, model: LogisticFit) -> dict[str, float]:
        beta = np.full((1, self.design.p), np.nan) if model.beta is None else model.beta[None]
        out: dict[str, Any] = {k: float(v[0]) for k, v in fit_metrics(self.design, self.ref, beta).items()}
        out["no_mle"] = model.beta is None
        return out


# --- the fast path -----------------------------------------------------------------------------------

def run_batched(workflow: str, n_generations: int, seeds: list[int], dataset: str, n: int,
                features: int | str = "all", labels: str = "real") -> dict[str, np.ndarray]:
    """All seeds of one cell at once, through per-row label counts (see the module docstring).

    Each seed draws from its own generators (:func:`~collapse_lib.workflows.seed_rngs`) in the
    generic loop's order, so its numbers do not depend on the seeds beside it and match
    :class:`LogisticRegressionTask` under :func:`~collapse_lib.workflows.run_chain`.
    """
    d, ref = design(dataset, n, features), real_fit(dataset, n, features)
    n_seeds, T = len(seeds), n_generations
    rngs = [seed_rngs(s) for s in seeds]
    real = np.empty((n_seeds, n))
    for i, (rng_real, _) in enumerate(rngs):
        real[i] = d.y[d.row_of] if labels == "real" else _draw(rng_real, ref.prob[d.row_of])
    out = {name: np.full((n_seeds, T), np.nan) for name in METRICS}
    no_mle = np.zeros((n_seeds, T), dtype=bool)
    alive = np.ones(n_seeds, dtype=bool)
    beta = np.zeros((n_seeds, d.p))

    def fit(t: int, k: np.ndarray, m: np.ndarray) -> None:
        """Fit generation t (0-based) of the living seeds on counts k, m per distinct row (S, u)."""
        idx = np.flatnonzero(alive)
        fits = fit_counts(d.z, k[idx], m[idx], beta[idx], what=f"{dataset}, {workflow}, generation {t + 1}")
        dead = idx[~fits.exists]
        alive[dead] = False
        no_mle[dead, t:] = True
        good = idx[fits.exists]
        beta[good] = fits.beta[fits.exists]
        for name, values in fit_metrics(d, ref, beta[good]).items():
            out[name][good, t] = values

    def draw() -> np.ndarray:
        """New labels (S, n) from each living seed's fit (rows of ended seeds are unused)."""
        labels_ = np.zeros((n_seeds, n))
        for i in np.flatnonzero(alive):
            labels_[i] = _draw(rngs[i][1], expit(d.z @ beta[i])[d.row_of])
        return labels_

    mult = np.broadcast_to(d.mult, (n_seeds, d.z.shape[0]))
    if workflow == "replace":
        y = real
        for t in range(T):
            fit(t, d.aggregate(y), mult)
            if t < T - 1:
                y = draw()
    elif workflow == "accumulate":
        k = d.aggregate(real)
        for t in range(T):
            fit(t, k, (t + 1) * mult)
            if t < T - 1:
                k += d.aggregate(draw())
    else:  # accumulate-subsample: the stack as counts of (distinct row, label) pairs
        ones_ = d.aggregate(real).astype(np.int64)
        pool = np.stack([d.mult.astype(np.int64)[None, :] - ones_, ones_], axis=2)  # (S, u, [0s, 1s])
        k, m = np.zeros((n_seeds, d.z.shape[0])), np.zeros((n_seeds, d.z.shape[0]))
        for t in range(T):
            for i in np.flatnonzero(alive):
                pick = rngs[i][1].multivariate_hypergeometric(pool[i].reshape(-1), n).reshape(-1, 2)
                k[i], m[i] = pick[:, 1], pick.sum(axis=1)
            fit(t, k, m)
            if t < T - 1:
                new = d.aggregate(draw()).astype(np.int64)
                pool[:, :, 1] += new
                pool[:, :, 0] += d.mult.astype(np.int64)[None, :] - new
    return {**out, "no_mle": no_mle}


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    # small matrices: one BLAS thread is faster than handing them between threads
    with threadpool_limits(1, user_api="blas"):
        return run_batched(workflow, n_generations, seeds, params["dataset"], params["n"], params["features"],
                           params["labels"])


def _validate(values: dict[str, Any]) -> None:
    """The design exists and its real labels have a maximum-likelihood fit (else refuse)."""
    real_fit(values["dataset"], values["n"], values["features"])


def _finish(arrays: dict[str, np.ndarray], params: dict[str, Any], n_generations: int) -> dict[str, np.ndarray]:
    arrays["no_mle"] = np.asarray(arrays["no_mle"], dtype=float) > 0.5  # the loop records it as a float
    return arrays


def _memory(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    n = params["n"]
    p = 31 if params["features"] == "all" else params["features"] + 1
    return 8.0 * n_seeds * (8 * n + 2 * n * p + p * p) + 8.0 * n * p * 4


#: numpy's multivariate hypergeometric draw needs a pool below 10^9 (Accumulate-Subsample).
MAX_POOL = 10**9 - 1


def _check_run(workflow: str, n_generations: int, params: dict[str, Any]) -> None:
    if workflow == "accumulate-subsample" and params["n"] * n_generations > MAX_POOL:
        raise ParameterError(f"Accumulate-Subsample pools n x n_generations = {params['n'] * n_generations} "
                             "examples; its subsample draw needs fewer than 10^9: lower parameter 'n' or "
                             "'n_generations'")


SETTING = Setting(
    name="logistic_regression",
    params={
        "dataset": Param(lambda k, v: check_choice(k, v, DATASETS), "diabetes",
                         "data set shipped with scikit-learn: 'diabetes' (target > 100) or 'breast_cancer'"),
        "n": Param(lambda k, v: check_int(k, v, minimum=2), 309,
                   "design rows = labels per generation: the training split's first n rows, repeated in order "
                   "beyond its size (diabetes 309, breast cancer 398), int >= 2"),
        "features": Param(check_features, "all", "leading feature columns used, int >= 1 or 'all'"),
        "labels": Param(lambda k, v: check_choice(k, v, LABELS), "real",
                        "first generation's labels: 'real' (the data set's) or 'model' (drawn from the real fit)"),
    },
    metrics=METRICS,
    task=lambda p: LogisticRegressionTask(p["dataset"], p["n"], p["features"], p["labels"]),
    fast=_fast,
    fast_exact=True,  # Replace and Accumulate: the loop's draws in the loop's order (see exact_workflows)
    validate=_validate,
    validate_run=_check_run,
    finish=_finish,
    may_be_nan=frozenset(METRICS),  # missing from the generation a chain's labels become separable
    columns=COLUMNS,
    memory=_memory,
    dependencies=("scipy", "scikit-learn"),
    extra={"example": {"dataset": "diabetes", "n": 40, "features": 1}, "exact_workflows": ("replace", "accumulate")},
    doc="Logistic regression on a fixed real design (Dey & Donoho): labels redrawn from the fit each generation.",
)
