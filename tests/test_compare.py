"""Every setting side by side: the specs from the registry, normalisation, the reference
numbers of the compared cells, plateau measurement, the Gaussian plateau grid and its
approximation (measured, not exact), compute accounting."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from collapse_lib import compare as C
from collapse_lib import stats
from collapse_lib import workflow_pages as W
from collapse_lib.claims import View, settings_with
from collapse_lib.registry import part
from collapse_lib.validation import ParameterError
from collapse_lib.verdicts import ROW_COLUMNS, Reference, Source
from collapse_lib.workflows import WORKFLOWS

GAUSSIAN_THEORY = part("gaussian", "theory")


def curves(level: float, T: int = 40, seeds: int = 200, noise: float = 0.3, start: float = 1.0):
    """Synthetic runs that rise from ``start`` and settle at ``level``, with noise."""
    rng = np.random.default_rng(0)
    t = np.arange(1, T + 1)
    rows = []
    for s in range(seeds):
        value = level - (level - start) * np.exp(-(t - 1) / 3.0) + noise * rng.standard_normal(T)
        rows.append(pd.DataFrame({"setting": "toy", "label": "toy", "workflow": "accumulate-subsample",
                                  "seed": s, "generation": t, "normalised": value}))
    return pd.concat(rows, ignore_index=True)


def test_plateau_measured_on_synthetic_curves():
    levels = C.plateau_levels(curves(2.7), last=10)
    row = levels.iloc[0]
    assert abs(row.level - 2.7) < 2 * row.half + 1e-3
    assert row.half == pytest.approx(stats.t_quantile(200) * 0.3 / math.sqrt(10) / math.sqrt(200), rel=0.2)
    assert row.low == pytest.approx(row.level - row.half) and row.high == pytest.approx(row.level + row.half)
    assert row.first_generation == 31 and row.last_generation == 40 and row.seeds == 200
    assert row.at_generation == 10
    assert row.at_value == pytest.approx(2.7 - 1.7 * math.exp(-3), abs=0.05)
    short = C.plateau_levels(curves(2.0, T=6), last=2).iloc[0]
    assert short.at_generation == 6 and short.at_value == pytest.approx(2.0 - 1.0 * math.exp(-5 / 3), abs=0.05)
    with pytest.raises(ParameterError, match="exceeds"):
        C.plateau_levels(curves(2.0, T=5), last=6)


def test_normalise_ratio_and_excess():
    frame = pd.DataFrame({"setting": "s", "cell": "c", "workflow": np.repeat(["replace", "accumulate"], 4),
                          "seed": np.tile([0, 0, 1, 1], 2), "generation": np.tile([1, 2], 4),
                          "value": [2.0, 6.0, 4.0, 8.0, 2.0, 3.0, 4.0, 5.0]})
    ratio = C.normalise(frame, "ratio")
    np.testing.assert_allclose(ratio, frame.value / 3.0)   # mean first fit = 3
    excess = C.normalise(frame, "excess")
    np.testing.assert_allclose(excess, [0, 4, 0, 4, 0, 1, 0, 1])
    with pytest.raises(ParameterError, match="how"):
        C.normalise(frame, "log")
    with pytest.raises(ParameterError, match="generation 1"):
        C.normalise(frame[frame.generation == 2], "ratio")


def test_subsample_heuristic_values_and_limit():
    h = GAUSSIAN_THEORY.subsample_heuristic(np.arange(1, 6), 10)
    assert h[0] == pytest.approx(1.0)                      # generation 1: the real fit
    assert h[1] == pytest.approx(1 + 1 / 4 + 10 / 19)      # p_2 = 1 + (0 + 1)/4, s_2 = 10/19
    assert np.all(np.diff(h) > 0)
    far = GAUSSIAN_THEORY.subsample_heuristic(20_000, 10**6)
    assert float(far) == pytest.approx(GAUSSIAN_THEORY.SUBSAMPLE_HEURISTIC_LIMIT, abs=1e-3)
    assert GAUSSIAN_THEORY.SUBSAMPLE_HEURISTIC_LIMIT == pytest.approx(math.pi ** 2 / 2 - 2)
    with pytest.raises(ParameterError):
        GAUSSIAN_THEORY.subsample_heuristic(0, 10)


def _known_covariance_chains(chains: int, n: int, T: int, seed: int = 5) -> np.ndarray:
    """Accumulate-Subsample chains of a one-dimensional mean whose every batch is drawn with
    the true variance (the recursion's assumption); the error n * fit^2 per generation."""
    rng = np.random.default_rng(seed)
    pool = np.empty((chains, T * n))
    pool[:, :n] = rng.standard_normal((chains, n))
    err = np.empty((chains, T))
    for t in range(1, T + 1):
        size = t * n
        pick = np.argsort(rng.random((chains, size)), axis=1)[:, :n]
        fit = np.take_along_axis(pool[:, :size], pick, axis=1).mean(axis=1)
        err[:, t - 1] = n * fit ** 2
        if t < T:
            pool[:, size:size + n] = fit[:, None] + rng.standard_normal((chains, n))
    return err


def test_subsample_heuristic_is_an_approximation():
    """The recursion is close (within a few per cent) for chains that sample with the true
    covariance at moderate n, but not exact: at n = 4 it overstates them at t = 2, where it
    ignores the correlation between a subsample and its pool (many standard errors)."""
    S, n, T = 4000, 20, 8
    err = _known_covariance_chains(S, n, T)
    h = GAUSSIAN_THEORY.subsample_heuristic(np.arange(1, T + 1), n)
    se = err.std(axis=0, ddof=1) / math.sqrt(S)
    assert np.all(np.abs(err.mean(axis=0) - h) < 4 * se + 0.03 * h)
    small = _known_covariance_chains(20_000, 4, 2)[:, 1]
    h_small = float(GAUSSIAN_THEORY.subsample_heuristic(2, 4))
    assert h_small - small.mean() > 4 * small.std(ddof=1) / math.sqrt(small.size)


def test_plateau_grid_measures_the_approximation_error():
    """The Gaussian plateau grid (through the registry) normalises by d sigma2 / n, gives each
    cell's level with its interval, the approximation and its relative error; at n = 4 the
    real chains (whose fitted covariance shrinks) settle well below it."""
    grid = part("gaussian", "claims").plateau_grid
    runs, levels = grid([5, 20], [1, 8], n_generations=6, seeds=4, last=2)
    np.testing.assert_allclose(runs.normalised, runs.mean_sq_error * runs.n / runs.d)
    assert len(levels) == 4 and set(levels.columns) >= {"d", "n", "level", "low", "high", "half", "heuristic",
                                                        "heuristic_error"}
    assert levels.heuristic.iloc[0] == pytest.approx(float(GAUSSIAN_THEORY.subsample_heuristic(6, 5)))
    np.testing.assert_allclose(levels.heuristic_error, levels.heuristic / levels.level - 1)
    _, small = grid([4], [1], n_generations=10, seeds=1000, last=3)
    assert small.heuristic.iloc[0] > small.high.iloc[0]  # the approximation lies above the whole interval


def test_compute_accounting_formulas():
    n, T = 7, 12
    acc = C.compute_accounting(n, T).set_index(["workflow", "generation"])
    t = np.arange(1, T + 1)
    np.testing.assert_array_equal(acc.loc["replace"].per_generation, np.full(T, n))
    np.testing.assert_array_equal(acc.loc["accumulate-subsample"].cumulative, n * t)
    np.testing.assert_array_equal(acc.loc["accumulate"].per_generation, n * t)
    np.testing.assert_array_equal(acc.loc["accumulate"].cumulative, n * t * (t + 1) / 2)
    np.testing.assert_allclose(acc.loc["accumulate"].relative, (t + 1) / 2)
    tokens = C.compute_accounting(n, T, per_example=30.0, workflows=["accumulate"])
    assert tokens.cumulative.iloc[-1] == 30.0 * n * T * (T + 1) / 2
    assert set(C.compute_accounting(1, 1).workflow) == set(WORKFLOWS)
    with pytest.raises(ParameterError, match="per_example"):
        C.compute_accounting(n, T, per_example=0.0)
    with pytest.raises(ParameterError, match="workflow"):
        C.compute_accounting(n, T, workflows=["keep"])


SMALL = (
    C.SettingSpec("gaussian", "mean_sq_error", {"d": 2, "n": 20}, "ratio", "g"),
    C.SettingSpec("kde", "test_nll", {"dataset": "moons", "n": 20, "h": 0.2, "n_test": 50}, "excess", "k"),
    C.SettingSpec("discrete", "entropy_deficit", {"k": 4, "n": 20}, "ratio", "d",
                  derive=part("discrete", "claims").entropy_deficit),
)


def test_run_comparison_normalises_by_the_first_fit():
    frame = C.run_comparison(SMALL, n_generations=4, seeds=5)
    assert len(frame) == 3 * 3 * 5 * 4
    first = frame[frame.generation == 1]
    # every workflow's generation 1 is the same fit on the same real data
    spread = first.groupby(["setting", "seed"]).value.agg(lambda v: v.max() - v.min())
    assert spread.max() < 1e-9
    for setting, part_ in first.groupby("setting"):
        if setting == "kde":
            assert np.allclose(part_.normalised, 0.0)
        else:
            assert part_.normalised.mean() == pytest.approx(1.0)
    disc = frame[frame.setting == "discrete"]
    assert (disc.value >= 0).all() and (disc.value <= 1).all()
    # the runs' own columns come along: the cell's parameters and the derived metric
    np.testing.assert_array_equal(disc.entropy_deficit, disc.value)
    assert (frame.loc[frame.setting == "gaussian", "d"] == 2).all()
    again = C.run_comparison(SMALL, n_generations=4, seeds=5)
    pd.testing.assert_frame_equal(frame, again)
    with pytest.raises(ParameterError, match="at least one"):
        C.run_comparison([], n_generations=4, seeds=2)
    with pytest.raises(ParameterError, match="normalise"):
        C.SettingSpec("gaussian", "mean_sq_error", {}, "log", "bad")


def test_headline_specs_come_from_the_registry():
    """One spec per setting with a headline that is cheap to run (the language model's runs
    are read from its chapter instead), in registry order, at the chapter's cell with the
    given n; the chapter's silenced warnings travel with it."""
    specs = C.headline_specs(37, "tests/params/smoke.yml")
    expected = [name for name, module in settings_with("HEADLINE") if not module.CHAPTER.expensive]
    assert [s.setting for s in specs] == expected and "lm" not in expected
    for spec in specs:
        module = part(spec.setting, "claims")
        assert spec.params["n"] == 37 and spec.metric == module.HEADLINE.metric
        assert spec.label.startswith(module.CHAPTER.title) and "n =" not in spec.where
        assert spec.quiet == tuple(module.CHAPTER.quiet)
    # a setting that refuses the common n keeps its headline's own cell, and says why
    refused = {s.setting: s for s in C.headline_specs(1, "tests/params/smoke.yml") if "instead" in s.extra}
    assert "gaussian" in refused and refused["gaussian"].params["n"] == 100
    assert refused["gaussian"].extra["instead"] == "n = 100" and "'n'" in refused["gaussian"].extra["why"]
    assert "n = 100" in refused["gaussian"].where


def test_reference_claims_judge_the_compared_cells(monkeypatch):
    """The references whose conditions are a compared cell's, at their own generation: a run
    shorter than the reference is 'not run at this scale'; a cell no reference names gives no
    row; a planted wrong range flips the verdict."""
    refs = part("gaussian", "reference").REFERENCES
    spec = next(s for s in C.headline_specs(100, "") if s.setting == "gaussian")
    cell = {k: v for k, v in spec.params.items()}
    wanted = [r for r in refs if all(cell.get(k) == v for k, v in r.conditions.items())]
    assert wanted  # the paper quotes the Gaussian's headline cell at n = 100
    short = C.run_comparison([spec], n_generations=3, seeds=4)
    rows = C.reference_claims(short, [spec])
    assert list(rows.columns) == list(ROW_COLUMNS) and len(rows) == len(wanted)
    assert set(rows.verdict) == {"not run at this scale"}
    other = C.SettingSpec("gaussian", spec.metric, {**cell, "n": 37}, "ratio", spec.label, derive=spec.derive)
    assert C.reference_claims(C.run_comparison([other], n_generations=3, seeds=4), [other]).empty
    # a reference at this build's own mean is not "differs"; the same reference x4 is
    runs = C.run_comparison([spec], n_generations=3, seeds=50)
    last = runs[(runs.workflow == "accumulate") & (runs.generation == 3)][spec.metric].mean()
    source = Source("paper", "a planted number", "for the test")
    conditions = {k: cell[k] for k in ("d", "n")}
    module = part("gaussian", "reference")
    for factor, verdicts in ((1.0, {"reproduced", "consistent"}), (4.0, {"differs"})):
        planted = Reference("accumulate", conditions, spec.metric, last * factor, 0.9 * last * factor,
                            1.1 * last * factor, source, t=3)
        monkeypatch.setattr(module, "REFERENCES", (planted,))
        rows = C.reference_claims(runs, [spec])
        assert len(rows) == 1 and rows.verdict.iloc[0] in verdicts


# --- the pages' helpers (collapse_lib.workflow_pages) ----------------------------------------------

def _toy_view(theory=True, **kwargs):

    return View(title="Toy: growth", shape="growth", y="err", ylabel="error", cell=lambda values: {"d": [3]},
                theory=(lambda part_, ts: ts.astype(float)) if theory else None,
                summary=lambda runs: f"**Growth** (toy). Up to {runs.err.max():.1f}.", **kwargs)


def _toy_runs(seeds=8, T=5, ns=(10, 20), slope=1.0):
    rng = np.random.default_rng(1)
    rows = [{"seed": s, "generation": t, "n": n, "d": 3, "err": slope * t + 0.1 * rng.standard_normal()}
            for n in ns for s in range(seeds) for t in range(1, T + 1)]
    return pd.DataFrame(rows)


def test_view_figure_one_panel_per_entry_and_none_empty():


    entries = [("gaussian", _toy_view(), _toy_runs(), {}) for _ in range(3)]
    fig, axes = W.view_figure(entries)
    try:
        visible = [ax for ax in axes.flat if ax.get_visible()]
        assert axes.shape == (2, 2) and len(visible) == 3       # the fourth panel is hidden
        assert visible[0].get_title() == "Toy: growth\nd = 3"
        labels = visible[0].get_legend_handles_labels()[1]
        assert labels == ["n = 10", "n = 20", "theory"]
    finally:
        plt.close(fig)


def test_last_generation_table_and_sentences():

    entries = [("gaussian", _toy_view(), _toy_runs(), {}), ("kde", _toy_view(theory=False), _toy_runs(), {})]
    rows = W.last_generation(entries)
    assert len(rows) == 4 and list(rows.t) == [5] * 4
    iv = stats.mean_interval(_toy_runs().query("n == 10 and generation == 5").err)
    assert rows["mean"].iloc[0] == pytest.approx(iv.centre) and rows["low"].iloc[0] == pytest.approx(iv.low)
    assert rows.inside.iloc[0] is True and math.isnan(rows.theory.iloc[2]) and rows.inside.iloc[2] is None
    html = W.last_generation_table(rows)
    assert html.count("<tr>") == 5 and 'href="gaussian.html"' in html and html.count("Student t") == 4
    assert W.theory_phrase(rows) == "The closed form lies inside this build's 95% interval on both lines that have " \
                                    "one."
    off = W.last_generation([("gaussian", _toy_view(), _toy_runs(slope=2.0), {})])
    assert W.theory_phrase(off).startswith("The closed form lies outside this build's 95% interval on both lines that "
                                           "have one (Multivariate Gaussians at n = 10 and 20);")
    mixed = pd.concat([rows, off.iloc[:1]], ignore_index=True)
    assert "on one of the three lines that have one" in W.theory_phrase(mixed)
    summary = W.summary_markdown(entries)
    assert summary.startswith("- **Growth** (toy).") and summary.count("\n") == 1


def test_phrases_read_as_a_person_writes():

    assert [W.count_words(k, "cell") for k in (0, 1, 3, 12)] == ["no cells", "one cell", "three cells", "12 cells"]
    assert W.join_words(["a"]) == "a" and W.join_words(["a", "b", "c"]) == "a, b and c"
    runs = _toy_runs()
    runs.attrs.update(units=4, cached=[{}] * 4)
    assert W.stored_phrase([runs]) == "All four runs were read from the result store."
    runs.attrs.update(cached=[])
    assert W.stored_phrase([runs]).startswith("The result store held none of the four runs")
    rows = pd.DataFrame({"verdict": ["reproduced", "not run at this scale", "not run at this scale"]})
    assert W.verdict_sentence(rows) == ("Of the three reference numbers, one is reproduced and two were not run at "
                                        "this scale.")
    assert W.verdict_sentence(rows.iloc[1:]) == "None of the two reference numbers was run at this scale."
    assert W.verdict_sentence(rows.iloc[:1]) == "The one reference number is reproduced."
    assert W.verdict_sentence(rows.iloc[:0]) == "No reference number applies here."


def test_ordering_uses_the_last_generation_every_workflow_reached():
    """A chain that ends early (logistic regression's Replace at separation) leaves the last
    generation without one workflow: the order is judged where all three still have runs."""
    rows = []
    for seed in range(6):
        for t in (1, 2, 3):
            for wf, value in (("replace", 10.0 + seed % 3), ("accumulate-subsample", 2.0 + 0.1 * (seed % 2)),
                              ("accumulate", 1.0)):
                if wf == "replace" and t == 3:
                    continue  # Replace ended before the last generation
                rows.append({"setting": "toy", "workflow": wf, "seed": seed, "generation": t, "value": value})
    spec = SimpleNamespace(setting="toy", label="Toy: its metric")
    sentence = W.ordering_sentence(pd.DataFrame(rows), [spec])
    assert "holds beyond seed noise in the one setting" in sentence, sentence
    lonely = pd.DataFrame([r for r in rows if r["workflow"] != "replace" or r["seed"] == 0])
    assert "not resolved" in W.ordering_sentence(lonely, [spec])
