"""The value of synthetic data: one generation, real and synthetic mixed (chapter *The value
of synthetic data*).

The experiment, for each seed and each cell ``(num_real, num_synthetic)``:

1. a pool of ``n_available`` real examples (the data set that exists);
2. a *generator* is fit on real data and writes ``num_synthetic`` synthetic examples;
3. a *learner* is fit on ``num_real`` real examples (a random subset of the pool) plus those
   synthetic examples, and is scored against the real distribution (held-out real data, or
   the truth in closed form).

It is generic over the :class:`~collapse_lib.workflows.Task` protocol (``sample_real``,
``fit``, ``sample``, ``evaluate``): a Gaussian scored by its exact held-out NLL
(:class:`collapse_lib.settings.gaussian.GaussianNLLTask`), a kernel density estimate
(:class:`collapse_lib.settings.kde.KDETask`),
a random-design linear regression (:class:`collapse_lib.settings.linear_regression.RegressionTask`),
or any other task.

What the generator saw is a parameter, because it decides what synthetic data can carry:

* ``generator="pool"``: fit on the whole pool of real data, as a synthetic data set written
  by a model trained on more real data than the learner gets (the paper's set-up uses a
  fixed synthetic data set written by a fine-tuned model);
* ``generator="subset"``: fit on the learner's own ``num_real`` real examples (pure
  self-augmentation: no information the learner did not have).

Flaws of the authors' analysis fixed here (chapter *Errata of the reference code*):

* the real subset is random per seed (they took the first N rows of the data set, so with
  a fixed data set every seed trained on the same real examples); ``subset="first"``
  reproduces their choice for comparison;
* a requested ``num_real`` above ``n_available`` is capped at what exists, and the output
  says so (columns ``num_real_requested``, ``capped``; a :class:`CappedWarning`);
* the regressions of the loss on counts or proportions have an intercept
  (:func:`fit_linear`); their fit had none, which makes its R^2 meaningless;
* a fixed-compute variant (:func:`fixed_compute_cells`): the training-set size is the same
  for every mix, so a benefit of synthetic data cannot come from training on more examples.

Random streams (determinism): the pool comes from ``seed_rngs(seed)[0]`` (or from
``seed_rngs(pool_seed)[0]`` for one data set shared by every seed); the subset order from
``seed_rngs(seed)[1]``; the generator's samples from ``default_rng([seed, 2, ...])``. Within a
seed the real subsets are nested (the first ``num_real`` of one random permutation) and so are
the synthetic sets (the first ``num_synthetic`` of one draw of the largest size): common
random numbers, so differences between cells are measured with little noise. A cell's
numbers depend on its seed and on the largest ``num_synthetic`` of the grid.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .registry import SETTINGS, check_params, get_setting
from .stats import paired_difference
from .validation import (
    ParameterError,
    check_choice,
    check_float_list,
    check_int,
    check_int_list,
    check_seeds,
)
from .workflows import Task, concat_examples, seed_rngs, take_examples

__all__ = [
    "GENERATORS",
    "SUBSETS",
    "CappedWarning",
    "make_task",
    "grid_cells",
    "fixed_compute_cells",
    "run_value",
    "LinearFit",
    "fit_linear",
    "compare_predictors",
    "synthetic_benefit",
    "pm_text",
    "count_text",
    "benefit_wide",
]

GENERATORS: tuple[str, ...] = ("pool", "subset")
SUBSETS: tuple[str, ...] = ("random", "first")

class CappedWarning(UserWarning):
    """A requested ``num_real`` exceeds the real data that exist; it was capped."""


# --- tasks ---------------------------------------------------------------------------------

def make_task(setting: str, **params: Any) -> Callable[[], Task]:
    """A factory of fresh tasks (one per seed) for the settings that take part in the
    experiment (those whose :class:`~collapse_lib.setting.Setting` has a ``mixing_task``).

    ``params`` are the setting's parameters, checked now (unknown names and bad values fail
    here, not in the middle of a run): gaussian ``d``, ``sigma2`` (scored by its exact
    held-out NLL); kde ``dataset``, ``h``, ``n_test``; linear_regression ``d``, ``sigma2``
    (a random design).
    """
    names = tuple(name for name in SETTINGS if get_setting(name).mixing_task is not None)
    spec = get_setting(check_choice("setting", setting, names))
    values = check_params(spec, params)
    build = spec.mixing_task
    assert build is not None
    build(values)  # builds one now: fails before any seed runs
    return lambda: build(values)


# --- the cells -----------------------------------------------------------------------------

def grid_cells(num_real: Sequence[int], num_synthetic: Sequence[int]) -> list[tuple[int, int]]:
    """Every (num_real, num_synthetic) pair of the two lists (duplicates dropped, order kept)."""
    reals = check_int_list("num_real", num_real, minimum=0)
    synths = check_int_list("num_synthetic", num_synthetic, minimum=0)
    cells = list(dict.fromkeys((r, s) for r in reals for s in synths))
    if any(r + s == 0 for r, s in cells):
        raise ParameterError("a cell with num_real = num_synthetic = 0 has no training data; "
                             "drop 0 from one of the lists")
    return cells


def fixed_compute_cells(budget: int, real_proportions: Sequence[float]) -> list[tuple[int, int]]:
    """Cells of one training-set size: num_real = round(p * budget), num_synthetic = budget - num_real.

    The fixed-compute variant: every mix trains on exactly ``budget`` examples, so a change
    in loss comes from what the examples are, not from how many there are.
    """
    budget = check_int("budget", budget, minimum=1)
    props = check_float_list("real_proportions", real_proportions, minimum=0.0, maximum=1.0)
    cells = [(int(round(p * budget)), budget - int(round(p * budget))) for p in props]
    return list(dict.fromkeys(cells))


# --- the experiment ------------------------------------------------------------------------

def _head(data: Any, k: int) -> Any:
    return data[:k]


class _PerSeed:
    """Tasks of the protocol, one per seed, behind the interface of a batched task."""

    batched = False

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks

    def sample_real(self, i: int, n: int, rng: np.random.Generator) -> Any:
        return self.tasks[i].sample_real(n, rng)

    def fit_many(self, jobs: list[tuple[int, Any, np.random.Generator]]) -> list[Any]:
        return [self.tasks[i].fit(data, rng) for i, data, rng in jobs]

    def sample_many(self, jobs: list[tuple[int, Any, int, np.random.Generator]]) -> list[Any]:
        return [self.tasks[i].sample(model, n, rng) for i, model, n, rng in jobs]

    def evaluate_many(self, jobs: list[tuple[int, Any]]) -> list[dict[str, float]]:
        return [dict(self.tasks[i].evaluate(model)) for i, model in jobs]


def _runner(make: Callable[[], Any], count: int) -> Any:
    """A task that runs many fits at once (``batched`` True: one task for every seed, such
    as the language model's), or per-seed tasks of the protocol behind the same interface."""
    first = make()
    if getattr(first, "batched", False):
        return first
    return _PerSeed([first] + [make() for _ in range(count - 1)])


def _run_chunk(chunk: list[int], seed_list: list[int], gen_task: Any, learner_tasks: Mapping[str, Any],
               results: dict[tuple[str, int, int, int], dict[str, float]], *, n_available: int, generator: str,
               subset: str, pool_seed: int | None, cells: list[tuple[int, int]], bar: Any) -> None:
    """The experiment for the seeds ``chunk`` (indices into ``seed_list``), into ``results``."""
    max_syn = max(s for _, s in cells)
    reals_used = sorted({r for r, _ in cells})
    # 1. each seed's real data and its order
    pools, orders = {}, {}
    for i in chunk:
        seed = seed_list[i]
        rng_pool = seed_rngs(pool_seed if pool_seed is not None else seed)[0]
        pools[i] = gen_task.sample_real(i, n_available, rng_pool)
        orders[i] = seed_rngs(seed)[1].permutation(n_available) if subset == "random" else np.arange(n_available)
    # 2. the generators and their synthetic data (each cell takes the first num_synthetic of one draw)
    synth: dict[tuple[int, int], Any] = {}
    if max_syn > 0:
        if generator == "pool":
            jobs = [(i, pools[i], np.random.default_rng([seed_list[i], 2])) for i in chunk]
            reals = [None] * len(jobs)
        else:
            jobs = [(i, take_examples(pools[i], orders[i][:r]), np.random.default_rng([seed_list[i], 2, r]))
                    for i in chunk for r in reals_used if r > 0]
            reals = [r for _ in chunk for r in reals_used if r > 0]
        models = gen_task.fit_many(jobs)
        drawn = gen_task.sample_many([(i, m, max_syn, rng) for (i, _, rng), m in zip(jobs, models)])
        del models
        for (i, _, _), r, out in zip(jobs, reals, drawn):
            for key in ([(i, x) for x in reals_used] if r is None else [(i, r)]):
                synth[key] = out
    # 3. the learners, one cell at a time (every seed of the chunk at once)
    for r, s in cells:
        datas = {}
        for i in chunk:
            parts = [take_examples(pools[i], orders[i][:r])]
            if s > 0:
                parts.append(_head(synth[(i, r)], s))
            datas[i] = concat_examples(parts)
        for label, task in learner_tasks.items():
            jobs = [(i, datas[i], np.random.default_rng([seed_list[i], 3, r, s])) for i in chunk]
            models = task.fit_many(jobs)
            metrics = task.evaluate_many([(i, m) for (i, _, _), m in zip(jobs, models)])
            del models
            for i, values in zip(chunk, metrics):
                info = getattr(synth.get((i, r)), "info", {}) if s > 0 else {}
                results[(label, i, r, s)] = {**values, **{f"generator_{k}": v for k, v in info.items()}}
        if bar is not None:
            bar.update(len(chunk))


def run_value(make: Callable[[], Task], cells: Sequence[tuple[int, int]], *, seeds: int | Iterable[int],
              n_available: int, generator: str = "pool", subset: str = "random",
              pool_seed: int | None = None, setting: str = "custom", design: str = "grid",
              learners: Mapping[str, Callable[[], Task]] | None = None,
              progress: bool = False) -> pd.DataFrame:
    """Run the mixing experiment for every seed and cell; one row per (learner, seed, cell).

    ``make()`` returns a fresh task (one per seed): it draws the real data and is the
    generator. ``cells`` are (num_real, num_synthetic) pairs (:func:`grid_cells`,
    :func:`fixed_compute_cells`). ``n_available`` real examples exist per seed (or in
    total, with ``pool_seed``: one data set shared by every seed, as a real corpus is); a
    larger ``num_real`` is capped at it, flagged in the ``capped`` column and warned about.
    ``generator``: ``"pool"`` (fit on all ``n_available`` real examples) or ``"subset"``
    (fit on the learner's ``num_real`` examples: self-augmentation). ``subset``:
    ``"random"`` (a random subset per seed) or ``"first"`` (the first rows, the authors'
    choice). ``learners``: several learners fed by the same generators and the same
    synthetic data, by label (the ``design`` column; default: the task of ``make``, labelled
    ``design``).

    A task may run many fits at once (attribute ``batched``: then ``make()`` is called once
    and serves every seed, through ``fit_many``, ``sample_many`` and ``evaluate_many``; the
    language model's is one); the numbers are those of the same fits run one by one.

    Columns: setting, design, generator, subset, seed, n_available, num_real_requested,
    num_real, capped, num_synthetic, total, real_proportion, then the task's metrics (and
    what the generator's samples report, with the prefix ``generator_``, where
    num_synthetic > 0).
    """
    seed_list = check_seeds(seeds)
    n_available = check_int("n_available", n_available, minimum=1)
    generator = check_choice("generator", generator, GENERATORS)
    subset = check_choice("subset", subset, SUBSETS)
    if pool_seed is not None:
        pool_seed = check_int("pool_seed", pool_seed, minimum=0)
    cells = [(check_int("num_real", r, minimum=0), check_int("num_synthetic", s, minimum=0)) for r, s in cells]
    if not cells:
        raise ParameterError("parameter 'cells' must hold at least one (num_real, num_synthetic) pair")
    used = [(min(r, n_available), s) for r, s in cells]
    if any(r + s == 0 for r, s in used):
        raise ParameterError("a cell has no training data (num_real = num_synthetic = 0)")
    if generator == "subset" and any(r == 0 and s > 0 for r, s in used):
        raise ParameterError("generator='subset' fits the generator on the learner's real examples, "
                             "so every cell with synthetic data needs num_real >= 1")
    capped = sorted({r for r, _ in cells if r > n_available})
    if capped:
        warnings.warn(f"num_real {capped} exceed the {n_available} real examples that exist; "
                      f"capped at {n_available} (column 'capped')", CappedWarning, stacklevel=2)
    learner_makers = dict(learners) if learners else {design: make}
    distinct = list(dict.fromkeys(used))
    S = len(seed_list)
    gen_task = _runner(make, S)
    learner_tasks = {label: gen_task if maker is make else _runner(maker, S)
                     for label, maker in learner_makers.items()}
    # tasks of small numpy arrays run fastest on one BLAS thread; a batched task keeps its own
    limits = contextlib.nullcontext() if gen_task.batched else threadpool_limits(1, user_api="blas")
    results: dict[tuple[str, int, int, int], dict[str, float]] = {}
    # a batched task takes every seed at once; tasks of the protocol one seed at a time
    chunks = [list(range(S))] if gen_task.batched else [[i] for i in range(S)]
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415  (loads when a run starts: import collapse_lib stays fast)

        bar = tqdm(total=S * len(distinct), desc=f"value {setting}", unit="cell", mininterval=1.0)
    with limits:
        for chunk in chunks:
            _run_chunk(chunk, seed_list, gen_task, learner_tasks, results, n_available=n_available,
                       generator=generator, subset=subset, pool_seed=pool_seed, cells=distinct, bar=bar)
    if bar is not None:
        bar.close()
    rows: list[dict[str, Any]] = []
    for label in learner_makers:
        for i, seed in enumerate(seed_list):
            for (req, s), (r, _) in zip(cells, used):
                rows.append({"setting": setting, "design": label, "generator": generator, "subset": subset,
                             "seed": seed, "n_available": n_available, "num_real_requested": req,
                             "num_real": r, "capped": req > r, "num_synthetic": s, "total": r + s,
                             "real_proportion": r / (r + s), **results[(label, i, r, s)]})
    frame = pd.DataFrame(rows)
    frame.attrs["capped"] = capped
    return frame


# --- analysis ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearFit:
    """Least squares y ~ intercept + x @ coef: coefficients, R^2 and how R^2 was computed.

    With an intercept, R^2 = 1 - RSS / sum (y - mean y)^2 (the usual, centred one). Without,
    R^2 = 1 - RSS / sum y^2 (uncentred: what statsmodels reports for a model without a
    constant); it is close to 1 for any predictor whenever y is far from 0, which is why a
    fit without an intercept cannot compare predictors.
    """

    intercept: float
    coef: np.ndarray
    r2: float
    centred: bool
    n: int

    @property
    def slope(self) -> float:
        """The coefficient of a single predictor."""
        return float(self.coef[0])


def fit_linear(x: Any, y: Any, *, intercept: bool = True) -> LinearFit:
    """Ordinary least squares of ``y`` on the columns of ``x`` with ``numpy.linalg.lstsq``.

    ``intercept=True`` (the default, and the right choice) adds a column of ones;
    ``intercept=False`` reproduces the authors' fit through the origin, for comparison.
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    x = np.asarray(x, dtype=float)
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    if x.shape[0] != y.shape[0]:
        raise ParameterError(f"x has {x.shape[0]} rows and y {y.shape[0]}; they must match")
    keep = np.isfinite(y) & np.isfinite(x).all(axis=1)
    x, y = x[keep], y[keep]
    k = x.shape[1] + (1 if intercept else 0)
    if y.shape[0] <= k:
        raise ParameterError(f"need more than {k} finite rows to fit {k} coefficients; got {y.shape[0]}")
    design = np.column_stack([np.ones(len(y)), x]) if intercept else x
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    rss = float(resid @ resid)
    total = float(((y - y.mean()) ** 2).sum()) if intercept else float(y @ y)
    r2 = 1.0 - rss / total if total > 0 else math.nan
    return LinearFit(intercept=float(beta[0]) if intercept else 0.0,
                     coef=np.asarray(beta[1:] if intercept else beta), r2=r2, centred=intercept,
                     n=int(y.shape[0]))


#: Predictors of the loss compared by :func:`compare_predictors` (name -> column function).
PREDICTORS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "log2 num_real": lambda f: np.log2(f["num_real"]),
    "real proportion": lambda f: f["real_proportion"],
    "log2 total": lambda f: np.log2(f["total"]),
}


def compare_predictors(frame: pd.DataFrame, metric: str, *, log_metric: bool = False,
                       predictors: dict[str, Callable[[pd.DataFrame], pd.Series]] | None = None
                       ) -> pd.DataFrame:
    """Which single quantity explains the loss: the number of real examples, the real
    proportion, or the training-set size? One row per predictor.

    Fits the cell means (mean over seeds of ``metric``, or of its log with ``log_metric``)
    on each predictor, with an intercept (``slope``, ``intercept``, ``r2``) and, for
    comparison, through the origin as the authors did (``r2_no_intercept``, uncentred).
    Cells with num_real = 0 are left out (log 0).
    """
    predictors = predictors or PREDICTORS
    cells = frame[frame["num_real"] > 0].groupby(["num_real", "num_synthetic"], as_index=False)[metric].mean()
    cells["total"] = cells["num_real"] + cells["num_synthetic"]
    cells["real_proportion"] = cells["num_real"] / cells["total"]
    y = np.log(cells[metric]) if log_metric else cells[metric]
    rows = []
    for name, fn in predictors.items():
        x = fn(cells)
        with_c = fit_linear(x, y)
        without = fit_linear(x, y, intercept=False)
        rows.append({"predictor": name, "slope": with_c.slope, "intercept": with_c.intercept,
                     "r2": with_c.r2, "r2_no_intercept": without.r2, "cells": with_c.n})
    return pd.DataFrame(rows)


def synthetic_benefit(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """For each num_real: the loss without synthetic data, the best num_synthetic and its loss.

    Differences are paired within a seed (the same real subset with and without synthetic
    data), so ``change`` (best minus none) has the 95% interval of a paired mean
    (:func:`collapse_lib.stats.paired_difference`), ``low`` and ``high``, and ``ci95`` its
    half-width; ``helps`` is True when the whole interval is below zero. Needs
    num_synthetic = 0 in the grid.
    """

    if not (frame["num_synthetic"] == 0).any():
        raise ParameterError("synthetic_benefit needs cells with num_synthetic = 0 as the baseline")
    rows = []
    for r, part in frame.groupby("num_real"):
        base = part[part["num_synthetic"] == 0].set_index("seed")[metric]
        if base.empty:
            continue
        means = part.groupby("num_synthetic")[metric].mean()
        best = int(means.idxmin())
        mixed = part[part["num_synthetic"] == best].set_index("seed")[metric].reindex(base.index)
        ok = np.isfinite(mixed.to_numpy()) & np.isfinite(base.to_numpy())
        iv = paired_difference(mixed.to_numpy()[ok], base.to_numpy()[ok])
        half = iv.half if best and iv.finite else (0.0 if not best else math.nan)
        rows.append({"num_real": int(r), "loss_real_only": float(base.mean()), "best_num_synthetic": best,
                     "loss_best": float(means.loc[best]), "change": float(iv.centre) if best else 0.0,
                     "low": float(iv.low) if best else 0.0, "high": float(iv.high) if best else 0.0,
                     "ci95": float(half), "helps": bool(best > 0 and iv.finite and iv.high < 0)})
    return pd.DataFrame(rows)


# --- presentation (the chapter's tables and sentences) -------------------------------------

def pm_text(mean: float, half: float, digits: int = 3, *, signed: bool = False) -> str:
    """``mean ± half`` as text with ``digits`` decimals (a minus sign, not a hyphen; no line
    break around the ±); the half-width is left out when it is NaN (one seed)."""
    sign = "+" if signed else ""
    text = f"{mean:{sign}.{digits}f}".replace("-", "−")
    return text if not math.isfinite(half) else f"{text}\u00a0±\u00a0{half:.{digits}f}"


def count_text(k: int, m: int, noun: str = "") -> str:
    """A count out of ``m`` in words, as a person writes it: ``"none of the 6 values"``,
    ``"1 of the 6 values"``, ``"all 6 values"``; out of one, ``"the only value"`` or ``"no
    value"`` (``noun`` is plural: "values", "cells", "curves"...)."""
    if m == 1:
        single = noun.replace("values", "value").replace("cells", "cell").replace("curves", "curve")
        if not single:
            return "the only one" if k == 1 else "none"
        return f"the only {single}" if k == 1 else f"no {single}"
    head = "none of the" if k == 0 else f"all {m}" if k == m else f"{k} of the"
    text = head if k == m else f"{head} {m}"
    return f"{text} {noun}".rstrip()


def benefit_wide(benefit: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The table of :func:`synthetic_benefit` rows of several tasks (column ``task``), one
    column pair per task (``labels`` orders and names them): ``best s``, the best
    ``num_synthetic`` ("none" when no amount beat real data alone), and ``change %``, the
    change it makes in percent of the loss on real data alone, with its paired 95% interval.
    One row per ``num_real``."""
    out = {}
    for task, label in labels.items():
        part = benefit[benefit["task"] == task].set_index("num_real")
        best = part["best_num_synthetic"].map(lambda s: "none" if s == 0 else f"{int(s):,}")
        scale = 100.0 / part["loss_real_only"].abs()
        change = [("—" if b == 0 else pm_text(c * k, h * k, 1, signed=True))
                  for b, c, h, k in zip(part["best_num_synthetic"], part["change"], part["ci95"], scale)]
        out[(label, "best s")] = best
        out[(label, "change %")] = pd.Series(change, index=part.index)
    frame = pd.DataFrame(out)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    frame.index.name = "num_real"
    return frame
