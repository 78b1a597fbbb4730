"""The Gaussian setting's claims: its chapter's runs beside the paper's numbers, and what the
cross-setting pages show of it (chapters *Multivariate Gaussians*, *Results at a glance*,
*Replace*, *Accumulate*, *Accumulate-Subsample*).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...claims import Bound, ChapterGrid, ClaimSet, Context, Headline, View, link
from ...compare import plateau_levels
from ...grid import run_grid
from ...tables import format_value
from ...verdicts import Reference, compare
from . import theory
from .model import SingularCovarianceWarning
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "BOUND", "VIEWS", "claims", "over_first", "quoted_runs", "plateau_grid"]

#: How the chapter *Multivariate Gaussians* runs its grid. n <= d makes every fit singular: only
#: the determinant is undefined there, so the chapter silences that warning.
CHAPTER = ChapterGrid(chapter="gaussian", setting="gaussian", title="Multivariate Gaussians",
                      grid={"d": "ds", "n": "ns"}, fixed={"sigma2": "sigma2"}, quiet=(SingularCovarianceWarning,))


def over_first(runs: pd.DataFrame) -> pd.Series:
    """The mean error in units of the first fit's expected error d sigma2 / n."""
    return runs["mean_sq_error"] / (runs["d"] * runs["sigma2"] / runs["n"])


