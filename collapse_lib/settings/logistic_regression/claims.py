"""The logistic-regression setting's claims (chapters *Logistic regression*, *Results at a
glance*, *Replace*, *Accumulate*).

Three kinds of comparison with Dey & Donoho, each in its own terms:

* their **large-n limit** of the error ratio (their figure): this build's ratio of mean
  ``param_error`` at t to that at t = 1 over chains with model labels (the truth known), at
  the chapter's largest n, with Fieller's interval (:func:`collapse_lib.stats.ratio_of_means`),
  judged against the figure's range (:func:`collapse_lib.verdicts.judge`);
* their **single runs** (their logs): one chain each, so the row gives its rank among this
  build's chains (a chain whose labels became separable counts as above every finite
  log-loss: its fit is a point on the way to infinity) and calls it *consistent* when it lies
  within the central 95% of them, *differs* otherwise;
* their **first fit**, deterministic on both sides, and their numbers for a data set whose
  classes are separable: there this build has no fit to show, and says so.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ... import stats
from ...claims import ChapterGrid, ClaimSet, Context, Headline, View, link
from ...tables import format_value
from ...verdicts import Reference, compare, judge, p_value_by_level, row
from . import theory
from .model import design, fit_metrics, is_separable, load_split, real_fit
from .reference import REFERENCES, REPOSITORY

__all__ = ["CHAPTER", "HEADLINE", "VIEWS", "claims", "quoted_runs", "chain_ends", "every_chain_has_a_fit",
           "authors_optimiser_fit", "separable_features", "limit_rows", "run_rows", "first_fit_rows", "separated_rows"]

CHAPTER = ChapterGrid(chapter="logistic_regression", setting="logistic_regression", title="Logistic regression",
                      grid={"n": "ns", "labels": "labels"}, fixed={"dataset": "dataset", "features": "features"},
                      anchor="logreg-dey-donoho")

_WORKFLOW = {"replace": "Replace", "accumulate": "Accumulate", "accumulate-subsample": "Accumulate-Subsample"}


def _largest(values: Mapping[str, Any]) -> int:
    return int(max(values["ns"]))


def _model_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"n": _largest(values), "labels": "model"}


#: The ratio of the error to the first fit's, with the truth known (model labels).
HEADLINE = Headline(metric="param_error", cell=_model_cell, normalise="ratio",
                    label="Logistic regression: parameter error")


# --- analysis of runs ------------------------------------------------------------------------------

def chain_ends(runs: pd.DataFrame) -> pd.DataFrame:
    """Per chain (workflow, cell, seed): ``generation_ended``, the first generation without a
    maximum-likelihood fit (NaN where the chain kept one to the end), and ``generations``,
    the chain's length."""
    keys = [c for c in ("workflow", "dataset", "n", "features", "labels", "seed") if c in runs.columns]
    ended = runs["generation"].where(runs["no_mle"])
    out = runs.assign(_ended=ended).groupby(keys, sort=False).agg(generation_ended=("_ended", "min"),
                                                                   generations=("generation", "max"))
    return out.reset_index()


