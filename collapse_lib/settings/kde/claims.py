"""The KDE setting's claims (chapters *Kernel density estimation*, *Results at a glance*,
*Replace*, *Accumulate*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...claims import ChapterGrid, ClaimSet, Context, Headline, View, link
from ...simulate import simulate
from ...tables import format_value
from ...verdicts import Reference, compare
from . import theory
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "VIEWS", "claims", "flaw_first_fits", "dimension"]

CHAPTER = ChapterGrid(chapter="kde", setting="kde", title="Kernel density estimation",
                      grid={"dataset": "datasets", "h": "bandwidths", "n": "ns"}, fixed={"n_test": "n_test"})


def dimension(dataset: str) -> int:
    """The dimension of a data set's points (the swiss roll is 3-D, the others 2-D)."""
    return 3 if dataset == "swiss_roll" else 2


def _headline_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    datasets, hs, ns = list(values["datasets"]), list(values["bandwidths"]), list(values["ns"])
    return {"dataset": "moons" if "moons" in datasets else datasets[0], "h": 0.1 if 0.1 in hs else hs[0],
            "n": 100 if 100 in ns else ns[0]}


HEADLINE = Headline(metric="test_nll", cell=_headline_cell, normalise="excess", label="KDE: test NLL", unit="nats")


def _view_cell(values: Mapping[str, Any]) -> dict[str, Any]:
    datasets, hs = list(values["datasets"]), list(values["bandwidths"])
    return {"dataset": ["moons" if "moons" in datasets else datasets[0]], "h": [0.5 if 0.5 in hs else hs[-1]]}


def _spread_theory(workflow: str):
    def curve(part: pd.DataFrame, ts: np.ndarray) -> np.ndarray:
        n, h = int(part.n.iloc[0]), float(part.h.iloc[0])
        first = float(part.loc[part.generation == 1, "spread"].mean())
        fn = theory.kde_replace_spread if workflow == "replace" else theory.kde_accumulate_spread
        return fn(ts, n, h, first, d=dimension(str(part.dataset.iloc[0])))
    return curve


def _summary(workflow: str):
    def text(runs: pd.DataFrame) -> str:
        n = int(runs.n.max())
        part = runs[runs.n == n]
        T = int(part.generation.max())
        h, ds = float(part.h.iloc[0]), str(part.dataset.iloc[0])
        first = float(part.loc[part.generation == 1, "spread"].mean())
        last = float(part.loc[part.generation == T, "spread"].mean())
        expected = float(_spread_theory(workflow)(part, np.array([T]))[0])
        if workflow == "replace":
            return (f"**Diffusion** (KDE, {ds}, h = {h:g}). At n = {n} the spread of the points moved from "
                    f"{format_value(first)} to {format_value(last)} by t = {T} (theory {format_value(expected)}): "
                    f"every generation adds dh² = {format_value(dimension(ds) * h * h)} and refitting keeps the "
                    "fraction (n − 1)/n.")
        return (f"**A logarithmic drift** (KDE, {ds}, h = {h:g}). At n = {n} the spread of the pooled points "
                f"went from {format_value(first)} to {format_value(last)} by t = {T} (exact recursion "
                f"{format_value(expected)}): the t-th batch moves it only by about dh²/t, slowly but without a "
                "ceiling.")
    return text


VIEWS: dict[str, View] = {
    "replace": View(title="KDE: diffusion", shape="diffusion", y="spread", ylabel="spread of the points",
                    cell=_view_cell, theory=_spread_theory("replace"), summary=_summary("replace")),
    "accumulate": View(title="KDE: a logarithmic drift", shape="a slow drift", y="spread",
                       ylabel="spread of the pooled points", cell=_view_cell, theory=_spread_theory("accumulate"),
                       summary=_summary("accumulate")),
}


def flaw_first_fits(values: Mapping[str, Any], *, n: int = 1000, h: float = 0.1) -> pd.DataFrame:
    """The blobs first fit (t = 1) at ``n`` and ``h`` scored on a test set from the same blobs
    and on the authors' test set (new random centres), over the chapter's ``flaw_seeds``
    seeds: the authors' flawed design, rerun by this build (not a number of the paper)."""
    seeds = values.get("flaw_seeds", values["seeds"])
    return pd.concat([simulate("kde", "replace", n_generations=1, seeds=seeds, dataset="blobs", n=n, h=h,
                               n_test=values["n_test"], authors_test=flag) for flag in (False, True)],
                     ignore_index=True)


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """The paper's KDE numbers beside the chapter's runs, and the authors' blobs design rerun
    (``references`` and ``with_runs`` as for every setting's claims)."""
    refs = REFERENCES if references is None else tuple(references)
    values = ctx.values(CHAPTER.chapter)
    grid_refs = [r for r in refs if "authors_test" not in r.conditions]
    cells = {k: sorted({r.conditions[k] for r in grid_refs}) for k in ("dataset", "h", "n")}
    runs = ctx.runs(CHAPTER, values, only=cells)
    frames = [runs] if runs is not None and not runs.empty else []
    frames.append(flaw_first_fits(values))
    frame = pd.concat(frames, ignore_index=True)
    rows = compare(frame, refs, family="kde", setting="kde", section=link(CHAPTER),
                   metric_label=lambda r: "test NLL")
    return ClaimSet(rows, ctx.runs(CHAPTER, values) if with_runs else None)
