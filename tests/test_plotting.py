"""The shared plotting helpers: bands that stay positive, readable figures, theory in the legend."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib import plotting
from collapse_lib import stats as cl_stats


def _tidy(values: np.ndarray) -> pd.DataFrame:
    """values (seeds, generations) as a tidy frame."""
    s, t = values.shape
    return pd.DataFrame({"seed": np.repeat(np.arange(s), t), "generation": np.tile(np.arange(1, t + 1), s),
                         "y": values.reshape(-1)})


def test_positive_band_never_reaches_zero_and_is_bounded():
    rng = np.random.default_rng(0)
    # heavy-tailed and positive, few seeds: a mean +- q se band would go far below zero
    values = rng.lognormal(0.0, 2.5, size=(3, 40))
    stats = plotting.summarise(_tidy(values), "y")
    q = cl_stats.t_quantile(3)  # Student's t with 2 degrees of freedom: 4.30
    plain = values.mean(axis=0) - q * values.std(axis=0, ddof=1) / np.sqrt(3)
    assert (plain < 0).any()  # the old band would have left a log axis
    assert (stats.lo > 0).all() and (stats.lo <= stats.centre).all() and (stats.centre <= stats.hi).all()
    np.testing.assert_allclose(stats.centre, values.mean(axis=0))  # centre: the arithmetic mean
    # se / mean <= 1 for positive values: the band spans at most exp(q) either way
    assert (stats.hi / stats.centre <= np.exp(q) + 1e-12).all()
    np.testing.assert_allclose(stats.hi / stats.centre, stats.centre / stats.lo)  # symmetric in log space
    sd = plotting.summarise(_tidy(values), "y", band="sd")
    assert (sd.lo > 0).all()
    iqr = plotting.summarise(_tidy(values), "y", band="iqr")
    assert (iqr.lo > 0).all() and (iqr.lo <= iqr.centre).all()


def test_log_space_interval_covers_the_mean():
    """The delta-method interval is a real 95% interval of the mean (exponential data, 100 seeds)."""
    rng = np.random.default_rng(1)
    draws = rng.exponential(2.0, size=(100, 2000))  # 2000 experiments of 100 seeds, true mean 2
    stats = plotting.summarise(_tidy(draws), "y")  # "generation" = experiment
    coverage = float(((stats.lo <= 2.0) & (2.0 <= stats.hi)).mean())
    assert 0.92 < coverage < 0.97


def test_signed_metric_keeps_the_plain_band():
    values = np.array([[-1.0, 2.0], [1.0, 4.0], [3.0, 6.0]])
    stats = plotting.summarise(_tidy(values), "y")
    half = cl_stats.t_quantile(3) * values.std(axis=0, ddof=1) / np.sqrt(3)
    np.testing.assert_allclose(stats.lo, values.mean(axis=0) - half)
    np.testing.assert_allclose(stats.hi, values.mean(axis=0) + half)
    forced = plotting.summarise(_tidy(np.abs(values) + 1), "y", positive=False)
    assert np.allclose(forced.hi - forced.centre, forced.centre - forced.lo)


def test_geometric_band_is_positive_across_decades():
    values = 10.0 ** np.array([[-30.0, -1.0], [-20.0, -2.0], [-25.0, -1.5]])
    stats = plotting.summarise(_tidy(values), "y", geometric=True)
    assert (stats.lo > 0).all()
    np.testing.assert_allclose(np.log10(stats.centre), [-25.0, -1.5])


def test_bands_stay_on_log_axes():
    rng = np.random.default_rng(2)
    frame = _tidy(rng.lognormal(0.0, 3.0, size=(2, 12)))
    fig, ax = plt.subplots()
    plotting.mean_band(ax, frame, "y", log=True)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isfinite(band).all() and (band > 0).all()
    plotting.log_rows(np.array([[ax]]))
    low, high = ax.get_ylim()
    assert low <= band.min() and band.max() <= high  # the band is inside the axis
    plt.close(fig)


def test_workflow_grid_is_readable_with_theory_in_the_legend():
    plotting.book_style()
    frames = [cl.simulate("gaussian", wf, n_generations=5, seeds=4, d=2, n=n)
              for wf in cl.WORKFLOWS for n in (10, 40)]
    results = pd.concat(frames, ignore_index=True)
    fig, axes = plotting.workflow_grid(results, "mean_sq_error", hue="n", theory="gaussian",
                                       panel_size=(3.6, 2.6))
    assert fig.get_figwidth() <= plotting.MAX_WIDTH + 1e-9
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["n = 10", "n = 40", "theory"]
    fig.canvas.draw()
    for ax in axes.flat:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert all(float(t).is_integer() for t in ticks)
    assert min(matplotlib.rcParams[k] for k in ("font.size", "xtick.labelsize", "ytick.labelsize",
                                                 "legend.fontsize")) >= 9
    plt.close(fig)


def test_empty_panels_are_hidden():
    frame = cl.simulate("gaussian", "replace", n_generations=3, seeds=2, d=1, n=10)
    frame = pd.concat([frame.assign(k=1), cl.simulate("gaussian", "accumulate", n_generations=3, seeds=2, d=1,
                                                      n=10).assign(k=2)], ignore_index=True)
    fig, axes = plotting.workflow_grid(frame, "mean_sq_error", hue="n", row="k")
    visible = [[ax.get_visible() for ax in row] for row in axes]
    assert visible == [[True, False], [False, True]]
    # the bottom panel of the first column is hidden: the one above carries the x label
    assert axes[0, 0].get_xlabel() == "generation $t$"
    plt.close(fig)


def test_compare_workflows_names_theory_once():
    frame = pd.concat([cl.simulate("gaussian", wf, n_generations=4, seeds=3, d=1, n=10) for wf in cl.WORKFLOWS],
                      ignore_index=True)
    fig, ax = plt.subplots()
    plotting.compare_workflows(ax, frame, "mean_sq_error", theory="gaussian")
    plotting.compare_workflows(ax, frame, "mean_sq_error", theory="gaussian")
    labels = ax.get_legend_handles_labels()[1]
    assert labels.count("theory") == 1 and "Replace" in labels
    plt.close(fig)


@pytest.mark.parametrize("panel", [(3.6, 2.6), (2.0, 2.0)])
def test_workflow_axes_fit_the_column(panel):
    fig, axes = plotting.workflow_axes(2, panel_size=panel)
    assert axes.shape == (2, 3) and fig.get_figwidth() <= plotting.MAX_WIDTH + 1e-9
    plt.close(fig)