def authors_optimiser_fit(dataset: str = "diabetes") -> dict[str, float]:
    """Dey & Donoho's first fit re-run as their script runs it: scikit-learn's lbfgs on the raw
    inputs at its default tolerance (``penalty=None`` is ``C=inf``; ``max_iter=10000``). Returns
    its test log-loss and accuracy, its iterations, and the same for the maximum-likelihood
    fit of this build. Not a number of the paper: a re-run of their code's optimiser."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415  (heavy: scikit-learn only to re-run the authors' fit)
    from sklearn.metrics import accuracy_score, log_loss  # noqa: PLC0415  (heavy: scikit-learn only to re-run the authors' fit)

    split = load_split(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # their runs on separable data warn; the iterations say it
        clf = LogisticRegression(C=np.inf, max_iter=10000, random_state=123456).fit(split.x_train, split.y_train)
    prob = clf.predict_proba(split.x_test)
    out = {"test_log_loss": float(log_loss(split.y_test, prob)),
           "test_accuracy": float(accuracy_score(split.y_test, clf.predict(split.x_test))),
           "iterations": int(clf.n_iter_[0])}
    try:
        n = split.x_train.shape[0]
        ref = real_fit(dataset, n)
        ours = fit_metrics(design(dataset, n), ref, ref.beta[None])
        out.update(mle_log_loss=float(ours["test_log_loss"][0]), mle_accuracy=float(ours["test_accuracy"][0]))
    except ValueError:  # no maximum-likelihood fit (a ParameterError)
        out.update(mle_log_loss=math.nan, mle_accuracy=math.nan)
    return out


def separable_features(dataset: str, n: int | None = None, counts: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Whether the real labels of the first ``n`` training rows (all by default) are separable
    using the first f features, for each f in ``counts`` (all by default): the linear program
    of :func:`~collapse_lib.settings.logistic_regression.model.is_separable`."""
    split = load_split(dataset)
    n = split.x_train.shape[0] if n is None else n
    counts = tuple(range(1, split.x_train.shape[1] + 1)) if counts is None else counts
    rows = []
    for f in counts:
        d = design(dataset, n, f)
        rows.append({"features": f, "coefficients": d.p,
                     "separable": bool(is_separable(d.z, d.mult * d.y, d.mult))})
    return pd.DataFrame(rows)


# --- the rows --------------------------------------------------------------------------------------

def _base(ref: Reference, claim: str, where: str, section: str) -> dict[str, Any]:
    workflow = _WORKFLOW.get(ref.workflow, ref.workflow)
    return dict(family="logistic_regression", setting="logistic_regression", claim=f"{workflow}: {claim}",
                workflow=workflow, where=where, metric=ref.label or ref.metric.replace("_", " "),
                t=ref.t if ref.t is not None else "–", note=ref.note, reference=ref.quoted(), range_lo=ref.low,
                range_hi=ref.high, source=ref.source.text(), section=section)


def _not_run(base: dict[str, Any], why: str) -> dict[str, Any]:
    return row(**base, **{"this build": "–"}, verdict="not run at this scale", detail=why)


def _ratio_p_value(num: np.ndarray, den: np.ndarray, low: float, high: float) -> float:
    """The largest alpha at which Fieller's (1 - alpha) interval still misses [low, high]."""
    def misses(alpha: float) -> bool:
        iv = stats.ratio_of_means(num, den, paired=True, level=1 - alpha)
        return iv.finite and (iv.high < low or iv.low > high)

    return p_value_by_level(misses)


def limit_rows(runs: pd.DataFrame | None, refs: tuple[Reference, ...], section: str) -> list[dict[str, Any]]:
    """Their large-n error ratios beside this build's at the largest n with model labels."""
    rows = []
    model = None if runs is None or runs.empty else runs[runs.labels == "model"]
    for ref in refs:
        if model is None or model.empty:
            base = _base(ref, "error / first fit's error, large n", "model labels", section)
            rows.append(_not_run(base, "this build ran no chains with model labels"))
            continue
        n = int(model.n.max())
        part = model[(model.n == n) & (model.workflow == ref.workflow)]
        base = _base(ref, "error / first fit's error, large n", f"diabetes, n = {n:,}, model labels", section)
        expected = theory.ratio_to_first_fit(ref.workflow, ref.t)
        th = {"theory": format_value(float(expected)) if expected is not None else "–",
              "theory_value": float(expected) if expected is not None else math.nan}
        if part.empty or ref.t > int(part.generation.max()):
            rows.append(_not_run(base, f"this build ran {int(part.generation.max()) if not part.empty else 0} "
                                       "generations here") | th)
            continue
        wide = part.pivot_table(index="seed", columns="generation", values="param_error")
        pair = wide[[1, ref.t]].dropna()
        num, den = pair[ref.t].to_numpy(), pair[1].to_numpy()
        iv = stats.ratio_of_means(num, den, paired=True)
        verdict = judge(iv, ref.low, ref.high)
        p_value = _ratio_p_value(num, den, ref.low, ref.high) if verdict.word == "differs" else 1.0
        inside = None if expected is None else bool(iv.contains(float(expected)))
        rows.append(row(**base, **{"this build": iv.text()}, value=iv.centre, low=iv.low, high=iv.high, seeds=iv.n,
                        method="Fieller", **th, theory_inside=inside, verdict=verdict.word,
                        detail=verdict.detail, underpowered=verdict.underpowered, seeds_needed=verdict.seeds_needed,
                        p_value=p_value))
    return rows


