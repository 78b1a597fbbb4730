"""Kernel density estimation (chapter *Kernel density estimation*).

Each generation fits a Gaussian-kernel density estimate with bandwidth ``h`` to its
training set and draws ``n`` new points from it: a training point chosen uniformly plus
N(0, h^2 I) noise. The metric ``test_nll`` is the mean negative log-density of a held-out
REAL test set (``n_test`` points of the same distribution as the chain's real data).

Two implementations with one meaning, as for the Gaussian setting:

* :class:`KDETask` runs through the generic loop :func:`~collapse_lib.workflows.run_chain`
  (the reference, also used for the options beyond the paper);
* :func:`run_batched` is the fast path used by :func:`~collapse_lib.simulate.simulate`. It makes the
  same random draws in the same order as the generic loop, so it produces the same chains;
  it only scores them faster: all seeds at once, in cache-sized blocks, and under
  Accumulate with a fixed bandwidth it keeps a running log-sum-exp per test point, so each
  generation scores only its ``n`` new points (O(T n m) per chain instead of O(T^2 n m)).

The scores equal scikit-learn's ``KernelDensity(kernel="gaussian", bandwidth=h)
.score_samples`` wherever that is exact (tests check 1e-9 relative against it with every
point in one leaf; its default KD-tree is inexact at low densities, scikit-learn issues
#7492 and #27186), including the bandwidth rules ``"scott"`` and ``"silverman"``, which
scikit-learn computes from the size and dimension of the current training set only:
n^(-1/(d+4)) and (n (d+2)/4)^(-1/(d+4)), with no data scale.

Besides ``test_nll`` each generation records ``spread`` (mean squared distance of the
training points to their centroid), ``bandwidth`` (the h actually used) and ``ancestors``
(how many distinct real points still have descendants in the training set).

The real data come from scikit-learn's generators with noise 0.05 (blobs: three fixed
centres, standard deviation 1), train and test from the same distribution. The authors'
code drew the blobs training set and test set from two ``make_blobs`` calls, each with new
random centres; ``authors_test=True`` reruns that design (:func:`authors_blobs_test_set`)
for the chapter's note.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...setting import Param, Setting
from ...validation import ParameterError, check_bool, check_choice, check_float, check_int
from ...workflows import check_workflow, run_chain, seed_rngs

__all__ = [
    "DATASETS",
    "BANDWIDTH_RULES",
    "BLOB_CENTRES",
    "DIMENSION",
    "METRICS",
    "NOISE",
    "KDEFit",
    "KDETask",
    "SETTING",
    "authors_blobs_test_set",
    "bandwidth_for",
    "check_bandwidth",
    "evaluation_generations",
    "kde_log_density",
    "log_kernel_sums",
    "normal_sampler",
    "PreparedTest",
    "run_batched",
    "sample_dataset",
    "simulate_sampler",
    "sklearn_chain",
    "training_sets",
]

#: The paper's four data sets (scikit-learn generators).
DATASETS: tuple[str, ...] = ("blobs", "circles", "moons", "swiss_roll")
#: Bandwidth rules computed from the current training set, as scikit-learn does.
BANDWIDTH_RULES: tuple[str, ...] = ("scott", "silverman")
#: Noise of make_circles / make_moons / make_swiss_roll.
NOISE = 0.05
#: Fixed blob centres (make_blobs' default box is (-10, 10)^2; these are 10 apart, std 1).
BLOB_CENTRES = np.array([[-5.0, -5.0], [0.0, 5.0], [5.0, -5.0]])
BLOB_CENTRES.flags.writeable = False
BLOB_STD = 1.0
#: Dimension of each data set.
DIMENSION: dict[str, int] = {"blobs": 2, "circles": 2, "moons": 2, "swiss_roll": 3}
METRICS = ("test_nll", "spread", "bandwidth", "ancestors")

Sampler = Callable[[int, np.random.Generator], np.ndarray]

# --- data ----------------------------------------------------------------------------------

def _random_state(rng: np.random.Generator) -> np.random.RandomState:
    """A scikit-learn ``random_state`` drawn from ``rng`` (one draw per generator call)."""
    return np.random.RandomState(int(rng.integers(0, 2 ** 32)))


def sample_dataset(dataset: str, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` points (k, d) of ``dataset`` from scikit-learn's generator, seeded from ``rng``.

    blobs: ``make_blobs`` with the fixed :data:`BLOB_CENTRES` (std 1); circles, moons,
    swiss_roll: ``make_circles`` / ``make_moons`` / ``make_swiss_roll`` with noise 0.05.
    Note that make_circles and make_moons place their points evenly along each curve
    before adding the noise (scikit-learn's definition, kept as the authors used it).
    """
    from sklearn import datasets as skd

    check_choice("dataset", dataset, DATASETS)
    k = check_int("k", k, minimum=1)
    state = _random_state(rng)
    if dataset == "blobs":
        x = skd.make_blobs(n_samples=k, n_features=2, centers=BLOB_CENTRES, cluster_std=BLOB_STD,
                           random_state=state)[0]
    elif dataset == "circles":
        x = skd.make_circles(n_samples=k, noise=NOISE, random_state=state)[0]
    elif dataset == "moons":
        x = skd.make_moons(n_samples=k, noise=NOISE, random_state=state)[0]
    else:
        x = skd.make_swiss_roll(n_samples=k, noise=NOISE, random_state=state)[0]
    return np.ascontiguousarray(x, dtype=np.float64)


