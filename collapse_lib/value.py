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

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .registry import SETTINGS, check_params, get_setting
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
    "t_half",
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


def run_value(make: Callable[[], Task], cells: Sequence[tuple[int, int]], *, seeds: int | Iterable[int],
              n_available: int, generator: str = "pool", subset: str = "random",
              pool_seed: int | None = None, setting: str = "custom", design: str = "grid",
              progress: bool = False) -> pd.DataFrame:
    """Run the mixing experiment for every seed and cell; one row per (seed, cell).

    ``make()`` returns a fresh task (one per seed). ``cells`` are (num_real, num_synthetic)
    pairs (:func:`grid_cells`, :func:`fixed_compute_cells`). ``n_available`` real examples
    exist per seed (or in total, with ``pool_seed``: one data set shared by every seed, as a
    real corpus is); a larger ``num_real`` is capped at it, flagged in the ``capped`` column
    and warned about. ``generator``: ``"pool"`` (fit on all ``n_available`` real examples)
    or ``"subset"`` (fit on the learner's ``num_real`` examples). ``subset``: ``"random"``
    (a random subset per seed) or ``"first"`` (the first rows, the authors' choice).

    Columns: setting, design, generator, subset, seed, n_available, num_real_requested,
    num_real, capped, num_synthetic, total, real_proportion, then the task's metrics.
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
    max_syn = max(s for _, s in used)
    reals_used = sorted({r for r, _ in used})
    rows: list[dict[str, Any]] = []
    iterator: Iterable[int] = seed_list
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(seed_list, desc=f"value {setting}", unit="seed", mininterval=1.0)
    with threadpool_limits(1, user_api="blas"):
        for seed in iterator:
            task = make()
            rng_pool = seed_rngs(pool_seed if pool_seed is not None else seed)[0]
            pool = task.sample_real(n_available, rng_pool)
            order = seed_rngs(seed)[1].permutation(n_available) if subset == "random" \
                else np.arange(n_available)
            synth_for: dict[int, Any] = {}
            if generator == "pool" and max_syn > 0:
                rng_gen = np.random.default_rng([seed, 2])
                synth_all = task.sample(task.fit(pool, rng_gen), max_syn, rng_gen)
                synth_for = {r: synth_all for r in reals_used}
            elif max_syn > 0:
                for r in reals_used:
                    if r == 0:
                        continue
                    rng_gen = np.random.default_rng([seed, 2, r])
                    synth_for[r] = task.sample(task.fit(take_examples(pool, order[:r]), rng_gen), max_syn, rng_gen)
            done: dict[tuple[int, int], dict[str, float]] = {}
            for (req, s), (r, _) in zip(cells, used):
                if (r, s) not in done:
                    parts = [take_examples(pool, order[:r])]
                    if s > 0:
                        parts.append(_head(synth_for[r], s))
                    data = concat_examples(parts)
                    model = task.fit(data, np.random.default_rng([seed, 3, r, s]))
                    done[(r, s)] = dict(task.evaluate(model))
                rows.append({"setting": setting, "design": design, "generator": generator, "subset": subset,
                             "seed": seed, "n_available": n_available, "num_real_requested": req,
                             "num_real": r, "capped": req > r, "num_synthetic": s, "total": r + s,
                             "real_proportion": r / (r + s), **done[(r, s)]})
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
    data), so ``change`` (best minus none) has a 95% interval ``ci95`` of the paired mean;
    ``helps`` is True when the whole interval is below zero. Needs num_synthetic = 0 in the grid.
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
        diff = part[part["num_synthetic"] == best].set_index("seed")[metric] - base
        diff = diff.replace([np.inf, -np.inf], np.nan).dropna()
        half = 1.96 * diff.std(ddof=1) / math.sqrt(len(diff)) if len(diff) > 1 else math.nan
        rows.append({"num_real": int(r), "loss_real_only": float(base.mean()), "best_num_synthetic": best,
                     "loss_best": float(means.loc[best]), "change": float(diff.mean()) if len(diff) else 0.0,
                     "ci95": float(half) if best else 0.0,
                     "helps": bool(best > 0 and diff.mean() + half < 0)})
    return pd.DataFrame(rows)


# --- presentation (the chapter's tables and sentences) -------------------------------------

def t_half(values: Any) -> float:
    """Half-width of the 95% Student-t interval of the mean of ``values`` (NaN values left
    out; NaN with fewer than two values). With few seeds it is wider than 1.96 standard
    errors, as it should be: with two seeds the factor is 12.7."""
    from scipy import stats

    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size < 2:
        return math.nan
    return float(stats.t.ppf(0.975, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))


def pm_text(mean: float, half: float, digits: int = 3, *, signed: bool = False) -> str:
    """``mean ± half`` as text with ``digits`` decimals (a minus sign, not a hyphen; no line
    break around the ±); the half-width is left out when it is NaN (one seed)."""
    sign = "+" if signed else ""
    text = f"{mean:{sign}.{digits}f}".replace("-", "−")
    return text if not math.isfinite(half) else f"{text}\u00a0±\u00a0{half:.{digits}f}"


def count_text(k: int, m: int, noun: str = "") -> str:
    """'none of the 6', '2 of the 6', 'all 6' (then ``noun``): a count out of ``m`` in words."""
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
