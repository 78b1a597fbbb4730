"""The value of synthetic data (the paper's Section on it; chapter *The value of synthetic data*):
cells, capping, random subsets, fits with an intercept, the tasks' metrics, the language-model
experiment on a tiny model, determinism and validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import lm_toy_params
from scipy import stats

from collapse_lib import claims
from collapse_lib import value as V
from collapse_lib.settings.gaussian import GaussianFit, GaussianNLLTask
from collapse_lib.settings.linear_regression import RegressionTask
from collapse_lib.settings.lm import claims as lmclaims
from collapse_lib.settings.lm import task as T
from collapse_lib.settings.lm import value as LV
from collapse_lib.settings.lm.reference import VALUE_REFERENCES
from collapse_lib.validation import ParameterError
from collapse_lib.verdicts import plant


def gaussian(d: int = 2):
    return V.make_task("gaussian", d=d)


class Recording:
    """A task whose examples are integers (the pool's row ids) and whose fit records them."""

    def __init__(self) -> None:
        self.fits: list[np.ndarray] = []

    def sample_real(self, n, rng):
        return np.arange(n) + 1_000 * int(rng.integers(0, 1_000))

    def fit(self, data, rng=None):
        self.fits.append(np.array(data))
        return np.array(data)

    def sample(self, model, n, rng):
        return -1 - np.arange(n)  # synthetic examples are negative

    def evaluate(self, model):
        return {"size": float(len(model)), "real": float((model >= 0).sum())}


# --- cells ---------------------------------------------------------------------------------

def test_grid_cells_bookkeeping():
    cells = V.grid_cells([1, 4, 4], [0, 8])
    assert cells == [(1, 0), (1, 8), (4, 0), (4, 8)]
    assert V.grid_cells(3, 5) == [(3, 5)]
    with pytest.raises(ParameterError, match="no training data"):
        V.grid_cells([0, 2], [0, 1])
    with pytest.raises(ParameterError, match=r"num_synthetic\[1\]"):
        V.grid_cells([1], [0, -1])
    with pytest.raises(ParameterError, match="must not be empty"):
        V.grid_cells([], [1])


def test_fixed_compute_sizes():
    cells = V.fixed_compute_cells(100, [0.0, 0.25, 0.333, 1.0])
    assert cells == [(0, 100), (25, 75), (33, 67), (100, 0)]
    assert all(r + s == 100 for r, s in cells)
    assert V.fixed_compute_cells(10, [0.5, 0.5]) == [(5, 5)]
    with pytest.raises(ParameterError, match="real_proportions"):
        V.fixed_compute_cells(10, [1.5])
    with pytest.raises(ParameterError, match="budget"):
        V.fixed_compute_cells(0, [0.5])


def test_rows_and_columns():
    cells = V.grid_cells([2, 5], [0, 3, 7])
    frame = V.run_value(Recording, cells, seeds=[0, 4, 9], n_available=6, setting="rec")
    assert len(frame) == 3 * len(cells)
    assert list(frame.columns[:12]) == ["setting", "design", "generator", "subset", "seed", "n_available",
                                        "num_real_requested", "num_real", "capped", "num_synthetic",
                                        "total", "real_proportion"]
    np.testing.assert_array_equal(frame.total, frame.num_real + frame.num_synthetic)
    np.testing.assert_allclose(frame.real_proportion, frame.num_real / frame.total)
    # the learner trains on exactly num_real real and num_synthetic synthetic examples
    np.testing.assert_array_equal(frame["size"], frame.total)
    np.testing.assert_array_equal(frame["real"], frame.num_real)
    assert set(frame.seed) == {0, 4, 9} and not frame.capped.any()


def test_num_real_is_capped_and_flagged():
    with pytest.warns(V.CappedWarning, match=r"\[50\].*capped at 20"):
        frame = V.run_value(gaussian(), V.grid_cells([20, 50], [0, 10]), seeds=3, n_available=20)
    big = frame[frame.num_real_requested == 50].reset_index(drop=True)
    same = frame[frame.num_real_requested == 20].reset_index(drop=True)
    assert big.capped.all() and (big.num_real == 20).all() and not same.capped.any()
    pd.testing.assert_series_equal(big.kl, same.kl)
    assert frame.attrs["capped"] == [50]


def test_random_subset_differs_across_seeds_and_is_nested_within_a_seed():
    tasks = []

    def make():
        tasks.append(Recording())
        return tasks[-1]

    V.run_value(make, V.grid_cells([3, 6], [0]), seeds=[0, 1, 2], n_available=40, pool_seed=7)
    subsets = [[set(f.tolist()) for f in t.fits] for t in tasks]
    pool = set(tasks[0].sample_real(40, np.random.default_rng([7, 0])).tolist())
    for small, large in subsets:
        assert small < large <= pool          # nested: the first 3 of one permutation
    assert len({frozenset(s[1]) for s in subsets}) == 3   # different per seed
    # the authors' choice: the first rows, the same for every seed of a shared data set
    tasks.clear()
    V.run_value(make, V.grid_cells([3], [0]), seeds=[0, 1], n_available=40, pool_seed=7, subset="first")
    assert tasks[0].fits[0].tolist() == tasks[1].fits[0].tolist()


def test_first_rows_of_a_shared_data_set_hide_the_data_noise():
    args = dict(cells=V.grid_cells([16], [0]), seeds=6, n_available=64, pool_seed=3)
    first = V.run_value(gaussian(), subset="first", **args)
    rand = V.run_value(gaussian(), subset="random", **args)
    assert first.kl.std() == 0.0          # every seed fit the same 16 points
    assert rand.kl.std() > 0.0


def test_generator_pool_vs_subset():
    # pool: with many synthetic examples the learner approaches the generator's fit on all
    # the real data; subset: the synthetic examples come from the learner's own real data
    cells = [(8, 0), (8, 200_000), (200, 0)]
    pool = V.run_value(gaussian(), cells, seeds=4, n_available=200, generator="pool")
    by = pool.set_index(["seed", "num_real", "num_synthetic"]).kl
    for s in range(4):
        assert by[(s, 8, 200_000)] == pytest.approx(by[(s, 200, 0)], abs=0.02)
        assert by[(s, 8, 200_000)] < by[(s, 8, 0)]
    sub = V.run_value(gaussian(), cells, seeds=4, n_available=200, generator="subset")
    by = sub.set_index(["seed", "num_real", "num_synthetic"]).kl
    for s in range(4):  # the same information as the 8 real points: no better than them
        assert by[(s, 8, 200_000)] > by[(s, 8, 0)] - 0.05
    with pytest.raises(ParameterError, match="num_real >= 1"):
        V.run_value(gaussian(), [(0, 5)], seeds=1, n_available=10, generator="subset")
    only_synth = V.run_value(gaussian(), [(0, 50)], seeds=1, n_available=10, generator="pool")
    assert only_synth.real_proportion.iloc[0] == 0.0


def test_same_arguments_same_frame_and_seeds_independent():
    cells = V.grid_cells([4, 16], [0, 32])
    a = V.run_value(gaussian(), cells, seeds=[0, 1, 2], n_available=16)
    b = V.run_value(gaussian(), cells, seeds=[0, 1, 2], n_available=16)
    pd.testing.assert_frame_equal(a, b)
    c = V.run_value(gaussian(), cells, seeds=[2], n_available=16)
    pd.testing.assert_frame_equal(a[a.seed == 2].reset_index(drop=True), c)


def test_validation_errors():
    with pytest.raises(ParameterError, match="generator"):
        V.run_value(gaussian(), [(1, 1)], seeds=1, n_available=5, generator="best")
    with pytest.raises(ParameterError, match="subset"):
        V.run_value(gaussian(), [(1, 1)], seeds=1, n_available=5, subset="last")
    with pytest.raises(ParameterError, match="n_available"):
        V.run_value(gaussian(), [(1, 1)], seeds=1, n_available=0)
    with pytest.raises(ParameterError, match="at least one"):
        V.run_value(gaussian(), [], seeds=1, n_available=5)
    with pytest.raises(ParameterError, match="seeds"):
        V.run_value(gaussian(), [(1, 1)], seeds=0, n_available=5)
    with pytest.raises(ParameterError, match="setting"):
        V.make_task("lm")
    with pytest.raises(ParameterError, match="'h'"):
        V.make_task("kde", dataset="moons", h=-1.0)


# --- tasks ---------------------------------------------------------------------------------

def test_gaussian_nll_is_the_expected_held_out_nll():
    task = GaussianNLLTask(3, sigma2=2.0)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    fit = GaussianFit(np.array([0.3, -0.2, 0.5]), a @ a.T + np.eye(3))
    out = task.evaluate(fit)
    x = task.sample_real(400_000, rng)
    mc = -stats.multivariate_normal(fit.mu, fit.cov).logpdf(x)
    assert out["test_nll"] == pytest.approx(mc.mean(), abs=4 * mc.std() / math.sqrt(len(mc)))
    exact = task.evaluate(GaussianFit(np.zeros(3), 2.0 * np.eye(3)))
    assert exact["kl"] == pytest.approx(0.0, abs=1e-12)
    assert exact["test_nll"] == pytest.approx(stats.multivariate_normal(np.zeros(3), 2 * np.eye(3)).entropy())
    singular = task.evaluate(GaussianFit(np.zeros(3), np.diag([1.0, 1.0, 0.0])))
    assert math.isinf(singular["test_nll"]) and math.isinf(singular["kl"])


def test_regression_task_fit_sample_evaluate():
    task = RegressionTask(4, sigma2=0.5)
    rng = np.random.default_rng(1)
    data = task.sample_real(100_000, rng)
    assert data.shape == (100_000, 5)
    fit = task.fit(data)
    np.testing.assert_allclose(fit.w, task.w_star, atol=0.01)
    assert fit.sigma2 == pytest.approx(0.5, rel=0.02)
    assert task.evaluate(fit)["test_mse"] == pytest.approx(float(((fit.w - task.w_star) ** 2).sum()))
    synth = task.sample(fit, 50_000, rng)
    refit = task.fit(synth)
    np.testing.assert_allclose(refit.w, fit.w, atol=0.02)
    # fewer rows than coefficients: the minimum-norm fit interpolates, no noise left
    small = task.fit(data[:2])
    np.testing.assert_allclose(data[:2, :4] @ small.w, data[:2, 4], atol=1e-10)
    assert small.sigma2 == pytest.approx(0.0, abs=1e-20)
    with pytest.raises(RuntimeError, match="before sample_real"):
        RegressionTask(2).evaluate(fit)


def test_regression_self_augmentation_only_adds_noise():
    # OLS on real rows plus rows labelled by the real fit: the real residuals are orthogonal
    # to the design, so w_mix = w_hat + (noise of the synthetic labels); without noise, equal
    task = RegressionTask(3, sigma2=1.0)
    rng = np.random.default_rng(2)
    real = task.sample_real(40, rng)
    fit = task.fit(real)
    x = rng.standard_normal((500, 3))
    noiseless = np.column_stack([x, x @ fit.w])
    np.testing.assert_allclose(task.fit(np.concatenate([real, noiseless])).w, fit.w, atol=1e-12)


def test_kde_task_runs_through_the_experiment():
    frame = V.run_value(V.make_task("kde", dataset="moons", h=0.2, n_test=50), V.grid_cells([10], [0, 20]),
                        seeds=2, n_available=30, setting="kde")
    assert np.isfinite(frame.test_nll).all() and len(frame) == 4
    assert (frame[frame.num_synthetic == 0].ancestors == 10).all()


# --- analysis ------------------------------------------------------------------------------

def test_fit_linear_recovers_a_known_line_with_an_intercept():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 500)
    y = 5.0 - 0.7 * x + 0.01 * rng.standard_normal(500)
    fit = V.fit_linear(x, y)
    assert fit.intercept == pytest.approx(5.0, abs=0.01) and fit.slope == pytest.approx(-0.7, abs=0.002)
    assert fit.r2 == pytest.approx(1.0, abs=1e-4) and fit.centred
    # through the origin (the authors' fit): wrong slope, and an R^2 near 1 even for noise
    origin = V.fit_linear(x, y, intercept=False)
    assert abs(origin.slope + 0.7) > 0.3 and not origin.centred
    noise = 10.0 + rng.standard_normal(500)
    assert V.fit_linear(x, noise).r2 < 0.02
    assert V.fit_linear(x, noise, intercept=False).r2 > 0.7
    two = V.fit_linear(np.column_stack([x, x ** 2]), 1 + 2 * x - 3 * x ** 2)
    np.testing.assert_allclose(two.coef, [2, -3], atol=1e-9)
    with pytest.raises(ParameterError, match="rows"):
        V.fit_linear([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="finite rows"):
        V.fit_linear([1, 2], [1, 2])


def _frame(loss):
    rows = []
    for seed in range(5):
        for r in (4, 16, 64):
            for s in (0, 8, 32):
                rows.append({"seed": seed, "num_real": r, "num_synthetic": s,
                             "total": r + s, "real_proportion": r / (r + s),
                             "loss": loss(r, s) + 0.001 * seed})
    return pd.DataFrame(rows)


def test_compare_predictors_finds_the_driver():
    table = V.compare_predictors(_frame(lambda r, s: 3.0 - 0.5 * math.log2(r)), "loss").set_index("predictor")
    assert table.loc["log2 num_real", "r2"] == pytest.approx(1.0)
    assert table.loc["log2 num_real", "slope"] == pytest.approx(-0.5)
    assert table.loc["log2 num_real", "intercept"] == pytest.approx(3.002)
    assert table.loc["real proportion", "r2"] < 0.5
    assert (table.cells == 9).all()


def test_synthetic_benefit_is_paired_and_flags_help():
    frame = _frame(lambda r, s: 1.0 / r + (-0.1 if (r == 4 and s == 8) else 0.05 * s / 32))
    table = V.synthetic_benefit(frame, "loss").set_index("num_real")
    assert table.loc[4, "best_num_synthetic"] == 8 and table.loc[4, "helps"]
    assert table.loc[4, "change"] == pytest.approx(-0.1)
    assert table.loc[64, "best_num_synthetic"] == 0 and not table.loc[64, "helps"]
    with pytest.raises(ParameterError, match="num_synthetic = 0"):
        V.synthetic_benefit(frame[frame.num_synthetic > 0], "loss")


def test_paper_values_are_the_papers():
    """The reference is the change read off the authors' figure: 1.403 -> 1.268 with 256 real
    examples and 1,024 synthetic ones."""

    (ref,) = VALUE_REFERENCES
    assert dict(ref.conditions) == {"num_real": 256, "num_synthetic": 1024}
    assert ref.value == pytest.approx(100 * (1.268 / 1.403 - 1), abs=0.05)


def test_no_warning_without_capping():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        V.run_value(gaussian(), [(4, 4)], seeds=1, n_available=4)


# --- the language model (tiny model of tests/conftest.py) -------------------------------------

def lm_value_params(tiny, **extra):
    """The tiny model's parameters without those the experiment sets itself."""

    params = {k: v for k, v in lm_toy_params(tiny).items() if k not in ("n", "n_show", "steps", "epochs")}
    return {**params, **extra}


LM_GRID = dict(num_real=[8, 16], num_synthetic=[0, 8], epochs=2.0, fixed_steps=5, n_available=16)


@pytest.fixture(scope="module")
def lm_frame(tiny):

    return LV.run_lm_value(lm_value_params(tiny), seeds=[0, 1], **LM_GRID)


def test_lm_value_rows_columns_and_steps(lm_frame, tiny):

    f = lm_frame
    assert list(f.columns) == list(LV.COLUMNS)
    pool, sub = f[f.generator == "pool"], f[f.generator == "subset"]
    assert len(pool) == 2 * 2 * 4  # designs x seeds x cells
    # self-augmentation runs where it differs from the pool generator: fewer real examples than exist
    assert len(sub) == 2 * 2 * 2 and (sub.num_real < 16).all()
    assert list(f.generator.unique()) == ["pool", "subset"] and list(pool.design.unique()) == list(LV.DESIGNS)
    assert pool.groupby("design").seed.apply(list).tolist() == [[0] * 4 + [1] * 4] * 2
    np.testing.assert_array_equal(f.total, f.num_real + f.num_synthetic)
    np.testing.assert_allclose(f.real_proportion, f.num_real / f.total)
    assert np.isfinite(f.test_loss).all() and (f.test_loss > 0).all()
    assert (f.setting == "lm").all() and not f.capped.any() and (f.n_available == 16).all()
    # fixed compute: every fixed-steps learner runs the same number of steps, whatever its data
    assert (f[f.design == "fixed-steps"].steps == LM_GRID["fixed_steps"]).all()
    # fixed epochs: the steps grow with the training set (batch 16: ceil(2 * ceil(total / 16)))
    ep = f[f.design == "epochs"]
    np.testing.assert_array_equal(ep.steps, [max(1, math.ceil(2.0 * math.ceil(t / 16))) for t in ep.total])
    assert ep[ep.total == 24].steps.iloc[0] > ep[ep.total == 8].steps.iloc[0]
    # the generator's acceptance is recorded where its examples are used
    syn = f.num_synthetic > 0
    assert f.loc[syn, "generator_acceptance"].between(0, 1, inclusive="right").all()
    assert f.loc[~syn, "generator_acceptance"].isna().all()
    # without synthetic data the two generators' learners are the same fit (computed once)
    key = ["design", "seed", "num_real"]
    base = f[f.num_synthetic == 0].set_index(["generator", *key]).test_loss
    np.testing.assert_array_equal(base.loc["subset"].to_numpy(), base.loc["pool"].loc[base.loc["subset"].index])


def test_lm_value_is_deterministic_and_seeds_are_independent(lm_frame, tiny):

    again = LV.run_lm_value(lm_value_params(tiny), seeds=[1], **LM_GRID)
    cols = [c for c in again.columns if c not in LV.TIMING]
    one = lm_frame[lm_frame.seed == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(again[cols], one[cols])


def test_lm_value_generators_and_subsets(tiny, monkeypatch):
    """The pool generator is fit on every real example that exists, the self-augmentation
    generator on the learner's own; the real subsets are random per seed, nested within one."""

    seen: list[tuple[int, list[str], int, int]] = []
    original = T.LMTask.fit_many

    def recording(self, sets, rngs):
        for examples in sets:
            seen.append((self.p["steps"], [e.text for e in examples if e.real], sum(not e.real for e in examples),
                         len(sets)))
        return original(self, sets, rngs)

    monkeypatch.setattr(T.LMTask, "fit_many", recording)
    LV.run_lm_value(lm_value_params(tiny), num_real=[4, 8], num_synthetic=[0, 6], seeds=[0, 1], fixed_steps=2,
                    designs="fixed-steps", n_available=12)
    full = [s for s in seen if len(s[1]) == 12]
    assert len(full) == 2 and all(n_syn == 0 for _, _, n_syn, _ in full)  # the pool generators, one per seed
    assert set(full[0][1]) == set(full[1][1])  # one data set of real examples, shared by every seed
    learners = [s for s in seen if s[1] and len(s[1]) < 12]
    real_only = {}
    for _steps, real, n_syn, batch in learners:
        assert batch in (2, 4)  # the seeds of a fit run together (the self-augmentation generators of both sizes)
        if n_syn == 0:
            real_only.setdefault(len(real), []).append(real)
    for small, large in zip(real_only[4], real_only[8]):
        assert large[:4] == small                  # nested: the first num_real of one permutation
        assert set(large) <= set(full[0][1])       # drawn from the real data that exist
    assert real_only[8][0] != real_only[8][1]       # random per seed
    mixed = [(len(r), n) for _, r, n, _ in learners if n]
    assert sorted(mixed) == [(4, 6)] * 4 + [(8, 6)] * 4  # pool and self-augmentation, two seeds each


def test_lm_value_caps_num_real_in_the_open(tiny):

    args = dict(num_synthetic=[0], seeds=[0], fixed_steps=4, designs="fixed-steps", n_available=12)
    with pytest.warns(V.CappedWarning, match=r"\[50\].*capped at 12"):
        f = LV.run_lm_value(lm_value_params(tiny), num_real=[12, 50], **args)
    assert f.capped.tolist() == [False, True] and (f.num_real == 12).all()
    assert f.num_real_requested.tolist() == [12, 50] and (f.n_available == 12).all()
    assert f.test_loss.iloc[0] == f.test_loss.iloc[1]  # the same cell, computed once
    assert f.attrs["capped"] == [50]
    with pytest.raises(ParameterError, match="n_available"):
        LV.run_lm_value(lm_value_params(tiny), num_real=[4], num_synthetic=[0], seeds=1, fixed_steps=1,
                        n_available=10**6)


def test_lm_value_store_and_the_stored_only_reader(tiny, tmp_path):

    args = dict(num_real=[8], num_synthetic=[0, 4], seeds=[3], fixed_steps=3, designs=["fixed-steps"],
                n_available=16)
    first = LV.run_lm_value(lm_value_params(tiny), cache_dir=tmp_path, **args)
    assert first.attrs["computed"] == 2 and first.attrs["cached"] == 0  # a unit per generator and seed
    again = LV.run_lm_value(lm_value_params(tiny), cache_dir=tmp_path, **args)
    assert again.attrs["computed"] == 0 and again.attrs["cached"] == 2
    pd.testing.assert_frame_equal(first, again, check_dtype=False)
    # other arguments, other keys: computed, not read
    other = LV.run_lm_value(lm_value_params(tiny, lr=5e-3), cache_dir=tmp_path, **args)
    assert other.attrs["computed"] == 2
    # the results page's reader: the same frame from the store, or None; it computes nothing
    values = {"lm_num_real": [8], "lm_num_synthetic": [0, 4], "lm_seeds": [3], "lm_epochs": 1.0,
              "lm_fixed_steps": 3, "lm_n_available": 16, "lm_model": str(tiny["folder"]),
              "lm_dataset": str(tiny["data"]), "lm_n_test": 50, "lm_batch_size": 16, "lm_lr": 1e-2, "lm_max_len": 32,
              "device": "auto", "threads": 1}
    assert LV.stored_lm_value(values, tmp_path) is None  # both designs asked: not stored
    stored = LV.run_lm_value(*LV.chapter_arguments(values)[:1], **LV.chapter_arguments(values)[1],
                             cache_dir=tmp_path)
    read = LV.stored_lm_value(values, tmp_path)
    pd.testing.assert_frame_equal(read, stored, check_dtype=False)
    assert LV.stored_lm_value(values, None) is None
    assert LV.stored_lm_value({**values, "lm_seeds": [3, 4]}, tmp_path) is None


def test_lm_value_validation(tiny):

    good = dict(num_real=[4], num_synthetic=[0], seeds=1)
    with pytest.raises(ParameterError, match="set by the experiment"):
        LV.run_lm_value(lm_value_params(tiny, steps=3), **good)
    with pytest.raises(ParameterError, match="num_real"):
        LV.run_lm_value(lm_value_params(tiny), num_real=[0, 4], num_synthetic=[0], seeds=1)
    with pytest.raises(ParameterError, match="num_synthetic.*must include 0"):
        LV.run_lm_value(lm_value_params(tiny), num_real=[4], num_synthetic=[4], seeds=1)
    with pytest.raises(ParameterError, match="designs"):
        LV.run_lm_value(lm_value_params(tiny), designs=["more-data"], **good)
    with pytest.raises(ParameterError, match="generators"):
        LV.run_lm_value(lm_value_params(tiny), generators=["oracle"], **good)
    with pytest.raises(ParameterError, match="fixed_steps"):
        LV.run_lm_value(lm_value_params(tiny), fixed_steps=0, **good)
    with pytest.raises(ParameterError, match="'lr'"):
        LV.run_lm_value(lm_value_params(tiny, lr=-1.0), **good)


def test_lm_value_paired_changes_and_summary():

    rows = []
    for seed in range(3):
        for r in (8, 64):
            for s in (0, 16):
                loss = 3.0 + 0.01 * seed + (-0.2 if (r, s) == (8, 16) else 0.1 if s else 0.0)
                rows.append({"generator": "pool", "design": "epochs", "seed": seed, "num_real": r,
                             "num_synthetic": s, "test_loss": loss + (0.001 * seed if s else 0.0)})
    frame = pd.DataFrame(rows)
    ch = LV.paired_changes(frame).set_index("num_real")
    assert ch.loc[8, "verdict"] == "helps" and ch.loc[64, "verdict"] == "hurts"
    assert ch.loc[8, "change"] == pytest.approx(-0.199)
    assert ch.loc[8, "relative"] == pytest.approx(100 * -0.199 / 3.01)
    half = stats.t.ppf(0.975, 2) * np.std([0.0, 0.001, 0.002], ddof=1) / math.sqrt(3)
    assert (ch.loc[8, "high"] - ch.loc[8, "low"]) / 2 == pytest.approx(half)
    summ = LV.summarise_cells(frame).set_index(["num_real", "num_synthetic"])
    assert summ.loc[(8, 0), "mean"] == pytest.approx(3.01) and (summ.seeds == 3).all()
    with pytest.raises(ParameterError, match="num_synthetic = 0"):
        LV.paired_changes(frame[frame.num_synthetic > 0])
    assert LV.nearest([64, 256, 1024], 256) == 256 and LV.nearest([8, 32, 128], 1000) == 128
    assert LV.nearest([8, 32, 128], 256) == 128


def test_lm_value_grid_table(lm_frame):

    table = LV.grid_table(lm_frame)
    assert list(table.index) == ["8 + 0", "8 + 8", "16 + 0", "16 + 8"]
    assert list(table.columns) == [("fixed epochs", "test loss"), ("fixed epochs", "change"),
                                   ("fixed steps", "test loss"), ("fixed steps", "change")]
    assert table.loc["8 + 0", ("fixed steps", "change")] == "—"
    cells = LV.summarise_cells(lm_frame[lm_frame.generator == "pool"])
    means = cells.set_index(["design", "num_real", "num_synthetic"])["mean"]
    assert table.loc["16 + 8", ("fixed steps", "test loss")].startswith(f"{means[('fixed-steps', 16, 8)]:.3f}")
    assert "[" in table.loc["16 + 8", ("fixed epochs", "change")]
    assert list(LV.grid_table(lm_frame, "subset").index) == ["8 + 0", "8 + 8"]


def test_presentation_helpers():
    assert V.pm_text(-0.1234, 0.0456, 3) == "−0.123\u00a0±\u00a00.046"
    assert V.pm_text(0.5, 0.01, 1, signed=True) == "+0.5\u00a0±\u00a00.0"
    assert V.pm_text(1.0, math.nan, 2) == "1.00"
    assert V.count_text(0, 6) == "none of the 6"
    assert V.count_text(2, 6, "values") == "2 of the 6 values"
    assert V.count_text(6, 6, "values") == "all 6 values"
    assert V.count_text(1, 1, "values of num_real") == "the only value of num_real"
    assert V.count_text(0, 1, "cells") == "no cell"
    frame = _frame(lambda r, s: 1.0 / r + (-0.1 if (r == 4 and s == 8) else 0.05 * s / 32))
    benefit = V.synthetic_benefit(frame, "loss").assign(task="toy")
    wide = V.benefit_wide(benefit, {"toy": "Toy"})
    assert list(wide.columns) == [("Toy", "best s"), ("Toy", "change %")]
    assert wide.loc[4, ("Toy", "best s")] == "8" and wide.loc[4, ("Toy", "change %")].startswith("−")
    assert wide.loc[64, ("Toy", "best s")] == "none" and wide.loc[64, ("Toy", "change %")] == "—"


def _lm_grid(change: float, seeds: int = 5) -> pd.DataFrame:
    """A language-model value grid whose pool generator at fixed epochs changes the loss by
    ``change`` (a fraction) at every num_real, with a little noise per seed."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        for r in (64, 256, 512):
            before = 1.403 + 0.01 * rng.standard_normal()
            for s in (0, 1024):
                loss = before * (1 + change + 0.002 * rng.standard_normal()) if s else before
                for design in ("epochs", "fixed-steps"):
                    rows.append({"generator": "pool", "design": design, "seed": seed, "num_real": r,
                                 "num_synthetic": s, "test_loss": loss})
    return pd.DataFrame(rows)


def test_lm_value_claims_compare_the_papers_cell_and_flip_on_a_wrong_reference():

    ctx = claims.Context(run={"cache_dir": None})
    (row,) = lmclaims.value_claims(ctx).to_dict("records")  # no store: never a number
    assert row["verdict"] == "not run at this scale" and row["this build"] == "–" and row["family"] == "value"
    grid = _lm_grid(-0.096)
    (row,) = lmclaims.value_claims(ctx, grid=grid).to_dict("records")
    assert row["verdict"] in ("reproduced", "consistent") and row["seeds"] == 5
    assert row["where"] == "num_real = 256, num_synthetic = 1024" and row["value"] == pytest.approx(-9.6, abs=0.5)
    for factor in (2.0, 0.5):
        (wrong,) = lmclaims.value_claims(ctx, grid=grid, references=tuple(plant(VALUE_REFERENCES, factor))
                                         ).to_dict("records")
        assert wrong["verdict"] == "differs", factor
    # another grid: its cell nearest to the paper's, said so
    (near,) = lmclaims.value_claims(ctx, grid=grid[grid.num_real != 256]).to_dict("records")
    assert near["where"] == "num_real = 64, num_synthetic = 1024" and "nearest" in near["note"]
    changes = lmclaims.value_changes(grid, 256, 1024)
    assert len(changes) == 5 and (changes.loss_change_percent < 0).all()
