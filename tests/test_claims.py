"""The paper's claims recomputed from the chapters' runs: parameters read from the chapters,
runs served by the result store with the chapters' own arguments, claim rows, the scale page."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib import chapters, claims, paper
from collapse_lib.chapters import chapter_parameter_names, chapter_sources
from collapse_lib.settings.gaussian import SingularCovarianceWarning
from collapse_lib.validation import ParameterError

ROOT = Path(__file__).resolve().parent.parent
SMOKE = "tests/params/smoke.yml"


@pytest.mark.parametrize("chapter", sorted(p.stem for p in chapter_sources(ROOT / "book")))
def test_chapter_defaults_are_the_parameters_cell(chapter):
    defaults = chapters.chapter_defaults(chapter)
    assert list(defaults) == chapter_parameter_names(ROOT / "book" / f"{chapter}.py")
    comments = chapters.chapter_comments(chapter)
    assert set(comments) == set(defaults) and all(comments.values())


def test_chapter_values_overlay_the_parameter_file(tmp_path):
    defaults = chapters.chapter_values("gaussian")
    smoke = chapters.chapter_values("gaussian", SMOKE)
    assert defaults == chapters.chapter_defaults("gaussian")
    assert smoke["n_generations"] == 6 and smoke["ds"] == [1, 10] and smoke["sigma2"] == defaults["sigma2"]
    assert chapters.chapter_values("gaussian", ROOT / SMOKE) == smoke  # absolute paths work too
    with pytest.raises(ParameterError, match="no file"):
        chapters.chapter_values("gaussian", "no/such.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("gaussian:\n  n_generation: 3\n")
    with pytest.raises(ParameterError, match="n_generation"):
        chapters.chapter_values("gaussian", bad)
    with pytest.raises(ParameterError, match="no chapter"):
        chapters.chapter_values("nonsense")


def test_the_store_serves_the_chapters_runs(tmp_path):
    """A run made exactly as the Gaussian chapter makes it is read back, not recomputed."""
    v = chapters.chapter_values("gaussian", SMOKE)
    store = tmp_path / "store"
    assert claims.chapter_runs("gaussian", v, cache_dir=store, stored_only=True) is None
    assert claims.chapter_runs("gaussian", v, stored_only=True) is None  # no store: nothing to read
    with pytest.warns(SingularCovarianceWarning):  # n = d = 10 in the smoke grid
        chapter = cl.run_grid("gaussian", grid={"d": v["ds"], "n": v["ns"]}, fixed={"sigma2": v["sigma2"]},
                              n_generations=v["n_generations"], seeds=v["seeds"], cache_dir=store, progress=False)
    served = claims.chapter_runs("gaussian", v, only={"d": [10]}, cache_dir=store)
    assert served.attrs["computed"] == 0 and served.attrs["tasks"] > 0
    stored = claims.chapter_runs("gaussian", v, only={"d": [10]}, cache_dir=store, stored_only=True)
    expected = chapter[chapter.d == 10].reset_index(drop=True)
    for frame in (served, stored):
        pd.testing.assert_frame_equal(frame.reset_index(drop=True)[expected.columns], expected, check_dtype=False)
    # a cell the chapter did not run is computed (and only that one) ...
    other = dict(v, ns=[*v["ns"], 20])
    assert claims.chapter_runs("gaussian", other, only={"n": [20], "d": [1]}, cache_dir=store,
                               stored_only=True) is None
    # ... and a cell outside the chapter's grid gives an empty frame
    assert claims.chapter_runs("gaussian", v, only={"d": [7]}, cache_dir=store).empty
    with pytest.raises(ParameterError, match="not a grid parameter"):
        claims.chapter_runs("gaussian", v, only={"h": [1]})


def test_claim_rows_from_a_known_frame():
    ref = paper.PaperValue("replace", {"d": 2}, "err", 10, 10, t=3)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"workflow": "replace", "d": 2, "seed": np.repeat(np.arange(400), 3),
                          "generation": np.tile([1, 2, 3], 400), "err": 10 + rng.standard_normal(1200)})
    rows = claims.claim_rows("gaussian", frame, [ref, paper.PaperValue("replace", {"d": 2}, "err", 20, 20, t=3),
                                                  paper.PaperValue("replace", {"d": 5}, "err", 1, 1, t=3)],
                             theory=lambda r, t: 10.0)
    assert list(rows.columns) == list(claims.CLAIM_COLUMNS)
    assert list(rows.agrees) == ["yes", "no", "–"]
    assert rows.ratio[0] == pytest.approx(1.0, abs=0.02) and rows.ratio_lo[0] < 1 < rows.ratio_hi[0]
    assert rows.ratio[1] == pytest.approx(0.5, abs=0.01)
    assert math.isnan(rows.ratio[2]) and rows.seeds[0] == 400
    assert rows.theory[0] == "10.0" and 'href="gaussian.html#' in rows.section[0]
    # a run that stops before the paper's generation is shown, not compared
    short = claims.claim_rows("gaussian", frame[frame.generation <= 2], [ref])
    assert short.agrees[0] == "–" and math.isnan(short.ratio[0]) and short.t[0] == 2
    missing = claims.claim_rows("lm", None, [ref], missing="not in the result store")
    assert missing["this build"][0] == "not in the result store" and missing.agrees[0] == "–"


def test_bound_and_ordering_claims():
    rng = np.random.default_rng(1)
    rows = []
    for wf, level in (("replace", 8.0), ("accumulate-subsample", 2.5), ("accumulate", 1.5)):
        for seed in range(200):
            for t in (1, 2):
                rows.append({"workflow": wf, "seed": seed, "generation": t, "d": 10, "n": 100, "sigma2": 1.0,
                             "mean_sq_error": 0.1 * (level if t == 2 else 1) * rng.exponential()})
    frame = pd.DataFrame(rows)
    bound = claims.bound_claims(frame, None)
    assert len(bound) == 1 and bound.agrees[0] == "yes" and "d = 10, n = 100" in bound["where"][0]
    order = claims.ordering_claims({"Toy": (frame, "mean_sq_error", {"d": 10})})
    assert order.agrees[0] == "yes"
    flipped = frame.assign(workflow=frame.workflow.map({"replace": "accumulate", "accumulate": "replace",
                                                        "accumulate-subsample": "accumulate-subsample"}))
    assert claims.ordering_claims({"Toy": (flipped, "mean_sq_error", {})}).agrees[0] == "no"
    assert claims.ordering_claims({"Toy": (None, "mean_sq_error", {})}).empty


def test_all_claims_at_smoke_size_link_to_pages_that_exist():
    table = claims.all_claims(SMOKE, {"cache_dir": None})
    assert set(table.family) == set(claims.SECTIONS)
    assert (table.agrees.isin(["yes", "no", "–"])).all()
    for link in set(table.section):
        page = re.search(r'href="([\w-]+)\.html#([\w-]+)"', link).group(1)
        assert (ROOT / "book" / f"{page}.py").exists() or (ROOT / "book" / f"{page}.md").exists(), link
    lm = table[table.family == "lm"]
    assert (lm["this build"].str.startswith("not in")).all()  # never recomputed without compute_lm
    counts = claims.agreement_counts(table)
    assert counts.claims.sum() == len(table) and (counts.agree <= counts.compared).all()
    html = claims.claims_html(table, "gaussian")
    assert html.count("<th ") == 5 and html.count("<tr>") == 1 + (table.family == "gaussian").sum()


def test_scale_pages_read_the_parameter_files(tmp_path):
    paper_file = tmp_path / "paper.yml"
    paper_file.write_text("gaussian:\n  seeds: 400\n  n_generations: 100\nreplace:\n  params_file: x.yml\n")
    diff = claims.scale_table(paper_file, "")
    assert list(diff.parameter) == ["seeds"] and diff["this build"][0] == "100" and diff["paper scale"][0] == "400"
    summary = claims.scale_summary(paper_file, "")
    assert list(summary.chapter) == ["gaussian"] and summary.ratio[0] == pytest.approx(4.0)
    assert summary.command[0].startswith("make chapter CHAPTER=gaussian PARAMS=")
    assert claims.run_size({"seeds": [1, 2], "n_generations": 10, "ds": [1, 2, 3], "n": 5}) == 60
    real = claims.scale_summary("params/paper.yml", SMOKE)
    assert {"gaussian", "kde", "language_models"} <= set(real.chapter) and (real.ratio >= 1).all()


def test_every_linked_section_is_a_heading_of_its_page():
    """The anchors of the links are the slugs Jupyter Book gives the headings of the page."""
    for family, (page, anchor, _) in claims.SECTIONS.items():
        source = next(p for p in (ROOT / "book" / f"{page}.py", ROOT / "book" / f"{page}.md") if p.exists())
        headings = re.findall(r"^(?:# )?#{1,3} (.+)$", source.read_text(), flags=re.M)
        slugs = {re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in headings}
        assert anchor in slugs, f"{family}: no heading of {page} has the anchor {anchor!r}"


def test_language_model_claims_are_read_from_the_store_only(tmp_path):
    """The language model's runs are never recomputed by a summary page: with an empty store
    the rows say so; once the chapter's units are stored (here, made-up losses written under
    the keys the chapter's run_grid uses) they are read back."""
    from collapse_lib.registry import fingerprint, get_setting
    from collapse_lib.simulate import check_run
    from collapse_lib.store import Store

    run = {"cache_dir": tmp_path}
    rows, frame = claims.lm_claims(SMOKE, run)
    assert frame is None and rows["this build"].str.startswith("not in the result store").all()
    v = chapters.chapter_values("language_models", SMOKE)
    setting, grid, fixed = claims._grid_arguments("language_models", v, None)
    store, code, spec = Store(tmp_path), fingerprint("lm"), get_setting("lm")
    loss = {"replace": [1.0, 1.5], "accumulate-subsample": [1.0, 1.1], "accumulate": [1.0, 1.01]}
    for workflow, values in loss.items():
        _, wf, T, seeds, params, opts = check_run("lm", workflow, v["n_generations"], v["seeds"], **fixed)
        for seed in seeds:
            frame = pd.DataFrame({"setting": "lm", "workflow": wf, "seed": seed, "generation": np.arange(1, T + 1),
                                  **{m: 1.0 for m in spec.metrics}})
            frame["test_loss"] = values[:T]
            store.write(Store.request("lm", wf, T, [seed], params, opts), code, frame, 0.0)
    rows, frame = claims.lm_claims(SMOKE, run)
    assert frame is not None and len(frame) == 3 * T * len(seeds)
    replace = rows[rows.workflow == "Replace"]
    assert replace["this build"].str.startswith("1.50").all()  # loss / loss at t = 1, at the run's last t