def normal_sampler(d: int = 1, sd: float = 1.0) -> Sampler:
    """A sampler of N(0, sd^2 I_d) points, usable as ``dataset`` (the chapter's 1-D picture)."""
    d = check_int("d", d, minimum=1)
    sd = check_float("sd", sd, minimum=0.0, strict_minimum=True)
    return lambda k, rng: sd * rng.standard_normal((k, d))


def authors_blobs_test_set(n_test: int, rng: np.random.Generator) -> np.ndarray:
    """A set of blobs as the authors' code draws it: one ``make_blobs(centers=3)`` call, with
    three new centres uniformly in (-10, 10)^2.

    Their code drew the training blobs and the test blobs in two such calls, so train and
    test come from different mixtures. With ``authors_test`` the setting reruns that design
    (training set and test set each from its own call); used only to show the flaw.
    """
    from sklearn import datasets as skd

    n_test = check_int("n_test", n_test, minimum=1)
    return np.ascontiguousarray(skd.make_blobs(n_samples=n_test, n_features=2, centers=3,
                                               cluster_std=BLOB_STD, random_state=_random_state(rng))[0])


def _sampler(dataset: str | Sampler) -> tuple[Sampler, int | None]:
    if callable(dataset):
        return dataset, None
    check_choice("dataset", dataset, DATASETS)
    return (lambda k, rng: sample_dataset(dataset, k, rng)), DIMENSION[dataset]


# --- bandwidth and scores ------------------------------------------------------------------

#: The smallest bandwidth: below it h^2 underflows (and 1/h^2 overflows) in double precision.
MIN_BANDWIDTH = 1e-150


def check_bandwidth(name: str, value: Any) -> float | str:
    """A bandwidth: a finite float > 0, or one of ``"scott"`` / ``"silverman"``."""
    if isinstance(value, str):
        if value not in BANDWIDTH_RULES:
            raise ParameterError(f"parameter '{name}' must be a float > 0 or one of 'scott', "
                                 f"'silverman'; got {value!r}")
        return value
    try:
        h = check_float(name, value, minimum=0.0, strict_minimum=True)
    except ParameterError:
        raise ParameterError(f"parameter '{name}' must be a float > 0 or one of 'scott', "
                             f"'silverman'; got {value!r} (type {type(value).__name__})") from None
    if h < MIN_BANDWIDTH:
        raise ParameterError(f"parameter '{name}' must be a float >= {MIN_BANDWIDTH:g} (h^2 and 1/h^2 must be "
                             f"finite in double precision) or one of 'scott', 'silverman'; got {value!r}")
    return h


