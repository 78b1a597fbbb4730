"""Verdicts that a wrong number would flip (collapse_lib.verdicts): the four words, the
underpowered flag, provenance records, and wrong reference values planted in every family
of claims at the default build's sizes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from collapse_lib import claims, registry, stats, verdicts
from collapse_lib.verdicts import Reference, Source

SOURCE = Source("figure", "somewhere.png", "read by pixel")


def interval(centre: float, half: float, n: int = 100) -> stats.Interval:
    return stats.Interval(centre, centre - half, centre + half, n, "t")


def test_the_four_verdicts_and_what_they_say():
    assert verdicts.judge(interval(1.0, 0.05), 0.9, 1.1).word == "reproduced"
    wide = verdicts.judge(interval(1.0, 0.3), 0.9, 1.1)
    assert wide.word == "consistent" and "could hide" in wide.detail
    assert wide.hidden == pytest.approx(0.9 / 0.7 - 1, 0.01)
    below = verdicts.judge(interval(0.5, 0.05), 0.9, 1.1)
    assert below.word == "differs" and "below" in below.detail
    assert verdicts.judge(interval(2.0, 0.05), 0.9, 1.1).word == "differs"
    assert verdicts.judge(stats.Interval(math.nan, math.nan, math.nan, 0, "t"), 0.9, 1.1).word == \
        "not run at this scale"
    one_seed = stats.Interval(1.0, math.nan, math.nan, 1, "t")
    assert verdicts.judge(one_seed, 0.9, 1.1).word == "not run at this scale"


def test_an_interval_too_wide_to_tell_a_factor_of_two_is_underpowered():
    verdict = verdicts.judge(interval(1.0, 0.9, n=10), 0.9, 1.1)
    assert verdict.word == "consistent" and verdict.underpowered
    assert verdict.seeds_needed is not None and verdict.seeds_needed > 10
    assert "underpowered" in verdict.detail and f"{verdict.seeds_needed:,}" in verdict.detail
    assert not verdicts.judge(interval(1.0, 0.05), 0.9, 1.1).underpowered
    wide_reference = verdicts.judge(interval(1.0, 0.05), 0.5, 1.6)  # the range itself spans 3.2x
    assert wide_reference.underpowered and "no build can tell" in wide_reference.detail


def test_references_carry_their_source_and_refuse_a_value_outside_their_range():
    ref = Reference("replace", {"d": 1}, "m", 1.0, 0.9, 1.2, SOURCE)
    assert ref.quoted() == "1.00 [0.900, 1.20]"
    assert "read by pixel" in ref.source.text() and "figure" in ref.source.text()
    assert ref.scaled(2).low == 1.8
    with pytest.raises(ValueError, match="outside"):
        Reference("replace", {}, "m", 2.0, 0.9, 1.2, SOURCE)
    with pytest.raises(ValueError, match="source kind"):
        Source("rumour", "x", "y")


def test_compare_reads_the_cell_and_generation_and_the_theory():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"workflow": "replace", "d": 2, "seed": np.repeat(np.arange(400), 3),
                          "generation": np.tile([1, 2, 3], 400), "err": 10 + rng.standard_normal(1200)})
    refs = [Reference("replace", {"d": 2}, "err", 10, 9.8, 10.2, SOURCE, t=3),
            Reference("replace", {"d": 2}, "err", 20, 19, 21, SOURCE, t=3),
            Reference("replace", {"d": 5}, "err", 1, 0.9, 1.1, SOURCE, t=3),
            Reference("replace", {"d": 2}, "err", 10, 9.8, 10.2, SOURCE, t=7)]
    rows = verdicts.compare(frame, refs, family="toy", setting="toy", section="", theory=lambda r: 10.0)
    assert list(rows.columns) == list(verdicts.ROW_COLUMNS)
    assert list(rows.verdict) == ["reproduced", "differs", "not run at this scale", "not run at this scale"]
    assert rows.seeds[0] == 400 and rows.theory_inside[0] is True and rows.p_value[1] < 1e-6
    assert "t = 7" in rows.detail[3]


def test_p_values_of_differing_rows_support_holm():
    values = np.random.default_rng(1).normal(1.0, 0.1, 50)
    p_far = verdicts.verdict_p_value(values, "mean", 2.0, 2.5)
    p_near = verdicts.verdict_p_value(values, "mean", 1.04, 1.2)
    assert p_far < p_near < 0.05
    assert verdicts.verdict_p_value(values, "mean", 0.9, 1.1) == 1.0


# --- planted wrong numbers, at the default build's sizes ------------------------------------------

#: Settings whose default-size claims are computed here (seconds); the language model's take
#: minutes and are checked from the store by the results page instead.
CHEAP = [name for name in registry.SETTINGS if not claims.claims_module(name).CHAPTER.expensive]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One result store for the planted tests: the true and the planted references read the
    same runs (computed once, at the chapters' default sizes)."""
    return tmp_path_factory.mktemp("store")


@pytest.mark.slow
@pytest.mark.parametrize("name", CHEAP)
def test_a_planted_reference_flips_every_decided_verdict(name, store):
    """Each reference multiplied by 2, and divided by 2, must give *differs* wherever the true
    reference gave *reproduced* or *consistent* without being underpowered; an underpowered
    row says how many seeds would decide it (or that the reference's own range is too wide)."""
    module = claims.claims_module(name)
    ctx = claims.Context(run={"cache_dir": store})
    true = module.claims(ctx, with_runs=False).rows
    refs = registry.part(name, "reference").REFERENCES
    decided = true.verdict.isin(["reproduced", "consistent"]) & ~true.underpowered.astype(bool)
    assert decided.any(), f"{name}: no decided verdict at the default size"
    for factor in (2.0, 0.5):
        planted = module.claims(ctx, references=tuple(r.scaled(factor) for r in refs), with_runs=False).rows
        flipped = planted.verdict[decided]
        assert (flipped == "differs").all(), (name, factor, list(true.claim[decided][flipped != "differs"]))
    weak = true[true.underpowered.astype(bool) & true.verdict.isin(["reproduced", "consistent"])]
    assert weak.detail.str.contains("underpowered|no build can tell").all()
