"""Linear regression on a fixed design (collapse_lib.settings.linear_regression, SPEC §5)."""

from __future__ import annotations

import numpy as np
import pytest

from collapse_lib import ParameterError, run_chain, simulate
from collapse_lib.settings.linear_regression import LinearRegressionTask, draw_problem, ols
from collapse_lib.settings.linear_regression.theory import (
    linreg_accumulate_bound,
    linreg_accumulate_test_mse,
    linreg_replace_test_mse,
    linreg_variance_factor,
)
from collapse_lib.theory import PI2_OVER_6, basel_partial_sum
from collapse_lib.workflows import WORKFLOWS, seed_rngs

Z = 4.0  # Monte-Carlo tolerance in standard errors (several comparisons per test)


def metric(frame, name):
    """(seeds, generations) array of one metric."""
    return frame.pivot(index="seed", columns="generation", values=name).to_numpy()


def assert_mean_matches(values: np.ndarray, expected: float) -> None:
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
    assert abs(mean - expected) < Z * se, f"mean {mean:.4g} +- {se:.2g} vs theory {expected:.4g}"


class Recorder(LinearRegressionTask):
    """The task, remembering every training set it was fit on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[np.ndarray] = []

    def fit(self, data, rng=None):
        self.seen.append(data.copy())
        return super().fit(data, rng)


# --- properties ----------------------------------------------------------------------------

@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_ols_recovers_w_star_without_noise(workflow):
    frame = simulate("linear_regression", workflow, n_generations=6, seeds=4, d=5, n=20, sigma2=0.0)
    assert frame["param_error"].max() < 1e-20
    assert frame["test_mse"].max() < 1e-20


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_without_noise_the_unlearnable_part_stays(workflow):
    """n < d: the min-norm fit misses exactly the part of w* outside the rows of X0.

    Replace and Accumulate keep every design row, so that error stays; a subsample holds
    only some distinct rows, so Accumulate-Subsample can lose more, never less.
    """
    d, n = 8, 5
    frame = simulate("linear_regression", workflow, n_generations=5, seeds=[2, 7], d=d, n=n, sigma2=0.0)
    for seed, err in zip([2, 7], metric(frame, "param_error")):
        prob = draw_problem(seed_rngs(seed)[0], d, n, 1000)
        rows = prob.design
        outside = prob.w_star - np.linalg.pinv(rows) @ (rows @ prob.w_star)
        if workflow == "accumulate-subsample":
            assert (err >= outside @ outside * (1 - 1e-9)).all()
        else:
            np.testing.assert_allclose(err, outside @ outside, rtol=1e-9)


def test_training_sets_follow_the_workflow():
    d, n, T = 3, 7, 4
    for workflow in WORKFLOWS:
        task = Recorder(d, 1.0, 50)
        run_chain(task, workflow, n=n, n_generations=T, seed=1)
        design = task.problem.design
        sizes = [len(x) for x in task.seen]
        if workflow == "accumulate":
            assert sizes == [n * t for t in range(1, T + 1)]
            for t, data in enumerate(task.seen, start=1):
                np.testing.assert_array_equal(data[:, :d], np.tile(design, (t, 1)))
            # the real labels stay, and every generation's labels are kept in order
            np.testing.assert_array_equal(task.seen[-1][: (T - 1) * n], task.seen[-2])
        else:
            assert sizes == [n] * T
            for data in task.seen:  # every training row is a row of the fixed design
                hits = (data[:, None, :d] == design[None]).all(axis=2).sum(axis=1)
                assert (hits == 1).all()
            if workflow == "replace":
                for data in task.seen:
                    np.testing.assert_array_equal(data[:, :d], design)


def test_accumulate_fit_is_the_average_of_per_generation_fits():
    """pinv of t stacked copies of X0 applied to the stacked labels = mean of pinv(X0) y_k."""
    task = Recorder(4, 1.0, 10)
    run_chain(task, "accumulate", n=9, n_generations=3, seed=0)
    stacked = task.seen[-1]
    x0 = task.problem.design
    per_gen = [ols(x0, y) for y in stacked[:, -1].reshape(3, 9)]
    np.testing.assert_allclose(ols(stacked[:, :-1], stacked[:, -1]), np.mean(per_gen, axis=0), rtol=1e-10)


# --- the fast path against the generic loop ------------------------------------------------

@pytest.mark.parametrize("workflow", WORKFLOWS)
@pytest.mark.parametrize("d,n", [(3, 12), (6, 4), (5, 6)])
def test_fast_path_matches_generic_loop(workflow, d, n):
    seeds, T = [0, 3, 11], 7
    fast = simulate("linear_regression", workflow, n_generations=T, seeds=seeds, d=d, n=n,
                    sigma2=0.7, n_test=40)
    for i, seed in enumerate(seeds):
        chain = run_chain(LinearRegressionTask(d, 0.7, 40), workflow, n=n, n_generations=T, seed=seed)
        for name in ("test_mse", "param_error"):
            np.testing.assert_allclose(metric(fast, name)[i], [r[name] for r in chain], rtol=1e-8)


# --- theory within Monte-Carlo confidence intervals ----------------------------------------

def test_replace_grows_linearly_as_theory():
    d, n, sigma2, T = 4, 20, 0.5, 20
    frame = simulate("linear_regression", "replace", n_generations=T, seeds=1500, d=d, n=n,
                     sigma2=sigma2, n_test=200)
    mse = metric(frame, "test_mse")
    for t in (1, 10, T):
        assert_mean_matches(mse[:, t - 1], float(linreg_replace_test_mse(t, d, n, sigma2)))
    assert linreg_replace_test_mse(T, d, n, sigma2) == pytest.approx(T * sigma2 * d / (n - d - 1))


def test_replace_overparameterised_as_theory():
    """Beyond the paper: n <= d - 2, bias d - n plus t sigma2 n / (d - n - 1)."""
    d, n, sigma2, T = 16, 5, 1.0, 10
    frame = simulate("linear_regression", "replace", n_generations=T, seeds=1500, d=d, n=n,
                     sigma2=sigma2, n_test=200)
    err = metric(frame, "param_error")
    for t in (1, T):
        assert_mean_matches(err[:, t - 1], float(linreg_replace_test_mse(t, d, n, sigma2)))


def test_accumulate_as_theory_and_below_bound():
    d, n, sigma2, T = 4, 20, 0.5, 40
    frame = simulate("linear_regression", "accumulate", n_generations=T, seeds=1500, d=d, n=n,
                     sigma2=sigma2, n_test=200)
    mse = metric(frame, "test_mse")
    for t in (1, 2, T):
        assert_mean_matches(mse[:, t - 1], float(linreg_accumulate_test_mse(t, d, n, sigma2)))
    means = mse.mean(axis=0)
    se = mse.std(axis=0, ddof=1) / np.sqrt(mse.shape[0])
    assert (means < linreg_accumulate_bound(d, n, sigma2) + Z * se).all()
    # the first fit is the same under both workflows, the ceiling is pi^2/6 of it
    first = linreg_replace_test_mse(1, d, n, sigma2)
    assert linreg_accumulate_bound(d, n, sigma2) == pytest.approx(PI2_OVER_6 * first)
    assert linreg_accumulate_test_mse(T, d, n, sigma2) == pytest.approx(first * basel_partial_sum(T))


def test_theory_stops_near_interpolation():
    for d in (1, 10):
        for n in (d - 1, d, d + 1):
            if n >= 1:
                assert linreg_variance_factor(d, n) == np.inf
                assert np.isinf(linreg_replace_test_mse(5, d, n)).all()
    assert linreg_variance_factor(10, 32) == pytest.approx(10 / 21)
    assert linreg_variance_factor(10, 3) == pytest.approx(3 / 6)


# --- options through the generic loop ------------------------------------------------------

def test_real_mix_one_refits_the_real_data():
    frame = simulate("linear_regression", "replace", n_generations=5, seeds=3, real_mix=1.0,
                     d=3, n=10)
    mse = metric(frame, "test_mse")
    np.testing.assert_allclose(mse, np.repeat(mse[:, :1], 5, axis=1), rtol=1e-9)
    plain = metric(simulate("linear_regression", "replace", n_generations=5, seeds=3, d=3, n=10),
                   "test_mse")
    np.testing.assert_allclose(mse[:, 0], plain[:, 0], rtol=1e-9)


def test_fresh_real_labels_keep_replace_at_the_first_fit_error():
    d, n, sigma2, T = 3, 15, 1.0, 4
    frame = simulate("linear_regression", "replace", n_generations=T, seeds=1500, real_mix=1.0,
                     fresh_real=True, d=d, n=n, sigma2=sigma2, n_test=100)
    mse = metric(frame, "test_mse")
    assert_mean_matches(mse[:, -1], float(linreg_replace_test_mse(1, d, n, sigma2)))
    assert not np.allclose(mse[:, -1], mse[:, 0])  # a new draw of labels, not the same fit


# --- determinism and validation --------------------------------------------------------------

def test_deterministic_and_seed_independent():
    kw = dict(n_generations=5, d=3, n=9, sigma2=1.0)
    for workflow in WORKFLOWS:
        a = simulate("linear_regression", workflow, seeds=5, **kw)
        b = simulate("linear_regression", workflow, seeds=5, **kw)
        assert a.equals(b)
        alone = simulate("linear_regression", workflow, seeds=[3], **kw)
        np.testing.assert_allclose(metric(alone, "test_mse")[0], metric(a, "test_mse")[3], rtol=1e-12)


@pytest.mark.parametrize("bad", [dict(d=0), dict(n=0), dict(sigma2=-1.0), dict(n_test=0),
                                 dict(d=2.5), dict(k=3)])
def test_bad_parameters_are_named(bad):
    name = next(iter(bad))
    with pytest.raises(ParameterError, match=f"'{name}'"):
        simulate("linear_regression", "replace", n_generations=2, seeds=1, **bad)


def test_a_task_serves_one_chain():
    task = LinearRegressionTask(2, 1.0, 10)
    run_chain(task, "replace", n=5, n_generations=2, seed=0)
    with pytest.raises(RuntimeError, match="one chain"):
        run_chain(task, "replace", n=5, n_generations=2, seed=1)
    with pytest.raises(ValueError, match="rows"):
        task.sample(np.zeros(2), 6, np.random.default_rng(0))


def test_error_scales_exactly_with_sigma2():
    """n >= d: w_t - w* = sigma * (a sum of P eps_k), the same draws for every sigma2.

    (Accumulate-Subsample too, as long as every subsample holds >= d distinct rows, which
    at n = 12, d = 3 it does.)
    """
    kw = dict(n_generations=6, seeds=4, d=3, n=12)
    for workflow in WORKFLOWS:
        one = metric(simulate("linear_regression", workflow, sigma2=1.0, **kw), "test_mse")
        four = metric(simulate("linear_regression", workflow, sigma2=4.0, **kw), "test_mse")
        np.testing.assert_allclose(four, 4.0 * one, rtol=1e-9)