def _headline_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    ds, ns = list(values["ds"]), list(values["ns"])
    return {"d": 10 if 10 in ds else ds[0], "n": 100 if 100 in ns else ns[len(ns) // 2]}


#: In units of the first fit's expected error (the unit of the paper's Accumulate and
#: Accumulate-Subsample numbers, so that the cross-setting comparison can set them beside its runs).
HEADLINE = Headline(metric="mean_sq_error_over_first", cell=_headline_cell, normalise="ratio",
                    label="Gaussian: mean error", derive=over_first)


def _exact_over_first(cell: Mapping[str, Any], t: int) -> float:
    n = int(cell["n"])
    return float(theory.gaussian_accumulate_mean_sq_error_exact(t, 1, n)) * n


BOUND = Bound(label="Gaussian mean error", scaled=over_first, cells=("d", "n"), exact=_exact_over_first)


def _replace_prepare(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.assign(error_over_max=runs["mean_sq_error"] / (runs["d"] * runs["sigma2"]))


def _replace_theory(part: pd.DataFrame, ts: np.ndarray) -> np.ndarray:
    d, n, s2 = int(part.d.iloc[0]), int(part.n.iloc[0]), float(part.sigma2.iloc[0])
    return theory.gaussian_replace_mean_sq_error(ts, d, n, s2) / (d * s2)


def _last(runs: pd.DataFrame, y: str, n: int) -> tuple[float, int]:
    T = int(runs.generation.max())
    return float(runs.loc[(runs.n == n) & (runs.generation == T), y].mean()), T


def _replace_summary(runs: pd.DataFrame) -> str:
    n_big, n_small = int(runs.n.max()), int(runs.n.min())
    d, s2 = int(runs.d.iloc[0]), float(runs.sigma2.iloc[0])
    big, T = _last(runs, "error_over_max", n_big)
    small, _ = _last(runs, "error_over_max", n_small)
    th_big = float(theory.gaussian_replace_mean_sq_error(T, d, n_big, s2)) / (d * s2)
    th_small = float(theory.gaussian_replace_mean_sq_error(T, d, n_small, s2)) / (d * s2)
    return (f"**Saturation** (Gaussian, d = {d}). The mean error reached {format_value(big)} of its ceiling "
            f"dσ² by t = {T} at n = {n_big} (theory {format_value(th_big)}), and {format_value(small)} at "
            f"n = {n_small} (theory {format_value(th_small)}): the maximum-likelihood covariance shrinks by "
            "(n − 1)/n per generation, so the errors form a geometric series.")


def _accumulate_prepare(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.assign(error_over_first=over_first(runs))


def _accumulate_theory(part: pd.DataFrame, ts: np.ndarray) -> np.ndarray:
    n = int(part.n.iloc[0])
    return theory.gaussian_accumulate_mean_sq_error_exact(ts, 1, n) * n


def _accumulate_summary(runs: pd.DataFrame) -> str:
    T = int(runs.generation.max())
    last = runs[runs.generation == T].groupby("n").error_over_first.mean()
    exact = {n: float(theory.gaussian_accumulate_mean_sq_error_exact(T, 1, int(n))) * n for n in last.index}
    return (f"**A sum that converges** (Gaussian, d = {int(runs.d.iloc[0])}). At t = {T} the mean error is "
            f"{format_value(float(last.min()))}–{format_value(float(last.max()))} times the first fit's across "
            f"n = {', '.join(str(int(n)) for n in last.index)} (exact expectation "
            f"{format_value(min(exact.values()))}–{format_value(max(exact.values()))}, below π²/6 because the "
            "fitted covariance shrinks a little).")


def _view_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"d": [_headline_cell(values)["d"]]}


VIEWS: dict[str, View] = {
    "replace": View(title="Gaussian: saturation", shape="saturation", y="error_over_max",
                    ylabel=r"$\|\mu_t-\mu_0\|^2 / (d\sigma^2)$", cell=_view_cell, prepare=_replace_prepare,
                    theory=_replace_theory, summary=_replace_summary, log=True),
    "accumulate": View(title="Gaussian: a bounded sum", shape="a convergent sum", y="error_over_first",
                       ylabel="mean error / first fit", cell=_view_cell, prepare=_accumulate_prepare,
                       theory=_accumulate_theory, summary=_accumulate_summary),
}


def _cells(refs: tuple[Reference, ...]) -> list[tuple[str, int, int]]:
    return sorted({(r.workflow, int(r.conditions["d"]), int(r.conditions["n"])) for r in refs})


def quoted_runs(ctx: Context, values: Mapping[str, Any] | None = None,
                refs: tuple[Reference, ...] = REFERENCES) -> pd.DataFrame:
    """The runs of the cells the paper quotes, with the chapter's ``compare_seeds`` seeds (the
    Gaussian is cheap: more seeds give intervals narrow enough to tell a real difference),
    with ``mean_sq_error_over_first``."""
    values = ctx.values(CHAPTER.chapter) if values is None else values
    frames = []
    for workflow, d, n in _cells(refs):
        if d not in values["ds"] or n not in values["ns"]:
            continue
        frame = ctx.runs(CHAPTER, values, only={"d": [d], "n": [n]}, workflows=[workflow],
                         seeds=values["compare_seeds"])
        if frame is not None and not frame.empty:
            frames.append(frame)
    if not frames:
        return pd.DataFrame()
    runs = pd.concat(frames, ignore_index=True)
    return runs.assign(mean_sq_error_over_first=over_first(runs))


def _theory(sigma2: float):
    def closed_form(ref: Reference) -> float | None:
        metric = ref.metric.removesuffix("_over_first")
        value = theory.expected(metric, ref.workflow, ref.t, {**ref.conditions, "sigma2": sigma2})
        if value is None:
            return None
        first = ref.conditions["d"] * sigma2 / ref.conditions["n"] if metric != ref.metric else 1.0
        return float(value) / first
    return closed_form


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """The paper's Gaussian numbers beside this build's (the quoted cells with the chapter's
    ``compare_seeds``), and the chapter's main runs (for the bound and the ordering; not
    read with ``with_runs=False``). ``references``: other numbers to compare (tests plant
    wrong ones)."""
    refs = REFERENCES if references is None else tuple(references)
    values = ctx.values(CHAPTER.chapter)
    quoted = quoted_runs(ctx, values, refs)
    labels = {"mean_sq_error": "mean error", "mean_sq_error_over_first": "mean error / first fit",
              "cov_det_ratio": "det ratio"}
    rows = compare(quoted if not quoted.empty else None, refs, family="gaussian", setting="gaussian",
                   section=link(CHAPTER), theory=_theory(float(values["sigma2"])),
                   metric_label=lambda r: labels.get(r.metric, ""))
    return ClaimSet(rows, ctx.runs(CHAPTER, values) if with_runs else None)


def plateau_grid(ns: list[int], ds: list[int], *, n_generations: int, seeds: Any, last: int, sigma2: float = 1.0,
                 cache_dir: Any = None, progress: bool = False, workers: int = 1, scheduler: Any = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accumulate-Subsample's mean error over a (d, n) grid in units of the first fit's
    expected error (chapter *Accumulate-Subsample*). Returns (curves, levels): the tidy runs
    with a ``normalised`` column, and per (d, n) the plateau
    (:func:`collapse_lib.compare.plateau_levels`) beside :func:`theory.subsample_heuristic`
    at the last generation, with the heuristic's relative error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularCovarianceWarning)  # n <= d: the mean error is still defined
        runs = run_grid("gaussian", workflows=["accumulate-subsample"], grid={"d": list(ds), "n": list(ns)},
                        fixed={"sigma2": sigma2}, n_generations=n_generations, seeds=seeds, cache_dir=cache_dir,
                        progress=progress, workers=workers, scheduler=scheduler)
    runs = runs.assign(normalised=over_first(runs))
    levels = plateau_levels(runs, last=last, by=("d", "n"))
    levels["heuristic"] = [float(theory.subsample_heuristic(n_generations, int(n))) for n in levels["n"]]
    levels["heuristic_error"] = levels["heuristic"] / levels["level"] - 1
    return runs, levels.sort_values(["d", "n"], ignore_index=True)


def accumulate_cells(runs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Accumulate at the last generation, per (d, n) cell: the mean error over the first fit's
    with its 95% interval (:func:`collapse_lib.stats.mean_interval`: the heavy-tailed method
    where the seeds call for it), the exact expectation and whether the interval holds it,
    and whether the cell exceeds pi^2/6 after Holm's correction over the cells (one-sided
    t test)."""
    from scipy import stats as st

    from ... import stats
    from ...theory import PI2_OVER_6

    acc = runs[runs.workflow == "accumulate"]
    T = int(acc.generation.max())
    last = acc[acc.generation == T].assign(ratio=lambda f: over_first(f))
    rows = []
    for (d, n), part in last.groupby(["d", "n"]):
        values = part.ratio.to_numpy()
        iv = stats.mean_interval(values)
        se = float(values.std(ddof=1)) / np.sqrt(len(values)) if len(values) > 1 else np.nan
        p = float(st.t.sf((values.mean() - PI2_OVER_6) / se, len(values) - 1)) if se > 0 else np.nan
        exact = float(theory.gaussian_accumulate_mean_sq_error_exact(T, 1, int(n))) * int(n)
        rows.append({"d": int(d), "n": int(n), "t": T, "mean": iv.centre, "low": iv.low, "high": iv.high,
                     "method": iv.method, "exact": exact, "inside": iv.contains(exact), "p_above": p})
    table = pd.DataFrame(rows)
    table["above_bound"] = stats.holm(table.p_above) < alpha
    return table