def _single_run_values(runs: pd.DataFrame, ref: Reference) -> tuple[np.ndarray, int]:
    """This build's chains in the reference's cell at its generation (ended chains as +inf), or
    for ``generation_ended`` each chain's first generation without a fit (+inf: none)."""
    sel = runs.workflow == ref.workflow
    for k, v in ref.conditions.items():
        if k in runs.columns:
            sel &= runs[k].astype(object) == v
    part = runs[sel]
    if part.empty:
        return np.array([]), 0
    if ref.metric == "generation_ended":
        ends = chain_ends(part)
        return ends.generation_ended.fillna(np.inf).to_numpy(), int(part.generation.max())
    at = part[part.generation == ref.t]
    if at.empty:
        return np.array([]), int(part.generation.max())
    values = at[ref.metric].to_numpy(dtype=float)
    if ref.metric == "test_log_loss":
        values = np.where(at.no_mle.to_numpy(), np.inf, values)
    return values, int(part.generation.max())


def _rank_p_value(values: np.ndarray, low: float, high: float) -> float:
    """The two-sided rank test of "a run in [low, high] is one more chain like ``values``": from
    the chains at least as low and at least as high as the run."""
    count = values.size
    return float(min(1.0, 2 * min((np.sum(values <= high) + 1) / (count + 1),
                                  (np.sum(values >= low) + 1) / (count + 1))))


def run_rows(runs: pd.DataFrame | None, refs: tuple[Reference, ...], section: str) -> list[dict[str, Any]]:
    """Their single runs, each by its rank among this build's chains. A run that one twice or half
    as large would not have moved out of the chains' central 95% is *underpowered*: one run
    cannot tell a factor of 2 there."""
    rows = []
    for ref in refs:
        where = "diabetes, all 309 rows and 10 features, real labels (their design)"
        base = _base(ref, f"{ref.label or ref.metric}, one run", where, section)
        values, T = _single_run_values(runs, ref) if runs is not None and not runs.empty else (np.array([]), 0)
        if values.size == 0:
            at = "" if ref.t is None else f" at t = {ref.t}"
            rows.append(_not_run(base, f"this build did not run this cell{at}"))
            continue
        finite = values[np.isfinite(values)]
        below = float(np.mean(values < ref.low))
        above = float(np.mean(values > ref.high))
        p_value = _rank_p_value(values, ref.low, ref.high)
        inside = p_value >= 0.05
        weak = inside and any(_rank_p_value(values, ref.low * f, ref.high * f) >= 0.05 for f in (2.0, 0.5))
        centre = float(np.median(values))
        if ref.metric == "generation_ended" and finite.size == 0:
            text = f"no chain of {values.size} ended by t = {T}"
        else:
            text = f"median {format_value(centre)} of {values.size} chains"
            if finite.size < values.size:
                share = 100 * (1 - finite.size / values.size)
                text += (f" ({share:.0f}% still had a fit at t = {T})" if ref.metric == "generation_ended" else
                         f" ({share:.0f}% without a fit: above every loss)")
        detail = (f"{100 * below:.0f}% of this build's chains lie below their run and {100 * above:.0f}% above "
                  "it: " + ("one run like theirs is unremarkable among them" if inside else
                            "their run lies in a tail that holds fewer than 5% of the chains (two-sided)"))
        if weak:
            detail += "; underpowered: a run twice or half as large would be unremarkable too (no build can tell " \
                      "a factor of 2 from one run here)"
        rows.append(row(**base, **{"this build": text}, value=centre if math.isfinite(centre) else math.nan,
                        seeds=int(values.size), method="rank",
                        verdict="consistent" if inside else "differs", detail=detail, underpowered=weak,
                        p_value=p_value))
    return rows


