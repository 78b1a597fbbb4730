"""The discrete setting's claims (chapters *Discrete distributions*, *Results at a glance*,
*Replace*, *Accumulate*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ... import stats
from ...claims import ChapterGrid, ClaimSet, Context, Headline, View, link
from ...tables import format_value
from ...verdicts import Reference, compare
from . import theory
from .model import replace_fixation_times
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "VIEWS", "claims", "entropy_deficit", "fixation_rows", "summarise_fixation"]

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


def _closed_form(ref: Reference) -> float | None:
    """The exact expected fixation time where the Markov chain is small enough to solve; None
    where only the diffusion approximation is known (the row's note gives it)."""
    value, exact = theory.fixation_time(int(ref.conditions["n"]), int(ref.conditions["k"]))
    return value if exact else None


def fixation_rows(fix: pd.DataFrame, values: Mapping[str, Any], refs: tuple[Reference, ...] = REFERENCES
                  ) -> pd.DataFrame:
    """The authors' fixation times beside Replace chains run to fixation (``fix``: from
    :func:`collapse_lib.settings.discrete.model.replace_fixation_times` or
    :func:`fixation_runs`). A capped mean is a lower bound: a row whose chains hit the cap
    is judged only when even that bound lies above the reference."""
    frame = fix.assign(workflow="replace", fixation_generation=np.where(
        fix.censored, fix.max_generations, fix.fixation_generation)) if not fix.empty else fix
    rows = compare(frame if not frame.empty else None, refs, family="discrete", setting="discrete",
                   section=link(CHAPTER), theory=_closed_form, metric_label=lambda r: "generations to fixation")
    for i, ref in enumerate(refs):
        approx, exact = theory.fixation_time(int(ref.conditions["n"]), int(ref.conditions["k"]))
        if not exact:
            rows.loc[i, "note"] = f"the diffusion approximation gives {format_value(approx)} (not exact)"
        if frame.empty or ref.conditions["n"] not in set(frame.n) or ref.conditions["k"] != int(values["k"]):
            continue
        censored = float(frame.loc[frame.n == ref.conditions["n"], "censored"].mean())
        if censored > 0:
            rows.loc[i, "note"] = "; ".join(filter(None, [rows.at[i, "note"], f"{100 * censored:.0f}% of the chains "
                                                          "hit the cap: the mean is a lower bound"]))
            if rows.at[i, "verdict"] != "not run at this scale" and not rows.at[i, "low"] > ref.high:
                cap = int(frame.loc[frame.n == ref.conditions["n"], "max_generations"].max())
                rows.loc[i, ["verdict", "detail", "p_value"]] = [
                    "not run at this scale", f"chains still going at the cap of {cap:,} generations: a lower "
                    "bound that does not reach the reference cannot be judged", 1.0]
    return rows


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """The authors' fixation times beside the chapter's Replace chains run to fixation
    (``references`` and ``with_runs`` as for every setting's claims)."""
    refs = REFERENCES if references is None else tuple(references)
    values = ctx.values(CHAPTER.chapter)
    ns = [n for n in values["ns"] if any(r.conditions["n"] == n and r.conditions["k"] == values["k"]
                                         for r in refs)]
    fix = pd.concat([replace_fixation_times(int(n), int(values["k"]), values["fixation_seeds"],
                                            values["fixation_max_generations"]) for n in ns],
                    ignore_index=True) if ns else pd.DataFrame()
    return ClaimSet(fixation_rows(fix, values, refs), ctx.runs(CHAPTER, values) if with_runs else None)


def summarise_fixation(times: pd.DataFrame) -> pd.DataFrame:
    """Per ``n``: seeds, censored count, mean (a lower bound if any are censored) with its 95%
    interval ``low``/``high`` (:func:`collapse_lib.stats.mean_interval`), median and quartiles
    of the fixation generation (NaN where censoring leaves a quantile unknown).

    Censored chains enter the mean at the cap, so with censoring the mean is a lower bound
    (column ``mean_is_lower_bound``); the median is exact while fewer than half are censored.
    """
    rows = []
    for n, part in times.groupby("n"):
        cap = part["max_generations"].to_numpy()
        values = np.where(part["censored"], cap, part["fixation_generation"]).astype(float)
        n_cens = int(part["censored"].sum())
        levels = (0.25, 0.5, 0.75)
        # a quantile is exact while the censored chains (all above the cap) lie above it
        q = [float(np.quantile(values, lv)) if n_cens < (1 - lv) * len(values) else np.nan for lv in levels]
        iv = stats.mean_interval(values)
        rows.append({"n": n, "seeds": len(values), "censored": n_cens, "mean": iv.centre, "low": iv.low,
                     "high": iv.high, "half": iv.half, "q25": q[0], "median": q[1], "q75": q[2],
                     "mean_is_lower_bound": n_cens > 0})
    return pd.DataFrame(rows)
