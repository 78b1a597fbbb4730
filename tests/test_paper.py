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
    assert row["this run"].startswith("1.00e-26 (geom. mean)") and row.agrees == "yes"
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


def test_the_table_is_long_html_that_fits_the_column():
    refs = [PaperValue("replace", {"d": 10, "n": 100}, "mean_sq_error", 7, 7, "a note"),
            PaperValue("replace", {"d": 10, "n": 100}, "cov_det_ratio", 2e-26, 2e-26, statistic="geometric",
                       tolerance=1e4),
            PaperValue("accumulate", {"d": 1, "n": 10}, "mean_sq_error", 0.158, 0.158)]
    frame = _frame([6.0, 7.0, 8.0, 6.5]).assign(cov_det_ratio=[1e-30, 1e-26, 1e-22, 3e-27])
    table = paper.compare(frame, refs)
    assert isinstance(table, paper.ComparisonTable) and list(table.columns) == list(paper.COLUMNS)
    assert len(table) == len(refs)  # long format: one row per claim
    assert table.loc[0, "seeds"] == 4 and table.loc[0, "low"] < table.loc[0, "value"] < table.loc[0, "high"]
    table.attrs["caption"] = "The paper beside this build."
    html = table._repr_html_()
    assert html.startswith("<table") and "The paper beside this build." in html
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert head.count("<th") == 5 and all(h in head for h in ("claim", "paper", "this build", "theory", "agrees"))
    assert html.count("<tr>") == len(refs) + 1 and "a note" in html and "4 seeds" in html
    assert "not in this run" in html and "6.88" in html
    assert "white-space:nowrap" in html  # a number and its interval never break
    # number formats: three significant digits, scientific for tiny values
    lo, hi = table.loc[0, "low"], table.loc[0, "high"]
    assert f"[{paper.format_value(lo)}, {paper.format_value(hi)}]" in html
    assert paper.format_value(lo) == f"{lo:.3g}" and paper.format_value(hi) == f"{hi:.3g}"
    geo = table.loc[1]
    assert geo["this run"].startswith(paper.format_value(geo["value"])) and "e-2" in paper.format_value(geo["value"])
    # selecting, assigning and concatenating keep the display; other columns fall back to pandas
    both = pd.concat([table, table.assign(where="again")], ignore_index=True)
    assert isinstance(both, paper.ComparisonTable) and both._repr_html_().count("<tr>") == 2 * len(refs) + 1
    assert "<table" in table[["workflow", "paper"]]._repr_html_()
    assert paper.agreement(table) == (2, 2) and paper.agreement(both) == (4, 4)