def bandwidth_for(h: float | str, n_train: int, d: int) -> float:
    """The bandwidth a KDE fit on ``n_train`` points in ``d`` dimensions uses.

    A float is used as it is; ``"scott"`` is n^(-1/(d+4)) and ``"silverman"``
    (n (d+2)/4)^(-1/(d+4)), computed exactly as scikit-learn's ``KernelDensity.fit``
    (from the number of points and the dimension only: the data's scale does not enter).
    """
    if h == "scott":
        return n_train ** (-1 / (d + 4))
    if h == "silverman":
        return (n_train * (d + 2) / 4) ** (-1 / (d + 4))
    return float(h)


_BLOCK = 1 << 16        # elements of one kernel block (512 KiB: stays in the L2 cache)
_SMALL_K = 128          # up to this many training points, seeds are batched in one block
_FLOOR = -700.0         # exp() below this is < 1e-304: clamping there keeps numpy's exp off
                        # its slow subnormal path and changes no sum that matters


class PreparedTest:
    """A test set (S, m, d) made ready for :meth:`log_sums` (done once per chain batch).

    Coordinates are centred on each seed's test mean; each test point y becomes
    (y, -|y|^2/2, 1), so that one matrix product with a training point's
    (x/h^2, 1/h^2, -|x|^2/(2h^2)) gives the exponent -|y - x|^2 / (2 h^2) directly.
    """

    def __init__(self, test: np.ndarray) -> None:
        test = np.asarray(test, dtype=np.float64)
        if test.ndim == 2:
            test = test[None]
        self.shape = test.shape
        s_count, m, _ = test.shape
        self.centre = test.mean(axis=1, keepdims=True)
        y = test - self.centre
        sq = np.einsum("smd,smd->sm", y, y)
        self.y_aug = np.concatenate([y, -0.5 * sq[..., None], np.ones((s_count, m, 1))], axis=2)
        self.y_aug_t = np.ascontiguousarray(np.swapaxes(self.y_aug, 1, 2))
        self.radius = np.sqrt(sq.max(axis=1))

    def log_sums(self, train: np.ndarray, h: float) -> np.ndarray:
        """(S, m): log sum_i exp(-|y_j - x_i|^2 / (2 h^2)) over the training points x_i."""
        if train.ndim == 2:
            train = train[None]
        s_count, m, d = self.shape
        k = train.shape[1]
        if train.shape[0] != s_count or train.shape[2] != d:
            raise ValueError(f"test {self.shape} and train {train.shape} do not match")
        x = train - self.centre
        sq = np.einsum("skd,skd->sk", x, x)
        inv = 1.0 / (h * h)
        x_aug = np.concatenate([x * inv, np.full((s_count, k, 1), inv), (-0.5 * inv) * sq[..., None]],
                               axis=2)                                           # (S, k, d+2)
        # When every pair is close enough that no exponent falls below the floor, the plain
        # sum of exp() is exact and cannot underflow; otherwise shift by each row's maximum.
        far = 0.5 * inv * (self.radius + np.sqrt(sq.max(axis=1))) ** 2 > -_FLOOR
        out = np.empty((s_count, m))
        if k <= _SMALL_K:
            # layout (seed, train, test): reductions over the middle axis are vector operations
            step = max(1, _BLOCK // (k * m))
            for s0 in range(0, s_count, step):
                sl = slice(s0, s0 + step)
                e = np.matmul(x_aug[sl], self.y_aug_t[sl])                       # (s, k, m)
                if far[sl].any():
                    # shift only the seeds that need it: a seed's numbers never depend on
                    # the seeds beside it (a shift of 0 leaves the plain sum, bit for bit)
                    top = e.max(axis=1)
                    top[~far[sl]] = 0.0
                    e -= top[:, None, :]
                    np.maximum(e, _FLOOR, out=e)
                    np.exp(e, out=e)
                    out[sl] = np.log(e.sum(axis=1)) + top
                else:
                    np.exp(e, out=e)
                    out[sl] = np.log(e.sum(axis=1))
        else:
            x_aug_t = np.ascontiguousarray(np.swapaxes(x_aug, 1, 2))            # (S, d+2, k)
            rows = max(1, _BLOCK // k)
            for s in range(s_count):
                for r0 in range(0, m, rows):
                    e = self.y_aug[s, r0:r0 + rows] @ x_aug_t[s]                  # (rows, k)
                    if far[s]:
                        out[s, r0:r0 + rows] = _shifted_lse(e)
                    else:
                        np.exp(e, out=e)
                        out[s, r0:r0 + rows] = np.log(e.sum(axis=1))
        return out


def _shifted_lse(e: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp of ``e`` (b, k), shifted by each row's maximum (in place)."""
    top = e.max(axis=1)
    e -= top[:, None]
    np.maximum(e, _FLOOR, out=e)
    np.exp(e, out=e)
    return np.log(e.sum(axis=1)) + top


def log_kernel_sums(test: np.ndarray, train: np.ndarray, h: float) -> np.ndarray:
    """log sum_i exp(-|y_j - x_i|^2 / (2 h^2)) for every test point y_j.

    ``test`` (S, m, d) and ``train`` (S, k, d) hold S independent problems (seeds); 2-D
    inputs are one problem. Returns (S, m) (or (m,)). Exact to rounding (absolute error
    about 1e-16 R^2 / h^2, R the test set's radius): the exponents come from one matrix
    product of augmented coordinates (centred on the test mean),
    blockwise so that every pass stays in cache; the usual shift by each row's maximum is
    applied only where some exponent could fall below -700 (a bound on all distances).
    """
    single = np.ndim(test) == 2
    out = PreparedTest(test).log_sums(np.asarray(train, dtype=np.float64), h)
    return out[0] if single else out


def _log_norm(k: int, h: float, d: int) -> float:
    """log of the KDE's normalising constant: k (2 pi)^(d/2) h^d."""
    return math.log(k) + 0.5 * d * math.log(2 * math.pi) + d * math.log(h)


def kde_log_density(train: np.ndarray, test: np.ndarray, h: float | str) -> np.ndarray:
    """log density of the Gaussian KDE of ``train`` (k, d) at each row of ``test`` (m, d).

    The same numbers as ``KernelDensity(kernel="gaussian", bandwidth=h,
    leaf_size=len(train)).fit(train).score_samples(test)`` (scikit-learn's exact sum; its
    default tree can be off at low densities); ``h`` may be ``"scott"`` or ``"silverman"``.
    """
    train = np.asarray(train, dtype=np.float64)
    test = np.asarray(test, dtype=np.float64)
    k, d = train.shape
    bw = bandwidth_for(h, k, d)
    return log_kernel_sums(test, train, bw) - _log_norm(k, bw, d)


def evaluation_generations(n_generations: int, eval_points: int) -> np.ndarray:
    """Boolean mask (T,) of the generations at which ``test_nll`` is computed.

    ``eval_points = 0`` (or >= T): every generation. Otherwise about ``eval_points``
    log-spaced generations, always including 1 and T (for long horizons on a log axis).
    """
    mask = np.zeros(n_generations, dtype=bool)
    if eval_points == 0 or eval_points >= n_generations:
        mask[:] = True
        return mask
    ts = np.unique(np.round(np.geomspace(1, n_generations, max(eval_points, 2))).astype(np.int64))
    mask[ts - 1] = True
    return mask


# --- the generic loop ----------------------------------------------------------------------

def _point_dtype(d: int) -> np.dtype:
    return np.dtype([("x", np.float64, (d,)), ("ancestor", np.int64)])


class KDEFit:
    """A fitted KDE: its points (k, d), their real ancestors (k,) and the bandwidth used."""

    def __init__(self, points: np.ndarray, ancestors: np.ndarray, bandwidth: float) -> None:
        self.points = points
        self.ancestors = ancestors
        self.bandwidth = bandwidth


class KDETask:
    """The KDE setting for the generic loop :func:`~collapse_lib.workflows.run_chain`.

    Examples are points tagged with the index of their real ancestor (a structured array
    with fields ``x`` and ``ancestor``), so that the loop's bookkeeping carries the
    genealogy along. ``dataset`` is one of :data:`DATASETS` or a sampler
    ``(k, rng) -> (k, d) array`` (the chapter's 1-D illustration uses one).

    The first real draw of a chain (``sample_real`` with a generator not seen before) is
    followed, from the same generator, by the chain's held-out test set: the same draws, in
    the same order, as :func:`run_batched`. Later draws from that generator (the option
    ``fresh_real``) get new ancestor indices.
    """

    def __init__(self, dataset: str | Sampler = "moons", h: float | str = 0.1, n_test: int = 500,
                 authors_test: bool = False) -> None:
        self._draw, self.d = _sampler(dataset)
        self.dataset = dataset
        self.h = check_bandwidth("h", h)
        self.n_test = check_int("n_test", n_test, minimum=1)
        if authors_test and dataset != "blobs":
            raise ParameterError("parameter 'authors_test' applies to dataset 'blobs' only; "
                                 f"got dataset {dataset!r}")
        self.authors_test = check_bool("authors_test", authors_test)
        self.test: np.ndarray | None = None
        self._prepared: PreparedTest | None = None
        self._chain_rng: np.random.Generator | None = None
        self._next_id = 0

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        x = authors_blobs_test_set(n, rng) if self.authors_test else self._draw(n, rng)
        if self.d is None:
            self.d = x.shape[1]
        if rng is not self._chain_rng:  # a new chain: its test set follows its real data
            self._chain_rng = rng
            self._next_id = 0
            self.test = authors_blobs_test_set(self.n_test, rng) if self.authors_test \
                else self._draw(self.n_test, rng)
            self._prepared = PreparedTest(self.test)
        out = np.empty(n, dtype=_point_dtype(x.shape[1]))
        out["x"] = x
        out["ancestor"] = np.arange(self._next_id, self._next_id + n)
        self._next_id += n
        return out

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> KDEFit:
        points = np.ascontiguousarray(data["x"])
        return KDEFit(points, np.asarray(data["ancestor"]), bandwidth_for(self.h, *points.shape))

    def sample(self, model: KDEFit, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points of the KDE: a training point picked uniformly, plus N(0, h^2 I)."""
        k, d = model.points.shape
        idx = rng.integers(0, k, size=n)
        noise = rng.standard_normal((n, d))
        out = np.empty(n, dtype=_point_dtype(d))
        out["x"] = model.points[idx] + model.bandwidth * noise
        out["ancestor"] = model.ancestors[idx]  # the genealogy travels along
        return out

    def evaluate(self, model: KDEFit) -> dict[str, float]:
        if self._prepared is None:
            raise RuntimeError("evaluate() before sample_real(): the chain has no test set yet")
        k, d = model.points.shape
        scores = self._prepared.log_sums(model.points[None], model.bandwidth)[0]
        centred = model.points - model.points.mean(axis=0)
        return {
            "test_nll": float(-(scores.mean() - _log_norm(k, model.bandwidth, d))),
            "spread": float(np.einsum("kd,kd->k", centred, centred).mean()),
            "bandwidth": float(model.bandwidth),
            "ancestors": float(np.unique(model.ancestors).size),
        }


class _RecordingTask:
    """Wraps a task and keeps the training sets that ``run_chain`` fits, by generation."""

    def __init__(self, task: KDETask, keep: set[int]) -> None:
        self.task, self.keep, self.t = task, keep, 0
        self.sets: dict[int, np.ndarray] = {}

    def sample_real(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.task.sample_real(n, rng)

    def fit(self, data: np.ndarray, rng: np.random.Generator | None = None) -> KDEFit:
        self.t += 1
        if self.t in self.keep:
            self.sets[self.t] = np.array(data["x"])
        return self.task.fit(data, rng)

    def sample(self, model: KDEFit, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.task.sample(model, n, rng)

    def evaluate(self, model: KDEFit) -> dict[str, float]:
        return self.task.evaluate(model)


def training_sets(workflow: str, *, dataset: str | Sampler = "moons", n: int = 100,
                  h: float | str = 0.1, n_generations: int, seed: int,
                  keep: Sequence[int]) -> dict[int, np.ndarray]:
    """The training points of one chain at the generations in ``keep`` (for pictures).

    Runs the generic loop (:func:`~collapse_lib.workflows.run_chain`), so these are the
    points behind the metrics of the same seed in :func:`~collapse_lib.simulate`.
    """
    wanted = {check_int("keep[]", t, minimum=1, maximum=n_generations) for t in keep}
    recorder = _RecordingTask(KDETask(dataset, h), wanted)
    run_chain(recorder, check_workflow(workflow), n=n, n_generations=max(wanted), seed=seed)
    return {t: recorder.sets[t] for t in sorted(wanted)}


# --- the fast path -------------------------------------------------------------------------

def _distinct_per_row(a: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct values in each row of ``a`` (S, k), values in 0..n-1."""
    s_count = a.shape[0]
    counts = np.bincount((a + n * np.arange(s_count)[:, None]).ravel(), minlength=s_count * n)
    return np.count_nonzero(counts.reshape(s_count, n), axis=1)


def _run_chunk(workflow: str, T: int, seeds: list[int], draw: Sampler, n: int, h: float | str,
               n_test: int, eval_mask: np.ndarray, authors_test: bool) -> dict[str, np.ndarray]:
    s_count = len(seeds)
    rngs = [seed_rngs(s) for s in seeds]
    reals, tests = [], []
    for rng_real, _ in rngs:  # same draws, same order, as KDETask.sample_real
        reals.append(authors_blobs_test_set(n, rng_real) if authors_test else draw(n, rng_real))
        tests.append(authors_blobs_test_set(n_test, rng_real) if authors_test else draw(n_test, rng_real))
    real, test = np.stack(reals), PreparedTest(np.stack(tests))
    d = real.shape[2]
    rows = np.arange(s_count)[:, None]
    out = {m: np.full((s_count, T), np.nan) for m in METRICS}
    fixed_h = not isinstance(h, str)
    if workflow == "replace":
        x, anc = real, np.tile(np.arange(n), (s_count, 1))
    else:
        pool = np.empty((s_count, T * n, d))
        pool_anc = np.empty((s_count, T * n), dtype=np.int64)
        pool[:, :n], pool_anc[:, :n] = real, np.arange(n)
    if workflow == "accumulate":
        sum1 = real.sum(axis=1)                      # running sums for the spread
        sum2 = np.einsum("snd,snd->s", real, real)
        running = None                               # running log-sum-exp (fixed h)
    for t in range(1, T + 1):
        size = t * n
        if workflow == "accumulate-subsample":
            picks = np.stack([rng.choice(size, n, replace=False) for _, rng in rngs])
            x, anc = pool[rows, picks], pool_anc[rows, picks]
        elif workflow == "accumulate":
            x, anc = pool[:, :size], pool_anc[:, :size]
        k = x.shape[1]
        bw = bandwidth_for(h, k, d)
        scores = None
        if workflow == "accumulate" and fixed_h:
            fresh = test.log_sums(pool[:, size - n:size], bw)
            running = fresh if running is None else np.logaddexp(running, fresh)
            scores = running
        elif eval_mask[t - 1]:
            scores = test.log_sums(x, bw)
        if scores is not None and eval_mask[t - 1]:
            out["test_nll"][:, t - 1] = -(scores.mean(axis=1) - _log_norm(k, bw, d))
        if workflow == "accumulate":
            centroid = sum1 / k
            out["spread"][:, t - 1] = sum2 / k - np.einsum("sd,sd->s", centroid, centroid)
            out["ancestors"][:, t - 1] = n            # every real point stays in the training set
        else:
            centred = x - x.mean(axis=1, keepdims=True)
            out["spread"][:, t - 1] = np.einsum("skd,skd->sk", centred, centred).mean(axis=1)
            out["ancestors"][:, t - 1] = _distinct_per_row(anc, n)
        out["bandwidth"][:, t - 1] = bw
        if t == T:
            break
        new = np.empty((s_count, n, d))
        new_anc = np.empty((s_count, n), dtype=np.int64)
        for i, (_, rng) in enumerate(rngs):  # same draws, same order, as KDETask.sample
            idx = rng.integers(0, k, size=n)
            new[i] = x[i, idx] + bw * rng.standard_normal((n, d))
            new_anc[i] = anc[i, idx]
        if workflow == "replace":
            x, anc = new, new_anc
        else:
            pool[:, size:size + n], pool_anc[:, size:size + n] = new, new_anc
            if workflow == "accumulate":
                sum1 += new.sum(axis=1)
                sum2 += np.einsum("snd,snd->s", new, new)
    return out


#: Memory for one batch of seeds' pools (Accumulate and Accumulate-Subsample keep every point).
MEMORY_BUDGET = 1 << 28


def run_batched(workflow: str, n_generations: int, seeds: list[int], *,
                dataset: str | Sampler = "moons", n: int = 100, h: float | str = 0.1,
                n_test: int = 500, eval_points: int = 0,
                authors_test: bool = False) -> dict[str, np.ndarray]:
    """All seeds of one (workflow, dataset, n, h) cell; returns ``metric -> (S, T)`` arrays.

    The draws are those of :class:`KDETask` in :func:`~collapse_lib.workflows.run_chain`,
    seed by seed, so a seed's numbers do not depend on the seeds beside it. Seeds run in
    batches whose pools fit in :data:`MEMORY_BUDGET` bytes (memory stays bounded for long
    horizons). ``test_nll`` is NaN at generations outside :func:`evaluation_generations`.
    """
    workflow = check_workflow(workflow)
    draw, d = _sampler(dataset)
    if d is None:
        d = draw(1, np.random.default_rng(0)).shape[1]
    T = check_int("n_generations", n_generations, minimum=1)
    eval_mask = evaluation_generations(T, eval_points)
    per_seed = n * (8 * d + 8) * (1 if workflow == "replace" else T)
    step = int(max(1, min(len(seeds), MEMORY_BUDGET // per_seed)))
    parts = []
    for c0 in range(0, len(seeds), step):
        parts.append(_run_chunk(workflow, T, list(seeds[c0:c0 + step]), draw, n, h, n_test,
                                eval_mask, authors_test))
    return {m: np.concatenate([p[m] for p in parts], axis=0) for m in METRICS}


def simulate_sampler(workflow: str, *, dataset: Sampler, n_generations: int, seeds: Sequence[int],
                     n: int, h: float | str, n_test: int = 500, eval_points: int = 0) -> pd.DataFrame:
    """:func:`~collapse_lib.simulate` for real data from a custom sampler (same tidy columns).

    The setting ``"kde"`` takes only the paper's data sets by name; the chapter's 1-D
    illustration draws its real data from :func:`normal_sampler` through this function.
    """
    seeds = list(seeds)
    arrays = run_batched(workflow, n_generations, seeds, dataset=dataset, n=n, h=h, n_test=n_test,
                         eval_points=eval_points)
    s, t = len(seeds), n_generations
    frame = {"setting": "kde", "workflow": workflow, "seed": np.repeat(np.asarray(seeds, dtype=np.int64), t),
             "generation": np.tile(np.arange(1, t + 1, dtype=np.int64), s), "n": n, "h": h, "n_test": n_test}
    frame.update({m: arrays[m].reshape(-1) for m in METRICS})
    return pd.DataFrame(frame)


# --- scikit-learn reference loop (tests and benchmark) -------------------------------------

def sklearn_chain(workflow: str, n_generations: int, seed: int, *, dataset: str = "moons",
                  n: int = 100, h: float | str = 0.1, n_test: int = 500) -> np.ndarray:
    """``test_nll`` per generation of one chain run as the authors do, with scikit-learn.

    Each generation calls ``KernelDensity(kernel="gaussian", bandwidth=h)`` ``fit``,
    ``score_samples`` on the test set and ``sample``, rescoring every point. The real data
    and test set are those of ``seed`` (so generation 1 equals :func:`run_batched`'s); the
    later draws come from scikit-learn's sampler, an independent implementation.
    """
    from sklearn.neighbors import KernelDensity

    workflow = check_workflow(workflow)
    rng_real, rng = seed_rngs(seed)
    data = sample_dataset(dataset, n, rng_real)
    test = sample_dataset(dataset, n_test, rng_real)
    state = _random_state(rng)
    nll = np.empty(n_generations)
    for t in range(n_generations):
        train = data[state.choice(len(data), n, replace=False)] \
            if workflow == "accumulate-subsample" else data
        kde = KernelDensity(kernel="gaussian", bandwidth=h).fit(train)
        nll[t] = -kde.score_samples(test).mean()
        if t + 1 < n_generations:
            new = kde.sample(n, random_state=state)
            data = new if workflow == "replace" else np.concatenate([data, new])
    return nll


# --- the setting ---------------------------------------------------------------------------

def _check_cell(values: dict[str, Any]) -> None:
    if values["authors_test"] and values["dataset"] != "blobs":
        raise ParameterError("parameter 'authors_test' applies to dataset 'blobs' only; "
                             f"got dataset {values['dataset']!r}")


def _task(params: dict[str, Any]) -> KDETask:
    return KDETask(params["dataset"], params["h"], params["n_test"], params["authors_test"])


def _fast(workflow: str, n_generations: int, seeds: list[int], params: dict[str, Any]) -> dict[str, np.ndarray]:
    return run_batched(workflow, n_generations, seeds, **params)


def _finish(arrays: dict[str, np.ndarray], params: dict[str, Any], n_generations: int) -> dict[str, np.ndarray]:
    """``test_nll`` is scored only at :func:`evaluation_generations` (NaN elsewhere)."""
    arrays["test_nll"] = np.array(arrays["test_nll"], dtype=float)
    arrays["test_nll"][:, ~evaluation_generations(n_generations, params["eval_points"])] = np.nan
    return arrays


def _memory(workflow: str, n_generations: int, n_seeds: int, params: dict[str, Any]) -> float:
    d = DIMENSION[params["dataset"]]
    per_seed = params["n"] * (8 * d + 8) * (1 if workflow == "replace" else n_generations)
    batch = max(1, min(n_seeds, MEMORY_BUDGET // per_seed))
    return 2.0 * batch * per_seed + 16.0 * n_seeds * params["n_test"] * (d + 2) + 8.0 * _BLOCK * 2


SETTING = Setting(
    name="kde",
    params={
        "dataset": Param(lambda k, v: check_choice(k, v, DATASETS), "moons",
                         "one of 'blobs', 'circles', 'moons', 'swiss_roll'"),
        "n": Param(lambda k, v: check_int(k, v, minimum=1), 100, "samples per generation, int >= 1"),
        "h": Param(check_bandwidth, 0.1, "bandwidth: float > 0, 'scott' or 'silverman'"),
        "n_test": Param(lambda k, v: check_int(k, v, minimum=1), 500, "held-out real test points, int >= 1"),
        "eval_points": Param(lambda k, v: check_int(k, v, minimum=0), 0,
                             "score the test set at about this many log-spaced generations; 0 = all"),
        "authors_test": Param(check_bool, False,
                              "blobs only: the authors' flawed design (training and test sets from two "
                              "make_blobs calls, each with new random centres)"),
    },
    metrics=METRICS,
    task=_task,
    fast=_fast,
    fast_exact=True,  # the fast path makes the loop's draws, in the loop's order
    validate=_check_cell,
    finish=_finish,
    may_be_nan=frozenset({"test_nll"}),
    memory=_memory,
    dependencies=("scikit-learn",),
    mixing_task=_task,
    doc="Gaussian kernel density estimation on scikit-learn's toy data sets.",
    extra={"example": {"dataset": "moons", "n": 12, "n_test": 40}},
)