def first_fit_rows(runs: pd.DataFrame | None, refs: tuple[Reference, ...], section: str) -> list[dict[str, Any]]:
    """Their first fit against the maximum-likelihood fit (both deterministic), and why they differ."""
    if not refs:
        return []
    quoted = None
    if runs is not None and not runs.empty:
        cell = refs[0].conditions
        quoted = runs[(runs.n == cell["n"]) & (runs.labels == "real") & (runs.dataset == cell["dataset"])]
    rows = compare(quoted if quoted is not None and not quoted.empty else None, refs,
                   family="logistic_regression", setting="logistic_regression", section=section,
                   metric_label=lambda r: r.label)
    rerun = authors_optimiser_fit("diabetes")
    for i, ref in enumerate(refs):
        rows.at[i, "where"] = "diabetes, all 309 rows and 10 features (their design)"
        rows.at[i, "workflow"] = "Every workflow"  # generation 1 fits the real labels in all three
        rows.at[i, "claim"] = f"first fit: {ref.label.replace(' of the first fit', '')}"
        theirs = rerun.get(ref.metric)
        if rows.at[i, "verdict"] == "differs" and theirs is not None and math.isclose(theirs, ref.value, rel_tol=1e-8):
            rows.at[i, "detail"] = (f"their optimiser stopped early: scikit-learn's lbfgs at its default tolerance, "
                                    f"re-run here as their script runs it, stops after {rerun['iterations']} "
                                    f"iterations at {theirs:.10g} (their log: {ref.value:.10g}); the "
                                    "maximum-likelihood fit, converged to 1e-10, is this build's value")
            rows.at[i, "p_value"] = 0.0  # both numbers are exact: the difference is certain
    return [r.to_dict() for _, r in rows.iterrows()]


def separated_rows(refs: tuple[Reference, ...], section: str) -> list[dict[str, Any]]:
    """Their breast-cancer numbers: the classes of that training split are separable, so there is
    no maximum-likelihood fit to compare with."""
    d = design("breast_cancer", 398)
    separable = is_separable(d.z, d.mult * d.y, d.mult)
    rows = []
    for ref in refs:
        base = _base(ref, ref.label, "breast cancer, all 398 rows and 30 features (their design)", section)
        if not separable:  # would only happen if the data set changed
            rows.append(_not_run(base, "the classes overlap here: run the chapter with dataset='breast_cancer'"))
            continue
        rows.append(row(**base, **{"this build": "no fit: the classes are separable"}, verdict="differs",
                        detail="their number is an optimiser's stopping point on the way to infinity: the "
                               "unpenalised maximum-likelihood fit does not exist (a linear program finds a "
                               "separating hyperplane), so this build refuses the design",
                        p_value=0.0))
    return rows


def _kind(ref: Reference) -> str:
    """Which comparison a reference gets (see the module docstring)."""
    if ref.metric == "ratio_to_first_fit":
        return "limit"
    if ref.conditions.get("dataset") == "breast_cancer":
        return "separated"
    if ref.t == 1:
        return "first fit"
    return "run"


