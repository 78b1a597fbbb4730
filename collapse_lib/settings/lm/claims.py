"""The language model's claims (chapters *Language models*, *Results at a glance*).

Its runs take minutes, so a summary page reads them from the result store only (the
chapter stores them); :class:`collapse_lib.claims.Context` computes them only when asked.
The paper's losses are compared as ratios to the same chain's loss at t = 1, the reading
that carries over from Gemma-2-2B on HelpSteer2 to a small model on another text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...claims import ChapterGrid, ClaimSet, Context, Headline, link
from ...verdicts import Reference, compare
from .reference import REFERENCES

__all__ = ["CHAPTER", "HEADLINE", "claims", "relative_loss"]

CHAPTER = ChapterGrid(chapter="language_models", setting="lm", title="Language models", all_params=True,
                      expensive=True)


def relative_loss(runs: pd.DataFrame) -> pd.Series:
    """Each chain's test loss divided by its loss at t = 1 (the same fit for every workflow)."""
    first = runs.sort_values("generation").groupby(["workflow", "seed"]).test_loss.transform("first")
    return runs["test_loss"] / first


HEADLINE = Headline(metric="test_loss", cell=lambda values: {}, normalise="ratio", label="Language model: test loss")


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True) -> ClaimSet:
    """The paper's relative losses beside the chapter's stored runs (or *not run* when the
    store lacks them; ``references`` and ``with_runs`` as for every setting's claims)."""
    refs = REFERENCES if references is None else tuple(references)
    values: Mapping[str, Any] = ctx.values(CHAPTER.chapter)
    runs = ctx.runs(CHAPTER, values)
    if runs is not None and not runs.empty:
        runs = runs.assign(relative_loss=relative_loss(runs))
    rows = compare(runs if runs is not None and not runs.empty else None, refs, family="lm", setting="lm",
                   section=link(CHAPTER), metric_label=lambda r: "loss / loss at t = 1",
                   missing=ctx.missing(CHAPTER) if runs is None else "")
    return ClaimSet(rows, runs)
