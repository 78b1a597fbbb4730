"""The book's claims, gathered from the settings through the registry: chapters' parameters,
runs served by the result store with the chapters' own arguments, the families that span
settings (the bound tested jointly, the ordering with paired intervals), multiplicity, the
results page's links, and the scale pages."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest
from papermill.translators import PythonTranslator

import collapse_lib as cl
from collapse_lib import chapters, claims, registry, verdicts
from collapse_lib.chapters import chapter_parameter_names, chapter_sources
from collapse_lib.settings.gaussian import SingularCovarianceWarning
from collapse_lib.simulate import check_run
from collapse_lib.store import Store
from collapse_lib.validation import ParameterError

ROOT = Path(__file__).resolve().parent.parent
SMOKE = "tests/params/smoke.yml"
GAUSSIAN = claims.claims_module("gaussian").CHAPTER


@pytest.mark.parametrize("chapter", sorted(p.stem for p in chapter_sources(ROOT / "book")))
def test_chapter_defaults_are_the_parameters_cell(chapter):
    defaults = chapters.chapter_defaults(chapter)
    assert list(defaults) == chapter_parameter_names(ROOT / "book" / f"{chapter}.py")
    comments = chapters.chapter_comments(chapter)
    assert set(comments) == set(defaults) and all(comments.values())
    # papermill reads the same names (a comment it cannot parse, e.g. one holding "=", would
    # make it drop the parameter from the notebook's documented parameters)

    cell = next(c for c in jupytext.read(ROOT / "book" / f"{chapter}.py").cells
                if "parameters" in c.metadata.get("tags", []))
    assert [p.name for p in PythonTranslator.inspect(cell)] == list(defaults)


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
    assert claims.chapter_runs(GAUSSIAN, v, cache_dir=store, stored_only=True) is None
    assert claims.chapter_runs(GAUSSIAN, v, stored_only=True) is None  # no store: nothing to read
    with pytest.warns(SingularCovarianceWarning):  # n = d = 10 in the smoke grid
        chapter = cl.run_grid("gaussian", grid={"d": v["ds"], "n": v["ns"]}, fixed={"sigma2": v["sigma2"]},
                              n_generations=v["n_generations"], seeds=v["seeds"], cache_dir=store, progress=False)
    served = claims.chapter_runs(GAUSSIAN, v, only={"d": [10]}, cache_dir=store)
    assert served.attrs["computed"] == 0 and served.attrs["tasks"] > 0
    stored = claims.chapter_runs(GAUSSIAN, v, only={"d": [10]}, cache_dir=store, stored_only=True)
    expected = chapter[chapter.d == 10].reset_index(drop=True)
    for frame in (served, stored):
        pd.testing.assert_frame_equal(frame.reset_index(drop=True)[expected.columns], expected, check_dtype=False)
    other = dict(v, ns=[*v["ns"], 20])  # a cell the chapter did not run is not in the store
    assert claims.chapter_runs(GAUSSIAN, other, only={"n": [20], "d": [1]}, cache_dir=store,
                               stored_only=True) is None
    assert claims.chapter_runs(GAUSSIAN, v, only={"d": [7]}, cache_dir=store).empty  # outside the grid
    with pytest.raises(ParameterError, match="not a grid parameter"):
        claims.chapter_runs(GAUSSIAN, v, only={"h": [1]})


def _toy_runs(levels: dict[str, float], seeds: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for wf, level in levels.items():
        for seed in range(seeds):
            base = rng.exponential()
            for t in (1, 2):
                rows.append({"workflow": wf, "seed": seed, "generation": t, "d": 10, "n": 100, "sigma2": 1.0,
                             "mean_sq_error": 0.1 * base * (level if t == 2 else 1) * rng.uniform(0.9, 1.1)})
    return pd.DataFrame(rows)


def test_the_bound_is_tested_in_every_cell_at_once_and_a_violation_flips_it():
    good = _toy_runs({"replace": 8.0, "accumulate-subsample": 2.5, "accumulate": 1.5})
    row = claims.bound_claims({"gaussian": good}).iloc[0]
    assert row.verdict == "reproduced" and "d = 10, n = 100" in row["where"]
    assert "π²/6" in row.reference and "would go unseen" in row.detail
    bad = _toy_runs({"replace": 8.0, "accumulate-subsample": 2.5, "accumulate": 3.3})  # twice pi^2/6
    assert claims.bound_claims({"gaussian": bad}).iloc[0].verdict == "differs"


def test_the_ordering_uses_paired_differences_and_a_reversal_flips_it():
    values = {"gaussian": {"ds": [10], "ns": [100], "sigma2": 1.0}}
    good = _toy_runs({"replace": 8.0, "accumulate-subsample": 2.5, "accumulate": 1.5})
    row = claims.ordering_claims({"gaussian": good}, values).iloc[0]
    assert row.verdict == "reproduced" and "paired" in row.note
    flipped = good.assign(workflow=good.workflow.map({"replace": "accumulate", "accumulate": "replace",
                                                      "accumulate-subsample": "accumulate-subsample"}))
    assert claims.ordering_claims({"gaussian": flipped}, values).iloc[0].verdict == "differs"
    tied = _toy_runs({"replace": 1.5, "accumulate-subsample": 1.5, "accumulate": 1.5}, seeds=20)
    assert claims.ordering_claims({"gaussian": tied}, values).iloc[0].verdict == "consistent"
    assert claims.ordering_claims({"gaussian": None}, values).empty


def test_holm_marks_only_differences_that_survive_the_whole_page():
    table = pd.DataFrame([verdicts.row(verdict="differs", p_value=1e-6), verdicts.row(verdict="differs", p_value=0.03),
                          *[verdicts.row(verdict="reproduced", p_value=1.0) for _ in range(8)],
                          verdicts.row(verdict="not run at this scale")])
    out = claims.with_multiplicity(table)
    assert list(out.holds_after_holm[:2]) == [True, False]
    assert np.isnan(out.p_holm.iloc[-1])


def test_all_claims_at_smoke_size_come_from_the_registry_and_link_to_pages_that_exist():
    table = claims.all_claims(claims.Context(SMOKE, {"cache_dir": None}))
    with_claims = [name for name in registry.SETTINGS if claims.claims_module(name) is not None]
    assert set(with_claims) <= set(table.family)
    assert set(table.verdict) <= set(verdicts.VERDICTS)
    for link in set(table.section):
        page, anchor = re.search(r'href="([\w-]+)\.html#([\w-]+)"', link).groups()
        source = next((p for p in (ROOT / "book" / f"{page}.py", ROOT / "book" / f"{page}.md") if p.exists()), None)
        assert source is not None, link
        headings = re.findall(r"^(?:# )?#{1,3} (.+)$", source.read_text(), flags=re.M)
        slugs = {re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in headings}
        assert anchor in slugs, f"{page} has no heading with the anchor {anchor!r}"
    lm = table[table.family == "lm"]
    assert (lm.verdict == "not run at this scale").all()  # never recomputed by a summary page
    assert (table.source.str.len() > 0).all()
    counts = claims.verdict_counts(table)
    assert counts.claims.sum() == len(table)
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


def test_language_model_claims_are_read_from_the_store_only(tmp_path):
    """The language model's runs are never recomputed by a summary page: with an empty store
    the rows say so; once the chapter's units are stored (here, made-up losses written under
    the keys the chapter's run_grid uses) they are read back and judged; a planted reference
    (twice the true ratio) flips the verdict."""

    module = claims.claims_module("lm")
    ctx = claims.Context(SMOKE, {"cache_dir": tmp_path})
    rows = module.claims(ctx).rows
    assert (rows.verdict == "not run at this scale").all() and rows.detail.str.contains("result store").all()
    v = chapters.chapter_values("language_models", SMOKE)
    grid, fixed = claims._grid_arguments(module.CHAPTER, v, None)
    store, code, spec = Store(tmp_path), registry.fingerprint("lm"), registry.get_setting("lm")
    rng = np.random.default_rng(3)
    for workflow, slope in {"replace": 0.5, "accumulate-subsample": 0.1, "accumulate": 0.01}.items():
        _, wf, T, seeds, params, opts = check_run("lm", workflow, v["n_generations"], v["seeds"], **fixed)
        for seed in seeds:
            frame = pd.DataFrame({"setting": "lm", "workflow": wf, "seed": seed, "generation": np.arange(1, T + 1),
                                  **{m: 1.0 for m in spec.metrics}})
            frame["test_loss"] = 1.0 + slope * (frame.generation - 1) * rng.uniform(0.98, 1.02, T)
            store.write(Store.request("lm", wf, T, [seed], params, opts), code, frame, 0.0)
    result = module.claims(ctx)
    assert result.runs is not None and len(result.runs) == 3 * T * len(seeds)
    judged = result.rows[result.rows.t <= T]
    assert judged.verdict.isin(["reproduced", "consistent", "differs"]).all()