def quoted_runs(ctx: Context, values: Mapping[str, Any]) -> pd.DataFrame | None:
    """The chapter's runs of the cells the references need (read from the chapter's store): Dey
    and Donoho's design with real labels (Replace, Accumulate), and the largest n with model
    labels (Accumulate, Accumulate-Subsample)."""
    frames = []
    labels = list(values["labels"]) if isinstance(values["labels"], list | tuple) else [values["labels"]]
    ns = list(values["ns"]) if isinstance(values["ns"], list | tuple) else [values["ns"]]
    wanted = [({"n": [309], "labels": ["real"]}, ["replace", "accumulate"]),
              ({"n": [max(ns)], "labels": ["model"]}, ["accumulate-subsample", "accumulate"])]
    for only, workflows in wanted:
        if only["n"][0] in ns and only["labels"][0] in labels and values["dataset"] == "diabetes":
            frame = ctx.runs(CHAPTER, values, only=only, workflows=workflows)
            if frame is not None and not frame.empty:
                frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else None


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """Dey & Donoho's numbers beside this build's: their first fit, their single runs, their
    large-n limits, and their numbers for a separable data set (``references`` replaces them:
    the tests plant wrong ones). The rows read only the cells they need; the chapter's whole
    grid is returned with them unless ``with_runs`` is False."""
    refs = REFERENCES if references is None else tuple(references)
    values = ctx.values(CHAPTER.chapter)
    runs = quoted_runs(ctx, values)
    section = link(CHAPTER)
    groups = {kind: tuple(r for r in refs if _kind(r) == kind) for kind in ("first fit", "run", "limit", "separated")}
    rows = [*first_fit_rows(runs, groups["first fit"], section), *run_rows(runs, groups["run"], section),
            *limit_rows(runs, groups["limit"], section), *separated_rows(groups["separated"], section)]
    return ClaimSet(pd.DataFrame(rows), ctx.runs(CHAPTER, values) if with_runs else None)


# --- the panels of the workflow chapters ----------------------------------------------------------------

def _view_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"labels": ["model"]}


def every_chain_has_a_fit(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the generations at which every chain of their cell and workflow still has a
    fit: a mean over the chains that are left would be biased towards the chains that last."""
    keys = [c for c in ("workflow", "dataset", "n", "features", "labels", "generation") if c in runs.columns]
    ended = runs.groupby(keys, sort=False).no_mle.transform("max").astype(bool)
    return runs[~ended]


def _prepare(runs: pd.DataFrame) -> pd.DataFrame:
    return every_chain_has_a_fit(runs)


def _summary(workflow: str):
    def text(runs: pd.DataFrame) -> str:
        T = int(runs.generation.max())
        big = int(runs.n.max())
        last = runs[(runs.n == big) & (runs.generation == T)].param_error.mean()
        first = runs[(runs.n == big) & (runs.generation == 1)].param_error.mean()
        ratio = last / first
        limit = float(theory.ratio_to_first_fit(workflow, T))
        small = int(runs.n.min())
        if workflow == "replace":
            last_small = int(runs[runs.n == small].generation.max())
            return (f"**Linear growth, until the labels separate** (logistic regression, diabetes, model labels). "
                    f"At n = {big:,} the error at t = {T} is {format_value(ratio)} times the first fit's (large-n "
                    f"limit: t = {T}); at n = {small} every chain still had a fit only up to t = {last_small}: "
                    "the estimate's bias compounds and the labels become separable.")
        return (f"**The π²/6 pathway** (logistic regression, diabetes, model labels). At n = {big:,} the error at "
                f"t = {T} is {format_value(ratio)} times the first fit's (large-n limit "
                f"{format_value(limit)}, below π²/6).")
    return text


def _limit_curve(workflow: str):
    def curve(part: pd.DataFrame, ts: np.ndarray) -> np.ndarray | None:
        return theory.ratio_to_first_fit(workflow, ts)
    return curve


VIEWS: dict[str, View] = {
    "replace": View(title="Logistic regression: linear growth, then separation", shape="linear growth",
                    y="param_error", ylabel="parameter error\n(Fisher metric, per coefficient)", cell=_view_cell,
                    prepare=_prepare, theory=_limit_curve("replace"), summary=_summary("replace"), log=True),
    "accumulate": View(title="Logistic regression: the π²/6 pathway", shape="a convergent sum", y="param_error",
                       ylabel="parameter error\n(Fisher metric, per coefficient)", cell=_view_cell, prepare=_prepare,
                       theory=_limit_curve("accumulate"), summary=_summary("accumulate")),
}

#: For the chapter: the repository the references come from.
SOURCE_REPOSITORY = REPOSITORY
