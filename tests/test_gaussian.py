"""Multivariate Gaussian setting: fit, fast path, determinism, theory (chapter *Multivariate Gaussians*;
Kazdan et al. 2025, its Gaussian experiments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib import theory
from collapse_lib.settings.gaussian import GaussianTask, SingularCovarianceWarning, bartlett_factor
from collapse_lib.settings.gaussian import model as gaussian
from collapse_lib.settings.gaussian import theory as stheory
from collapse_lib.workflows import run_chain

METRICS = list(gaussian.METRICS)


def z_score(values: np.ndarray, expected: float) -> float:
    values = np.asarray(values, dtype=float)
    return abs(values.mean() - expected) / (values.std(ddof=1) / np.sqrt(len(values)))


def test_fit_recovers_known_distribution():
    rng = np.random.default_rng(0)
    mu = np.array([1.0, -2.0, 0.5])
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    x = rng.multivariate_normal(mu, cov, size=200_000)
    fit = GaussianTask(3).fit(x)
    np.testing.assert_allclose(fit.mu, mu, atol=0.02)
    np.testing.assert_allclose(fit.cov, cov, atol=0.05)
    # MLE divides by the number of points
    np.testing.assert_allclose(fit.cov, np.cov(x.T, bias=True), rtol=1e-10)


def test_bartlett_factor_is_wishart():
    rng = np.random.default_rng(1)
    k, df = 4, 9
    draws = np.array([(lambda a: a @ a.T)(bartlett_factor(rng, k, df)) for _ in range(20_000)])
    np.testing.assert_allclose(draws.mean(axis=0), df * np.eye(k), atol=0.15)
    # Var(W_ii) = 2 df, Var(W_ij) = df for i != j
    assert draws[:, 0, 0].var() == pytest.approx(2 * df, rel=0.06)
    assert draws[:, 1, 0].var() == pytest.approx(df, rel=0.06)
    singular = bartlett_factor(rng, 5, 3)
    assert np.linalg.matrix_rank(singular @ singular.T) == 3


def test_same_arguments_same_frame():
    for wf in cl.WORKFLOWS:
        a = cl.simulate("gaussian", wf, n_generations=6, seeds=5, d=4, n=12)
        b = cl.simulate("gaussian", wf, n_generations=6, seeds=5, d=4, n=12)
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_batched_equals_per_seed(workflow):
    seeds = [0, 3, 11, 12]
    together = cl.simulate("gaussian", workflow, n_generations=8, seeds=seeds, d=5, n=15)
    for s in seeds:
        alone = cl.simulate("gaussian", workflow, n_generations=8, seeds=[s], d=5, n=15)
        mine = together[together.seed == s].reset_index(drop=True)
        np.testing.assert_allclose(mine[METRICS].to_numpy(), alone[METRICS].to_numpy(), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_blocks_and_batches_do_not_change_the_numbers(monkeypatch, workflow):
    """Each seed reads its streams in order: drawing a block of generations at once, or
    batching the seeds differently, gives the same numbers."""
    one = cl.simulate("gaussian", workflow, n_generations=9, seeds=6, d=3, n=10)
    monkeypatch.setattr(gaussian, "_BLOCK_BYTES", 64)  # one generation and one seed at a time
    small = cl.simulate("gaussian", workflow, n_generations=9, seeds=6, d=3, n=10)
    pd.testing.assert_frame_equal(one, small)
    for threads in (1, 3):
        monkeypatch.setattr(gaussian, "_threads", lambda threads=threads: threads)
        pd.testing.assert_frame_equal(one, cl.simulate("gaussian", workflow, n_generations=9, seeds=6, d=3, n=10))


def test_subsample_draws_only_the_points_that_are_picked():
    n, T = 50, 40
    picks = gaussian._picks(7, n, T)
    used = np.zeros(T * n, dtype=bool)
    used[:n] = True
    for p in picks:
        used[p] = True
    per_block = used.reshape(T, n).mean(axis=1)
    expected = 1 - np.arange(T) / T  # block b is never picked with probability b / T
    assert np.abs(per_block - expected).max() < 0.25 and abs(per_block.mean() - expected.mean()) < 0.03
    assert all(len(p) == n and len(set(p)) == n and p.max() < (t + 2) * n for t, p in enumerate(picks))


def test_frame_is_tidy():
    f = cl.simulate("gaussian", "replace", n_generations=4, seeds=[2, 5], d=2, n=10, sigma2=2.0)
    assert len(f) == 8
    assert list(f.columns[:4]) == ["setting", "workflow", "seed", "generation"]
    assert {"d", "n", "sigma2", "real_mix", "fresh_real", *METRICS, "singular"} <= set(f.columns)
    assert f.groupby("seed").generation.apply(list).tolist() == [[1, 2, 3, 4]] * 2
    assert (f.setting == "gaussian").all() and (f.sigma2 == 2.0).all()


@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_fast_path_matches_point_by_point_loop(workflow):
    """Same distribution: the batched sufficient-statistics path vs the literal loop (run_chain)."""
    d, n, T, S = 3, 8, 6, 1500
    fast = cl.simulate("gaussian", workflow, n_generations=T, seeds=S, d=d, n=n)
    fast = fast[fast.generation == T]
    task = GaussianTask(d)
    slow = pd.DataFrame([run_chain(task, workflow, n=n, n_generations=T, seed=10_000 + s)[-1]
                         for s in range(S)])
    for m in ("mean_sq_error", "cov_trace_ratio", "cov_logdet_ratio"):
        a, b = fast[m].to_numpy(), slow[m].to_numpy()
        se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4.5 * se, (m, a.mean(), b.mean(), se)


@pytest.mark.parametrize("d, n", [(1, 10), (3, 10), (10, 100)])
def test_replace_matches_closed_forms(d, n):
    T = 60
    f = cl.simulate("gaussian", "replace", n_generations=T, seeds=3000, d=d, n=n)
    for t in (1, 5, 20, 60):
        g = f[f.generation == t]
        assert z_score(g.mean_sq_error, float(stheory.gaussian_replace_mean_sq_error(t, d, n))) < 4.5
        assert z_score(g.cov_trace_ratio, float(stheory.gaussian_replace_trace_ratio(t, n))) < 4.5
        assert z_score(g.cov_logdet_ratio, float(stheory.gaussian_replace_logdet_ratio(t, d, n))) < 4.5


def test_replace_saturates_instead_of_growing_linearly():
    d, n, T = 2, 10, 150
    f = cl.simulate("gaussian", "replace", n_generations=T, seeds=1000, d=d, n=n)
    late = f[f.generation == T].mean_sq_error
    linear = T * d / n  # what a linear-growth model would predict: 40
    assert late.mean() < 0.1 * linear
    assert z_score(late, d * (1 - ((n - 1) / n) ** T)) < 4.5


@pytest.mark.parametrize("d, n", [(1, 10), (10, 100)])
def test_accumulate_stays_below_pi2_over_6(d, n):
    T = 50
    f = cl.simulate("gaussian", "accumulate", n_generations=T, seeds=3000, d=d, n=n)
    g = f[f.generation == T].mean_sq_error.to_numpy()
    bound = stheory.gaussian_accumulate_bound(d, n)
    upper = g.mean() + 3 * g.std(ddof=1) / np.sqrt(len(g))
    assert g.mean() < bound and upper > 0
    # the Basel approximation is close (it slightly overstates: fitted covariances shrink)
    approx = float(stheory.gaussian_accumulate_mean_sq_error(T, d, n))
    assert 0.85 * approx < g.mean() < 1.05 * approx


@pytest.mark.parametrize("d, n", [(1, 10), (3, 5), (4, 40)])
def test_accumulate_matches_the_exact_closed_forms(d, n):
    """E||mu_t - mu_0||^2 = (d sigma2 / n) sum s_{k-1}/k^2 and E tr = s_t d sigma2, within Monte Carlo error."""
    T = 30
    f = cl.simulate("gaussian", "accumulate", n_generations=T, seeds=4000, d=d, n=n, sigma2=2.0)
    for t in (1, 2, 10, 30):
        g = f[f.generation == t]
        assert z_score(g.mean_sq_error, float(stheory.gaussian_accumulate_mean_sq_error_exact(t, d, n, 2.0))) < 4.5
        assert z_score(g.cov_trace_ratio, float(stheory.gaussian_accumulate_trace_ratio(t, n))) < 4.5
    assert theory.expected("gaussian", "cov_trace_ratio", "accumulate", T, d=d, n=n) == \
        pytest.approx(float(stheory.gaussian_accumulate_trace_ratio(T, n)))


def test_exact_accumulate_sits_below_basel_most_for_small_n():
    t = np.array([1, 10, 100_000])
    for n in (10, 100, 1000):
        exact = stheory.gaussian_accumulate_mean_sq_error_exact(t, 1, n) * n
        basel = stheory.gaussian_accumulate_mean_sq_error(t, 1, n) * n
        assert exact[0] == pytest.approx(1.0) and (exact[1:] < basel[1:]).all()
        assert exact[-1] < theory.PI2_OVER_6
    limit = {n: float(stheory.gaussian_accumulate_mean_sq_error_exact(100_000, 1, n)) * n for n in (10, 1000)}
    assert 1.55 < limit[10] < 1.57 and theory.PI2_OVER_6 - limit[1000] < 1e-3
    # the trace's limit is sin(pi a) / (pi a), a = n^(-1/2)
    a = 10 ** -0.5
    assert float(stheory.gaussian_accumulate_trace_ratio(100_000, 10)) == pytest.approx(
        np.sin(np.pi * a) / (np.pi * a), rel=1e-4)


def test_subsample_sits_between():
    d, n, T = 3, 20, 40
    final = {wf: cl.simulate("gaussian", wf, n_generations=T, seeds=800, d=d, n=n)
             .query(f"generation == {T}").mean_sq_error.mean() for wf in cl.WORKFLOWS}
    assert final["accumulate"] < final["accumulate-subsample"] < final["replace"]
    first_fit = d / n
    assert 1.8 < final["accumulate-subsample"] / first_fit < 3.5  # the paper's ~2.3-3 plateau


def test_singular_cells_are_flagged_never_inf():
    for wf in cl.WORKFLOWS:
        with pytest.warns(SingularCovarianceWarning, match="n=5 <= d=8"):
            f = cl.simulate("gaussian", wf, n_generations=10, seeds=3, d=8, n=5)
        assert f.singular.all()
        assert f.cov_logdet_ratio.isna().all() and f.cov_det_ratio.isna().all()
        assert np.isfinite(f.mean_sq_error).all() and np.isfinite(f.cov_trace_ratio).all()
        # the generic loop agrees on what is undefined
        with pytest.warns(SingularCovarianceWarning):
            g = cl.simulate("gaussian", wf, n_generations=3, seeds=2, d=8, n=5,
                            real_mix=0.0 if wf == "accumulate" else 0.2)
        assert g.cov_det_ratio.isna().all()


def test_stays_in_the_span_of_the_real_data():
    """n <= d: no workflow ever leaves the (n-1)-dim affine span of the real points."""
    for wf in cl.WORKFLOWS:
        fits = gaussian.fitted_path(wf, n=5, n_generations=8, seed=1, d=20)
        ranks = [np.linalg.matrix_rank(f.cov, tol=1e-9 * np.abs(f.cov).max()) for f in fits]
        assert ranks == [4] * 8, (wf, ranks)


def test_extreme_determinants_stay_finite():
    f = cl.simulate("gaussian", "replace", n_generations=100, seeds=5, d=31, n=32)
    assert np.isfinite(f.cov_logdet_ratio).all()
    assert f.cov_logdet_ratio.iloc[-1] < -1000  # far below what a float determinant can hold
    assert (f.cov_det_ratio >= 0).all()


def test_sigma2_scales_errors():
    a = cl.simulate("gaussian", "replace", n_generations=5, seeds=3, d=2, n=10, sigma2=1.0)
    b = cl.simulate("gaussian", "replace", n_generations=5, seeds=3, d=2, n=10, sigma2=4.0)
    np.testing.assert_allclose(b.mean_sq_error, 4 * a.mean_sq_error, rtol=1e-10)
    np.testing.assert_allclose(b.cov_trace_ratio, a.cov_trace_ratio, rtol=1e-10)
