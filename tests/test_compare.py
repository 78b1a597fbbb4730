"""Every setting side by side: normalisation, plateau measurement, the subsample heuristic,
compute accounting, loading the language model's results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from collapse_lib import compare as C
from collapse_lib.validation import ParameterError
from collapse_lib.workflows import WORKFLOWS


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
    assert abs(row.level - 2.7) < 2 * row.ci95 + 1e-3
    assert row.ci95 == pytest.approx(1.96 * 0.3 / math.sqrt(10) / math.sqrt(200), rel=0.2)
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
    h = C.subsample_heuristic(np.arange(1, 6), 10)
    assert h[0] == pytest.approx(1.0)                      # generation 1: the real fit
    assert h[1] == pytest.approx(1 + 1 / 4 + 10 / 19)      # p_2 = 1 + (0 + 1)/4, s_2 = 10/19
    assert np.all(np.diff(h) > 0)
    far = C.subsample_heuristic(20_000, 10**6)
    assert float(far) == pytest.approx(C.SUBSAMPLE_HEURISTIC_LIMIT, abs=1e-3)
    assert C.SUBSAMPLE_HEURISTIC_LIMIT == pytest.approx(math.pi ** 2 / 2 - 2)
    with pytest.raises(ParameterError):
        C.subsample_heuristic(0, 10)


def test_subsample_heuristic_matches_known_covariance_chains():
    """The recursion is exact in expectation when every generation samples with the true
    covariance: check it against such chains (Monte Carlo, 4 standard errors)."""
    rng = np.random.default_rng(5)
    S, n, T = 4000, 20, 8
    pool = np.empty((S, T * n))
    pool[:, :n] = rng.standard_normal((S, n))
    err = np.empty((S, T))
    for t in range(1, T + 1):
        size = t * n
        pick = np.argsort(rng.random((S, size)), axis=1)[:, :n]
        fit = np.take_along_axis(pool[:, :size], pick, axis=1).mean(axis=1)
        err[:, t - 1] = n * fit ** 2
        if t < T:
            pool[:, size:size + n] = fit[:, None] + rng.standard_normal((S, n))
    h = C.subsample_heuristic(np.arange(1, T + 1), n)
    se = err.std(axis=0, ddof=1) / math.sqrt(S)
    assert np.all(np.abs(err.mean(axis=0) - h) < 4 * se)


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
    C.SettingSpec("discrete", "entropy_deficit", {"k": 4, "n": 20}, "ratio", "d", derive=C.entropy_deficit),
)


def test_run_comparison_normalises_by_the_first_fit():
    frame = C.run_comparison(SMALL, n_generations=4, seeds=5)
    assert len(frame) == 3 * 3 * 5 * 4
    first = frame[frame.generation == 1]
    # every workflow's generation 1 is the same fit on the same real data
    spread = first.groupby(["setting", "seed"]).value.agg(lambda v: v.max() - v.min())
    assert spread.max() < 1e-9
    for setting, part in first.groupby("setting"):
        if setting == "kde":
            assert np.allclose(part.normalised, 0.0)
        else:
            assert part.normalised.mean() == pytest.approx(1.0)
    disc = frame[frame.setting == "discrete"]
    assert (disc.value >= 0).all() and (disc.value <= 1).all()
    again = C.run_comparison(SMALL, n_generations=4, seeds=5)
    pd.testing.assert_frame_equal(frame, again)
    with pytest.raises(ParameterError, match="at least one"):
        C.run_comparison([], n_generations=4, seeds=2)
    with pytest.raises(ParameterError, match="normalise"):
        C.SettingSpec("gaussian", "mean_sq_error", {}, "log", "bad")


def test_gaussian_plateau_grid_normalisation():
    runs, levels = C.gaussian_plateau_grid([5, 20], [1, 8], n_generations=6, seeds=4, last=2)
    np.testing.assert_allclose(runs.normalised, runs.mean_sq_error * runs.n / runs.d)
    assert len(levels) == 4 and set(levels.columns) >= {"d", "n", "level", "ci95", "heuristic"}
    assert levels.heuristic.iloc[0] == pytest.approx(float(C.subsample_heuristic(6, 5)))


