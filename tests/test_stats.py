"""The statistics module: every interval covers where it claims to (collapse_lib.stats)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib import stats


def _coverage(intervals: list[stats.Interval], truth: float) -> float:
    return float(np.mean([iv.low <= truth <= iv.high for iv in intervals]))


def test_student_t_covers_three_normal_seeds():
    """With 3 seeds the t quantile is 4.30; 1.96 would cover about 81%."""
    rng = np.random.default_rng(1)
    samples = rng.normal(2.0, 3.0, size=(4000, 3))
    ivs = [stats.mean_interval(s) for s in samples]
    assert all(iv.method == "t" for iv in ivs)
    assert _coverage(ivs, 2.0) >= 0.93
    assert stats.t_quantile(3) == pytest.approx(4.3027, abs=1e-4)
    naive = np.mean([abs(s.mean() - 2.0) <= 1.96 * s.std(ddof=1) / math.sqrt(3) for s in samples])
    assert naive < 0.85  # what the t quantile fixes


@pytest.mark.slow
def test_heavy_tailed_interval_covers_the_gaussian_replace_error():
    """Gaussian Replace, d = 1, n = 10, t = 100: E error = 1 - 0.9^100 exactly; the error over
    seeds has skewness near 28. 400 replications of 100 seeds each."""
    frame = cl.simulate("gaussian", "replace", n_generations=100, seeds=40_000, d=1, n=10, sigma2=1.0)
    values = frame.loc[frame.generation == 100, "mean_sq_error"].to_numpy().reshape(400, 100)
    truth = 1 - 0.9 ** 100
    auto = [stats.mean_interval(v) for v in values]
    assert sum(iv.method == "heavy" for iv in auto) >= 390  # auto recognises the tail
    assert _coverage(auto, truth) >= 0.93
    plain = [stats.mean_interval(v, method="t") for v in values]
    assert _coverage(plain, truth) < 0.90  # the failure the heavy method fixes


def test_t_interval_on_normal_means_and_the_band_summary_agree():
    rng = np.random.default_rng(2)
    samples = rng.normal(0.0, 1.0, size=(2000, 100))
    assert _coverage([stats.mean_interval(s) for s in samples], 0.0) >= 0.93

    frame = pd.DataFrame({"g": np.repeat([0, 1], 100), "y": samples[:2].ravel()})
    table = stats.summarise(frame, "y", "g")
    one = stats.mean_interval(samples[1])
    assert table.loc[1, "lo"] == pytest.approx(one.low) and table.loc[1, "hi"] == pytest.approx(one.high)


def test_log_t_band_stays_positive():
    values = np.array([1e-3, 2.0, 5.0, 0.1])
    iv = stats.mean_interval(values, method="log-t")
    assert iv.low > 0 and iv.low < values.mean() < iv.high


def test_median_interval_is_distribution_free():
    rng = np.random.default_rng(3)
    samples = rng.exponential(size=(2000, 30))
    assert _coverage([stats.median_interval(s) for s in samples], math.log(2)) >= 0.94
    assert not stats.median_interval([1.0, 2.0, 3.0]).finite  # no 95% interval from 3 values


def test_paired_difference_and_fieller_ratio_cover():
    rng = np.random.default_rng(4)
    common = rng.normal(size=(2000, 5))
    a = 10 + common + 0.3 * rng.normal(size=(2000, 5))
    b = 8 + common + 0.3 * rng.normal(size=(2000, 5))
    assert _coverage([stats.paired_difference(x, y) for x, y in zip(a, b)], 2.0) >= 0.93
    assert _coverage([stats.ratio_of_means(x, y, paired=True) for x, y in zip(a, b)], 10 / 8) >= 0.93
    wide = stats.ratio_of_means([1.0, 2.0, 3.0], [-1.0, 0.1, 1.2], paired=True)
    assert wide.low == -math.inf and wide.high == math.inf  # a denominator not away from zero


def test_holm_adjusts_in_step_down_order():
    adjusted = stats.holm([0.01, 0.04, 0.03, math.nan])
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06]) and math.isnan(adjusted[3])


def test_intervals_are_deterministic_and_say_when_they_cannot_exist():
    values = np.random.default_rng(5).lognormal(0, 2.5, 100)
    assert stats.mean_interval(values) == stats.mean_interval(values)
    assert stats.mean_interval(values).method == "heavy"
    one = stats.mean_interval([3.0])
    assert one.centre == 3.0 and not one.finite
    assert stats.mean_interval([]).n == 0
    assert stats.seeds_to_resolve(stats.mean_interval([1.0, 2.0, 3.0, 4.0]), 0.1) > 4
