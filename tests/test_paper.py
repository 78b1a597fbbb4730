"""The paper's numbers and the one comparison table every chapter shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from collapse_lib import paper, theory
from collapse_lib.paper import PaperValue


def _frame(values, workflow="replace", d=10, n=100, T=100):
    seeds = np.arange(len(values))
    return pd.DataFrame({"workflow": workflow, "d": d, "n": n, "seed": seeds, "generation": T,
                         "mean_sq_error": values})


def test_compare_reads_the_right_cell_with_its_interval_and_theory():
    refs = [PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 7, 7),
            PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 70, 70),
            PaperValue("accumulate", {"d": 10, "n": 100}, "mean_sq_error", 1, 1),
            PaperValue("replace", {"d": 3, "n": 100}, "mean_sq_error", 1, 1)]
    frame = pd.concat([_frame([6.0, 7.0, 8.0, 6.5]), _frame([9.0, 9.5], workflow="accumulate-subsample")])
    table = paper.compare(frame, refs, theory=lambda ref, t: float(theory.expected(
        "gaussian", ref.metric, ref.workflow, t, **ref.conditions)))
    assert list(table.agrees) == ["yes", "no", "", ""]
    assert table["this run"].iloc[0].startswith("6.88 [")
    assert table.theory.iloc[0] == paper.format_value(float(theory.gaussian_replace_mean_sq_error(100, 10, 100)))
    assert table["this run"].iloc[2] == "not in this run"
    assert paper.agreement(table) == (1, 2)


def test_a_shorter_run_is_shown_but_not_judged():
    table = paper.compare(_frame([6.0, 7.0], T=6), [PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 7, 7)])
    assert table.t.iloc[0] == 6 and table.agrees.iloc[0] == ""
    assert "not comparable with the paper's t = 100" in table.note.iloc[0]


def test_geometric_and_median_statistics():
    values = np.array([1e-30, 1e-26, 1e-22])
    ref = PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 2e-26, 2e-26, statistic="geometric",
                     tolerance=10)
    row = paper.compare(_frame(values), [ref]).iloc[0]
    assert row["this run"].startswith("1.00e-26 (geom.)") and row.agrees == "yes"
    med = PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 5, 5, statistic="median")
    assert paper.compare(_frame([1.0, 5.0, 1000.0]), [med]).iloc[0]["this run"].startswith("5.00 (median)")


def test_format_value():
    assert [paper.format_value(v) for v in (1800, 95.24, 0.0123, 2.1e-26, 0.0)] == \
        ["1800", "95.2", "0.0123", "2.10e-26", "0"]
    assert paper.format_value(float("nan")) == "–"


def test_every_paper_value_is_well_formed():
    for refs in (paper.GAUSSIAN, paper.KDE, paper.LM, paper.LINEAR_REGRESSION, paper.DISCRETE, paper.VALUE):
        for ref in refs:
            assert ref.low <= ref.high and ref.tolerance >= 1 and ref.t >= 1
            assert ref.statistic in ("mean", "median", "geometric")
