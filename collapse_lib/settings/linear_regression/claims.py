"""The linear-regression setting's claims (chapters *Linear regression*, *Results at a
glance*, *Replace*, *Accumulate*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...claims import Bound, ChapterGrid, ClaimSet, Context, Headline, View, link
from ...tables import format_value
from ...theory import basel_partial_sum
from ...verdicts import Reference, compare
from . import theory
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "BOUND", "VIEWS", "claims", "over_step"]

CHAPTER = ChapterGrid(chapter="linear_regression", setting="linear_regression", title="Linear regression",
                      grid={"d": "ds", "n": "ns", "sigma2": "sigma2s"}, fixed={"n_test": "n_test"})


def over_step(runs: pd.DataFrame) -> pd.Series:
    """The test MSE in units of one generation's noise, sigma2 d / (n - d - 1); NaN where the
    expected error is not finite (n < d + 2)."""
    finite = runs["n"] >= runs["d"] + 2
    step = runs["sigma2"] * runs["d"] / (runs["n"] - runs["d"] - 1)
    return (runs["test_mse"] / step).where(finite)


def _cell(values: Mapping[str, Any]) -> dict[str, Any]:
    ds, ns, s2 = list(values["ds"]), list(values["ns"]), list(values["sigma2s"])
    return {"d": 10 if 10 in ds else ds[0], "n": 100 if 100 in ns else ns[-1], "sigma2": 1.0 if 1.0 in s2 else s2[0]}


HEADLINE = Headline(metric="test_mse", cell=_cell, normalise="ratio", label="Linear regression: test MSE")
BOUND = Bound(label="linear-regression test MSE", scaled=over_step, cells=("d", "n", "sigma2"),
              exact=lambda cell, t: float(basel_partial_sum(t)))


def _view_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    cell = _cell(values)
    return {"d": [cell["d"]], "sigma2": [cell["sigma2"]]}


def _prepare(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.assign(mse_over_step=over_step(runs))
    return runs[np.isfinite(runs.mse_over_step)]


def _summary(workflow: str):
    def text(runs: pd.DataFrame) -> str:
        T = int(runs.generation.max())
        last = runs[runs.generation == T].groupby("n").mse_over_step.mean()
        d = int(runs.d.iloc[0])
        span = f"{format_value(float(last.min()))}–{format_value(float(last.max()))}" if len(last) > 1 else \
            format_value(float(last.iloc[0]))
        if workflow == "replace":
            return (f"**Linear growth** (linear regression, d = {d}). In units of one generation's noise "
                    f"σ²d/(n − d − 1) the test error is {span} at t = {T} across n (theory: exactly t): the "
                    "label noise is drawn afresh every generation and never shrinks.")
        return (f"**Exact Basel sum** (linear regression, d = {d}). The test error is {span} times the first "
                f"fit's at t = {T} (theory, exact: {format_value(float(basel_partial_sum(T)))}): the fit on t "
                "stacked copies of the design averages the t label vectors.")
    return text


VIEWS: dict[str, View] = {
    "replace": View(title="Linear regression: linear growth", shape="linear growth", y="mse_over_step",
                    ylabel=r"test MSE / $(\sigma^2 d/(n-d-1))$", cell=_view_cell, prepare=_prepare,
                    theory=lambda part, ts: ts.astype(float), summary=_summary("replace")),
    "accumulate": View(title="Linear regression: the exact Basel sum", shape="a convergent sum", y="mse_over_step",
                       ylabel="test MSE / first fit", cell=_view_cell, prepare=_prepare,
                       theory=lambda part, ts: basel_partial_sum(ts), summary=_summary("accumulate")),
}


def _closed_form(ref: Reference) -> float | None:
    value = theory.expected(ref.metric, ref.workflow, ref.t, ref.conditions)
    return None if value is None else float(value)


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """The authors' regression numbers beside the chapter's runs, with the exact theory
    (``references`` and ``with_runs`` as for every setting's claims)."""
    refs = REFERENCES if references is None else tuple(references)
    values = ctx.values(CHAPTER.chapter)
    cells = {k: sorted({r.conditions[k] for r in refs}) for k in ("d", "n", "sigma2")}
    quoted = ctx.runs(CHAPTER, values, only=cells)
    rows = compare(quoted, refs, family="linear_regression", setting="linear_regression",
                   section=link(CHAPTER), theory=_closed_form, metric_label=lambda r: "test MSE")
    return ClaimSet(rows, ctx.runs(CHAPTER, values) if with_runs else None)
