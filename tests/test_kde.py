"""Kernel density estimation (collapse_lib.settings.kde): exactness, workflows, fast path, theory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from collapse_lib import ParameterError, simulate
from collapse_lib.settings.kde import model as kde
from collapse_lib.settings.kde import theory as stheory
from collapse_lib.workflows import WORKFLOWS, run_chain, seed_rngs

sklearn_neighbors = pytest.importorskip("sklearn.neighbors")
KernelDensity = sklearn_neighbors.KernelDensity

BANDWIDTHS = (0.01, 0.1, 0.5, 1.0, 100.0, "scott", "silverman")


def brute_log_density(train: np.ndarray, test: np.ndarray, h: float) -> np.ndarray:
    """The definition, written out: pairwise differences and scipy's logsumexp."""
    k, d = train.shape
    sq = ((test[:, None, :] - train[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-sq / (2 * h * h), axis=1) - math.log(k) - 0.5 * d * math.log(2 * math.pi) \
        - d * math.log(h)


def close(a, b, rtol=1e-9, atol=1e-9) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# --- exactness -----------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", kde.DATASETS)
def test_scores_equal_sklearn_for_every_dataset_and_bandwidth(dataset):
    # leaf_size >= k puts every training point in one leaf, so scikit-learn sums every
    # kernel term itself (no tree pruning): its exact answer
    rng = np.random.default_rng(11)
    test = kde.sample_dataset(dataset, 200, rng)
    for k in (1, 10, 300):  # 300 > 128 exercises the large-k code path
        train = kde.sample_dataset(dataset, k, rng)
        for h in BANDWIDTHS:
            ours = kde.kde_log_density(train, test, h)
            ref = KernelDensity(kernel="gaussian", bandwidth=h, leaf_size=k).fit(train).score_samples(test)
            close(ours, ref)


@pytest.mark.parametrize("dataset,h", [(ds, h) for ds in ("circles", "moons") for h in BANDWIDTHS[1:]]
                         + [("blobs", 1.0), ("swiss_roll", 1.0), ("blobs", "scott"), ("blobs", "silverman")])
def test_scores_equal_sklearn_default_tree(dataset, h):
    # scikit-learn's default tree is exact here; for low densities (swiss roll at
    # h <= 0.5, blobs at 0.1) it is not (scikit-learn issues #7492, #27186): see the chapter
    rng = np.random.default_rng(12)
    train, test = kde.sample_dataset(dataset, 400, rng), kde.sample_dataset(dataset, 300, rng)
    close(kde.kde_log_density(train, test, h),
          KernelDensity(kernel="gaussian", bandwidth=h).fit(train).score_samples(test))


def test_kernel_sums_exact_for_far_points_and_batches():
    rng = np.random.default_rng(13)
    for k in (5, 300):
        train = 0.1 * rng.standard_normal((k, 2))
        near_and_far = np.concatenate([0.1 * rng.standard_normal((40, 2)), rng.standard_normal((40, 2)) + 30.0])
        for h in (0.01, 0.1, 1.0, 3.0):  # underflowing, shifted and plain paths
            close(kde.kde_log_density(train, near_and_far, h), brute_log_density(train, near_and_far, h))
        very_far = np.array([[1000.0, 0.0], [0.0, -3000.0]])
        close(kde.kde_log_density(train, very_far, 0.1), brute_log_density(train, very_far, 0.1), atol=0)
    # a batch of problems equals the problems one by one
    tests, trains = rng.standard_normal((7, 50, 3)), rng.standard_normal((7, 20, 3)) * 3
    batch = kde.log_kernel_sums(tests, trains, 0.2)
    for s in range(7):
        close(batch[s], kde.log_kernel_sums(tests[s], trains[s], 0.2), rtol=1e-12, atol=1e-12)


def test_bandwidth_rules_equal_sklearn():
    rng = np.random.default_rng(14)
    for d in (1, 2, 3):
        for k in (1, 10, 1000):
            x = rng.standard_normal((k, d))
            for rule in kde.BANDWIDTH_RULES:
                assert kde.bandwidth_for(rule, k, d) == KernelDensity(bandwidth=rule).fit(x).bandwidth_
    assert kde.bandwidth_for(0.3, 10, 2) == 0.3


def test_datasets_shapes_and_same_distribution_for_train_and_test():
    rng = np.random.default_rng(15)
    for ds in kde.DATASETS:
        x = kde.sample_dataset(ds, 2000, rng)
        assert x.shape == (2000, kde.DIMENSION[ds])
    # blobs: fixed centres, so train and test of any seed share them
    a = simulate("kde", "replace", n_generations=1, seeds=range(20), dataset="blobs", n=1000, h=0.1)
    assert a["test_nll"].between(4.0, 6.0).all()
    # the authors' test set has new random centres: typically far from the training blobs
    b = simulate("kde", "replace", n_generations=1, seeds=range(20), dataset="blobs", n=1000, h=0.1,
                 authors_test=True)
    assert b["test_nll"].median() > 10 * a["test_nll"].median()


# --- the workflows -------------------------------------------------------------------------

def test_training_sets_follow_the_workflows():
    keep = (1, 2, 5)
    real = {}
    for wf in WORKFLOWS:
        sets = kde.training_sets(wf, dataset="moons", n=12, h=0.2, n_generations=5, seed=4, keep=keep)
        real[wf] = sets[1]
        for t, x in sets.items():
            assert x.shape == ((t * 12 if wf == "accumulate" else 12), 2)
        if wf == "accumulate":  # the real points stay, in front
            assert np.array_equal(sets[5][:12], sets[1])
    # every workflow starts from the same real points (Accumulate-Subsample: in another order)
    assert np.array_equal(real["replace"], real["accumulate"])
    assert np.array_equal(np.sort(real["accumulate-subsample"], axis=0), np.sort(real["replace"], axis=0))


def test_bookkeeping_columns():
    n, T = 15, 8
    frames = {wf: simulate("kde", wf, n_generations=T, seeds=6, dataset="circles", n=n, h="scott")
              for wf in WORKFLOWS}
    for wf, f in frames.items():
        assert len(f) == 6 * T and set(kde.METRICS) <= set(f.columns)
        assert (f["setting"] == "kde").all() and (f["h"] == "scott").all()
        sizes = f["generation"] * n if wf == "accumulate" else pd.Series(n, index=f.index)
        np.testing.assert_allclose(f["bandwidth"], sizes ** (-1 / 6))   # scott, d = 2
        assert f["ancestors"].between(1, n).all()
    acc, rep = frames["accumulate"], frames["replace"]
    assert (acc["ancestors"] == n).all()                                 # real points never leave
    lost = rep.pivot(index="seed", columns="generation", values="ancestors").to_numpy()
    assert (np.diff(lost, axis=1) <= 0).all() and lost[:, 0].tolist() == [n] * 6
    first = {wf: f[f["generation"] == 1]["test_nll"].to_numpy() for wf, f in frames.items()}
    np.testing.assert_allclose(first["replace"], first["accumulate"], rtol=1e-12)
    np.testing.assert_allclose(first["replace"], first["accumulate-subsample"], rtol=1e-9)


def test_options_beyond_the_paper_go_through_the_generic_loop():
    n, T = 10, 5
    fresh = simulate("kde", "accumulate", n_generations=T, seeds=3, dataset="moons", n=n, h=0.3,
                     fresh_real=True)
    np.testing.assert_array_equal(fresh["ancestors"], fresh["generation"] * n)  # n new real points per t
    mixed = simulate("kde", "replace", n_generations=T, seeds=3, dataset="moons", n=n, h=0.3, real_mix=0.5)
    assert (mixed["ancestors"] >= n // 2).all()
    assert mixed["test_nll"].notna().all()


def test_determinism_and_seed_independence(monkeypatch):
    args = dict(n_generations=6, dataset="swiss_roll", n=9, h=0.5, n_test=40)
    for wf in WORKFLOWS:
        a = simulate("kde", wf, seeds=[0, 3, 7], **args)
        pd.testing.assert_frame_equal(a, simulate("kde", wf, seeds=[0, 3, 7], **args))
        alone = simulate("kde", wf, seeds=[3], **args)
        np.testing.assert_array_equal(a[a["seed"] == 3]["test_nll"].to_numpy(), alone["test_nll"].to_numpy())
    # batches bounded in memory give the same numbers
    sizes = []
    chunk = kde._run_chunk
    monkeypatch.setattr(kde, "_run_chunk",
                        lambda wf, T, seeds, *r, **k: sizes.append(len(seeds)) or chunk(wf, T, seeds, *r, **k))
    monkeypatch.setattr(kde, "MEMORY_BUDGET", 2 * 6 * 9 * (8 * 3 + 8))
    b = simulate("kde", "accumulate", seeds=[0, 3, 7], **args)
    assert sizes == [2, 1]
    np.testing.assert_array_equal(b["test_nll"], simulate("kde", "accumulate", seeds=[0, 3, 7], **args)["test_nll"])


def test_simulate_sampler_matches_simulate():
    args = dict(n_generations=5, n=12, h=0.4, n_test=50)
    for wf in WORKFLOWS:
        ours = kde.simulate_sampler(wf, dataset="circles", seeds=[2, 5], **args)
        ref = simulate("kde", wf, seeds=[2, 5], dataset="circles", **args)
        for col in ("seed", "generation", *kde.METRICS):
            np.testing.assert_array_equal(ours[col].to_numpy(), ref[col].to_numpy())
    one_d = kde.simulate_sampler("replace", dataset=kde.normal_sampler(1), seeds=range(3), **args)
    assert len(one_d) == 15 and (one_d["bandwidth"] == 0.4).all()


# --- fast path against the generic loop and against scikit-learn --------------------------

@pytest.mark.parametrize("workflow", WORKFLOWS)
@pytest.mark.parametrize("h", [0.2, "silverman"])
def test_fast_path_equals_generic_loop(workflow, h):
    seeds, T, n = [1, 2, 9], 7, 11
    fast = kde.run_batched(workflow, T, seeds, dataset="moons", n=n, h=h, n_test=60)
    for i, seed in enumerate(seeds):
        rows = run_chain(kde.KDETask("moons", h, n_test=60), workflow, n=n, n_generations=T, seed=seed)
        for metric in kde.METRICS:
            close(fast[metric][i], [r[metric] for r in rows], rtol=1e-9, atol=1e-12)


def test_accumulate_scores_only_the_new_points(monkeypatch):
    sizes = []
    original = kde.PreparedTest.log_sums

    def spy(self, train, h):
        sizes.append(train.shape[1])
        return original(self, train, h)

    monkeypatch.setattr(kde.PreparedTest, "log_sums", spy)
    kde.run_batched("accumulate", 30, [0, 1], dataset="moons", n=8, h=0.1, n_test=20)
    assert sizes == [8] * 30                         # O(T n m), not O(T^2 n m)
    sizes.clear()
    kde.run_batched("accumulate", 30, [0, 1], dataset="moons", n=8, h="scott", n_test=20, eval_points=5)
    assert len(sizes) <= 5 and sizes[-1] == 30 * 8   # rule bandwidths rescore, at eval points only


def test_eval_points_keep_the_values():
    for wf in WORKFLOWS:
        full = kde.run_batched(wf, 40, [0, 1], dataset="circles", n=6, h="scott", n_test=30)
        some = kde.run_batched(wf, 40, [0, 1], dataset="circles", n=6, h="scott", n_test=30, eval_points=6)
        mask = kde.evaluation_generations(40, 6)
        assert mask[0] and mask[-1] and 3 <= mask.sum() <= 6
        assert np.isnan(some["test_nll"][:, ~mask]).all()
        close(some["test_nll"][:, mask], full["test_nll"][:, mask], rtol=1e-12, atol=0)
        np.testing.assert_array_equal(some["spread"], full["spread"])


def test_fast_path_agrees_with_sklearn_loop_within_monte_carlo_error():
    # an independent implementation (scikit-learn fit / score_samples / sample each
    # generation, its own random stream) must give the same distribution of test NLL
    seeds, T, n = list(range(40)), 8, 10
    for wf in WORKFLOWS:
        ours = kde.run_batched(wf, T, seeds, dataset="moons", n=n, h=0.5, n_test=100)["test_nll"]
        theirs = np.array([kde.sklearn_chain(wf, T, s, dataset="moons", n=n, h=0.5, n_test=100)
                           for s in seeds])
        close(ours[:, 0], theirs[:, 0])              # same real data and test set: same first fit
        for t in (T // 2, T - 1):
            se = math.sqrt(ours[:, t].var(ddof=1) / len(seeds) + theirs[:, t].var(ddof=1) / len(seeds))
            assert abs(ours[:, t].mean() - theirs[:, t].mean()) < 4 * se, (wf, t)


# --- theory --------------------------------------------------------------------------------

def _residual_z(values: np.ndarray, expected: np.ndarray) -> np.ndarray:
    resid = values - expected
    return resid.mean(axis=0) / (resid.std(axis=0, ddof=1) / math.sqrt(len(resid)) + 1e-300)


def test_replace_spread_grows_by_h2_per_generation_in_1d():
    # 1-D real data N(0, 1): E spread_t = r^(t-1) s1 + (n-1) h^2 (1 - r^(t-1)), r = (n-1)/n
    normal = lambda k, rng: rng.standard_normal((k, 1))  # noqa: E731
    n, h, T = 200, 0.2, 40
    out = kde.run_batched("replace", T, list(range(400)), dataset=normal, n=n, h=h, n_test=1)
    t = np.arange(1, T + 1)
    expected = stheory.kde_replace_spread(t[None, :], n, h, out["spread"][:, :1], d=1)
    assert np.abs(_residual_z(out["spread"], expected)[[4, 19, 39]]).max() < 4
    # while t << n and s1 / n << h^2, the density diffuses linearly: + h^2 per generation
    n, h, T = 1000, 0.3, 20
    out = kde.run_batched("replace", T, list(range(100)), dataset=normal, n=n, h=h, n_test=1)
    growth = (out["spread"] - out["spread"][:, :1]).mean(axis=0)
    np.testing.assert_allclose(growth[T - 1], (T - 1) * h * h, rtol=0.05)
    # and the spread settles at (n - 1) h^2, from above when h is small
    assert stheory.kde_replace_spread(10_000, 10, 0.1, 1.0) == pytest.approx(9 * 0.01, rel=1e-6)


def test_accumulate_spread_grows_logarithmically():
    n, h, T = 10, 0.4, 30
    out = kde.run_batched("accumulate", T, list(range(400)), dataset="moons", n=n, h=h, n_test=1)
    s1 = out["spread"][:, 0]
    expected = np.stack([stheory.kde_accumulate_spread(np.arange(1, T + 1), n, h, s, d=2) for s in s1])
    assert np.abs(_residual_z(out["spread"], expected)[[1, 9, 29]]).max() < 4
    assert stheory.kde_accumulate_spread(1000, n, h, 0.0, d=2) < 2 * h * h * math.log(1000)


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("bad,match", [
    (dict(dataset="spiral"), "dataset"),
    (dict(h=0.0), "'h'"),
    (dict(h=-1.0), "'h'"),
    (dict(h="auto"), "'h'"),
    (dict(h=True), "'h'"),
    (dict(h=float("nan")), "'h'"),
    (dict(n=0), "'n'"),
    (dict(n=2.5), "'n'"),
    (dict(n_test=0), "'n_test'"),
    (dict(eval_points=-1), "'eval_points'"),
    (dict(authors_test=True, dataset="moons"), "authors_test"),
    (dict(authors_test="yes", dataset="blobs"), "authors_test"),
    (dict(bandwidth=0.1), "unknown parameter"),
])
def test_bad_parameters_are_named(bad, match):
    with pytest.raises(ParameterError, match=match):
        simulate("kde", "replace", n_generations=2, seeds=1, **bad)


def test_task_needs_a_chain_before_evaluate():
    task = kde.KDETask("moons", 0.1)
    with pytest.raises(RuntimeError, match="sample_real"):
        task.evaluate(kde.KDEFit(np.zeros((2, 2)), np.zeros(2, dtype=np.int64), 0.1))
    rng_real, _ = seed_rngs(0)
    task.sample_real(5, rng_real)
    assert task.test.shape == (500, 2)


# --- what the chapter says about its figures ----------------------------------------------

def test_seeds_are_common_random_numbers_across_data_sets():
    """The chapter's note: circles and moons with the same seed pick the same training points
    and add the same kernel noise, so at h = 1 their Replace chains move together; with the
    seeds shuffled between the data sets the link is gone."""
    args = dict(n_generations=30, seeds=range(12), n=10, h=1.0, n_test=100)
    circles = simulate("kde", "replace", dataset="circles", **args)
    moons = simulate("kde", "replace", dataset="moons", **args)
    last = lambda f: np.log(f[f.generation == 30].sort_values("seed").test_nll.to_numpy())  # noqa: E731
    a, b = last(circles), last(moons)
    assert np.corrcoef(a, b)[0, 1] > 0.9
    assert abs(np.corrcoef(a, np.roll(b, 1))[0, 1]) < 0.9
    # the same draws: each generation's pick of training points is identical
    sets_c = kde.training_sets("replace", dataset="circles", n=10, h=1.0, n_generations=5, seed=3, keep=[5])
    sets_m = kde.training_sets("replace", dataset="moons", n=10, h=1.0, n_generations=5, seed=3, keep=[5])
    shift = sets_c[5] - sets_m[5]  # same picks and noise: the difference is that of the real ancestors
    real_c = kde.training_sets("replace", dataset="circles", n=10, h=1.0, n_generations=1, seed=3, keep=[1])[1]
    real_m = kde.training_sets("replace", dataset="moons", n=10, h=1.0, n_generations=1, seed=3, keep=[1])[1]
    diffs = real_c - real_m
    assert all(np.any(np.all(np.isclose(row, diffs), axis=1)) for row in shift)


def test_facet_grid_shares_axes_between_figures_and_keeps_bands_positive():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from collapse_lib import plotting

    frame = simulate("kde", "replace", n_generations=6, seeds=4, dataset="moons", n=10, h=0.3, n_test=40)
    frame = pd.concat([frame, simulate("kde", "accumulate", n_generations=6, seeds=4, dataset="moons", n=10,
                                       h=0.3, n_test=40)], ignore_index=True)
    limits = []
    for wf in ("replace", "accumulate"):
        fig, axes = plotting.facet_grid(frame[frame.workflow == wf], "test_nll", row="dataset", col="h", hue="n",
                                        log=True, limits_from=frame)
        assert axes.shape == (1, 1) and fig.get_figwidth() <= plotting.MAX_WIDTH
        assert axes[0, 0].get_yscale() == "log" and axes[0, 0].get_ylim()[0] > 0
        limits.append(axes[0, 0].get_ylim())
        plt.close(fig)
    assert limits[0] == limits[1]
    fig, ax = plt.subplots()
    ax.plot([1, 100], [1, 2])
    plotting.log_generation_axis(ax, 100)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert {"1", "10", "100"} <= set(labels) and not any("^" in s for s in labels)
    plt.close(fig)
