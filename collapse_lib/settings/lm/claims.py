"""The language model's claims (chapters *Language models*, *The value of synthetic data*,
*Results at a glance*).

Its runs take minutes, so a summary page reads them from the result store only (the
chapters store them); :class:`collapse_lib.claims.Context` computes them only when asked.
The paper's losses are compared as ratios to the same chain's loss at t = 1, the reading
that carries over from Gemma-2-2B on HelpSteer2 to a small model on another text; the
value of synthetic data (:func:`value_claims`) as the relative change of the test loss when
synthetic examples are added, paired within a seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...claims import ChapterGrid, ClaimSet, Context, Headline, link
from ...verdicts import Reference, compare
from .reference import REFERENCES, VALUE_REFERENCES

__all__ = ["CHAPTER", "VALUE_CHAPTER", "HEADLINE", "claims", "relative_loss", "value_claims", "value_changes"]

CHAPTER = ChapterGrid(chapter="language_models", setting="lm", title="Language models", all_params=True,
                      expensive=True)


def relative_loss(runs: pd.DataFrame) -> pd.Series:
    """Each chain's test loss divided by its loss at t = 1 (the same fit for every workflow)."""
    first = runs.sort_values("generation").groupby(["workflow", "seed"]).test_loss.transform("first")
    return runs["test_loss"] / first


HEADLINE = Headline(metric="test_loss", cell=lambda values: {}, normalise="ratio", label="Language model: test loss")


def claims(ctx: Context, *, references: tuple[Reference, ...] | None = None, with_runs: bool = True,
           runs: pd.DataFrame | None = None) -> ClaimSet:
    """The paper's relative losses beside the chapter's stored runs (or *not run* when the
    store lacks them; ``references`` and ``with_runs`` as for every setting's claims).
    ``runs``: the chapter's own runs, which it passes instead of reading them back."""
    refs = REFERENCES if references is None else tuple(references)
    missing = ""
    if runs is None:
        values: Mapping[str, Any] = ctx.values(CHAPTER.chapter)
        runs = ctx.runs(CHAPTER, values)
        missing = ctx.missing(CHAPTER) if runs is None else ""
    if runs is not None and not runs.empty:
        runs = runs.assign(relative_loss=relative_loss(runs))
    rows = compare(runs if runs is not None and not runs.empty else None, refs, family="lm", setting="lm",
                   section=link(CHAPTER), metric_label=lambda r: "loss / loss at t = 1", missing=missing)
    return ClaimSet(rows, runs)


#: Where the chapter *The value of synthetic data* compares its language-model grid with the paper.
VALUE_CHAPTER = ChapterGrid(chapter="value_of_synthetic_data", setting="lm", title="The value of synthetic data",
                            expensive=True, anchor="the-paper-s-finding-and-this-run")


def value_changes(grid: pd.DataFrame, num_real: int, num_synthetic: int, *, generator: str = "pool",
                  design: str = "epochs") -> pd.DataFrame:
    """Per seed, the change of the test loss (in %) when ``num_synthetic`` synthetic examples
    are added to ``num_real`` real ones, against the same seed's real examples alone (paired),
    from the language-model grid of the chapter *The value of synthetic data* (columns
    generator, design, seed, num_real, num_synthetic, test_loss): one row per seed with
    ``num_real``, ``num_synthetic`` and ``loss_change_percent``."""
    part = grid[(grid.generator == generator) & (grid.design == design) & (grid.num_real == num_real)]
    part = part.drop_duplicates(["seed", "num_synthetic"]).set_index(["num_synthetic", "seed"]).test_loss
    if 0 not in part.index.get_level_values(0) or num_synthetic not in part.index.get_level_values(0):
        return pd.DataFrame(columns=["seed", "num_real", "num_synthetic", "loss_change_percent"])
    before, after = part.loc[0], part.loc[num_synthetic]
    seeds = before.index.intersection(after.index)
    change = 100 * (after[seeds] / before[seeds] - 1)
    return pd.DataFrame({"seed": seeds, "num_real": num_real, "num_synthetic": num_synthetic,
                         "loss_change_percent": change.to_numpy()})


def _nearest_cell(grid: pd.DataFrame, ref: Reference) -> tuple[int, int] | None:
    """The grid's cell nearest (on a log scale) to the reference's: num_real below the grid's
    largest (where both generators differ, as the paper's 256 of a larger split), and a
    positive num_synthetic."""
    from .value import nearest

    reals = sorted(int(r) for r in grid.num_real.unique())
    synths = [int(s) for s in grid.num_synthetic.unique() if s > 0]
    if not reals or not synths or 0 not in set(grid.num_synthetic):
        return None
    smaller = [r for r in reals if r < reals[-1]] or reals
    return nearest(smaller, ref.conditions["num_real"]), nearest(synths, ref.conditions["num_synthetic"])


def value_claims(ctx: Context, *, references: tuple[Reference, ...] | None = None,
                 grid: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's value of synthetic data for its language model (the change of the test
    loss when 1,024 synthetic examples are added to 256 real ones) beside the language-model
    grid of the chapter *The value of synthetic data*: the paper's design (a generator fit on
    all the real data, a learner trained for fixed epochs) at the grid's cell nearest to the
    paper's, the change paired within a seed. The grid is read from the result store
    (``grid``: the chapter's own frame); without it the row says *not run at this scale*."""
    from .value import stored_lm_value

    refs = VALUE_REFERENCES if references is None else tuple(references)
    missing = ""
    if grid is None:
        values = ctx.values(VALUE_CHAPTER.chapter)
        grid = stored_lm_value(values, ctx.run.get("cache_dir"))
        if grid is None:
            missing = ctx.missing(VALUE_CHAPTER)
    frames, shown = [], []
    for ref in refs:
        cell = _nearest_cell(grid, ref) if grid is not None and not grid.empty else None
        if cell is None:
            shown.append(ref)
            continue
        r, s = cell
        frames.append(value_changes(grid, r, s))
        same = (r, s) == (ref.conditions["num_real"], ref.conditions["num_synthetic"])
        note = "; ".join(filter(None, [ref.note, "the paper's design: a generator fit on all the real data, "
                                       "learners trained for fixed epochs; the change paired within a seed" + (
                                           "" if same else f"; the grid's cell nearest to the paper's "
                                           f"{ref.conditions['num_real']:,} + {ref.conditions['num_synthetic']:,}")]))
        shown.append(dataclasses.replace(ref, conditions={"num_real": r, "num_synthetic": s}, note=note))
    runs = pd.concat(frames, ignore_index=True) if frames else None
    if runs is not None:
        runs = runs[np.isfinite(runs.loss_change_percent.to_numpy(dtype=float))]
    return compare(runs, shown, family="value", setting="lm", section=link(VALUE_CHAPTER),
                   metric_label=lambda r: "language model: change of the test loss, %",
                   missing=missing or "the grid has no cell with and without synthetic data")
