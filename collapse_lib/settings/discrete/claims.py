"""The discrete setting's claims (chapters *Discrete distributions*, *Results at a glance*,
*Replace*, *Accumulate*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...claims import ChapterGrid, ClaimSet, Context, Headline, View, link
from ...tables import format_value
from ...verdicts import Reference, compare
from . import theory
from .model import replace_fixation_times
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "VIEWS", "claims", "entropy_deficit", "fixation_runs"]

CHAPTER = ChapterGrid(chapter="discrete", setting="discrete", title="Discrete distributions",
                      grid={"n": "ns"}, fixed={"k": "k"})


def entropy_deficit(frame: pd.DataFrame) -> pd.Series:
    """1 - H(p_t) / log K = KL(p_t || uniform) / log K: the fit's divergence from the uniform
    truth, in units of log K (0 at the truth, 1 once one outcome remains)."""
    return 1.0 - frame["normalised_entropy"]


def _cell(values: Mapping[str, Any]) -> dict[str, Any]:
    ns = list(values["ns"])
    return {"n": 100 if 100 in ns else ns[0]}


HEADLINE = Headline(metric="entropy_deficit", cell=_cell, normalise="ratio", label="Discrete: entropy deficit",
                    derive=entropy_deficit)


def _replace_summary(runs: pd.DataFrame) -> str:
    n = int(runs.n.min())
    T = int(runs.generation.max())
    last = runs[(runs.n == n) & (runs.generation == T)]
    fixed = float((last.n_surviving == 1).mean())
    k = int(runs.k.iloc[0])
    return (f"**Fixation** (discrete, K = {k}). At n = {n}, {100 * fixed:.0f}% of the chains had a single "
            f"outcome left by t = {T}; the Simpson diversity follows (1 − 1/n)^t exactly, and an outcome that "
            "gets no draw is gone for good.")


def _accumulate_summary(runs: pd.DataFrame) -> str:
    T = int(runs.generation.max())
    n = int(runs.n.max())
    k = int(runs.k.iloc[0])
    alive = float(runs.loc[(runs.n == n) & (runs.generation == T), "n_surviving"].mean())
    first = runs[runs.generation == 1].set_index(["n", "seed"]).n_surviving
    last = runs[runs.generation == T].set_index(["n", "seed"]).n_surviving
    same = bool((first == last).all())
    return (f"**The real data keep every outcome alive** (discrete, K = {k}). At n = {n} the chains kept "
            f"{format_value(alive)} outcomes on average at t = {T} (theory "
            f"{format_value(theory.expected_observed_outcomes(n, k))}): "
            + ("in every chain exactly as many as its real sample held." if same else
               "not always as many as the real sample held."))


VIEWS: dict[str, View] = {
    "replace": View(title="Discrete: fixation", shape="fixation", y="simpson_diversity", ylabel="Simpson diversity",
                    cell=lambda values: {}, theory=lambda part, ts: theory.wright_fisher_diversity(
                        ts, int(part.n.iloc[0])), summary=_replace_summary, ylim=(0.0, 1.02)),
    "accumulate": View(title="Discrete: outcomes kept", shape="a floor set by the real data", y="n_surviving",
                       ylabel="outcomes alive", cell=lambda values: {},
                       theory=lambda part, ts: np.full(len(ts), theory.expected_observed_outcomes(
                           int(part.n.iloc[0]), int(part.k.iloc[0]))), summary=_accumulate_summary),
}


def fixation_runs(values: Mapping[str, Any], ns: list[int] | None = None) -> pd.DataFrame:
    """Replace chains run to fixation (or to the chapter's cap), one row per chain, with
    ``fixation_generation`` (a chain still going at the cap counts at the cap: a lower bound)."""
    k = int(values["k"])
    ns = [int(n) for n in (ns if ns is not None else values["ns"])]
    if not ns:
        return pd.DataFrame()
    fix = pd.concat([replace_fixation_times(n, k, values["fixation_seeds"], values["fixation_max_generations"])
                     for n in ns], ignore_index=True)
    capped = np.where(fix.censored, fix.max_generations, fix.fixation_generation)
    return fix.assign(workflow="replace", fixation_generation=capped)


def _closed_form(ref: Reference) -> float | None:
    return theory.fixation_time(int(ref.conditions["n"]), int(ref.conditions["k"]))[0]


def claims(ctx: Context) -> ClaimSet:
    """The authors' fixation times beside the chapter's Replace chains run to fixation."""
    values = ctx.values(CHAPTER.chapter)
    ns = [n for n in values["ns"] if any(r.conditions["n"] == n and r.conditions["k"] == values["k"]
                                         for r in REFERENCES)]
    frame = fixation_runs(values, ns)
    rows = compare(frame if not frame.empty else None, REFERENCES, family="discrete", setting="discrete",
                   section=link(CHAPTER), theory=_closed_form, metric_label=lambda r: "generations to fixation")
    for i, ref in enumerate(REFERENCES):  # a capped mean is a lower bound: only "above" can be judged
        if frame.empty or ref.conditions["n"] not in set(frame.n):
            continue
        censored = float(frame.loc[frame.n == ref.conditions["n"], "censored"].mean())
        if censored > 0 and rows.at[i, "verdict"] != "not run at this scale" and not rows.at[i, "low"] > ref.high:
            cap = int(values["fixation_max_generations"])
            rows.loc[i, ["verdict", "detail", "p_value"]] = [
                "not run at this scale", f"{100 * censored:.0f}% of the chains were still going at the cap of "
                f"{cap:,} generations: the mean shown is a lower bound", 1.0]
    return ClaimSet(rows, ctx.runs(CHAPTER, values))
