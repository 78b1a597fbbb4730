"""Logistic regression on a fixed real design (Dey & Donoho's experiment): agreement with
scikit-learn, the separation check, the loop's properties, the fast path against the loop
with every feature, and the large-n theory within Monte-Carlo intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit

import collapse_lib as cl
from collapse_lib import stats
from collapse_lib.settings.logistic_regression import model as M
from collapse_lib.settings.logistic_regression import theory as TH
from collapse_lib.simulate import run_arrays
from collapse_lib.validation import ParameterError
from collapse_lib.workflows import run_chain

SETTING = "logistic_regression"


def sklearn_fit(x, y, sample_weight=None, tol=1e-12):
    """scikit-learn's unpenalised logistic regression (lbfgs), converged tightly."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=np.inf, tol=tol, max_iter=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning fails the test
        clf.fit(x, y, sample_weight=sample_weight)
    return clf


# --- the data and the first fit ----------------------------------------------------------------------

def test_the_split_is_dey_and_donohos():
    for name, (train, test) in {"diabetes": (309, 133), "breast_cancer": (398, 171)}.items():
        split = M.load_split(name)
        assert split.x_train.shape[0] == train and split.x_test.shape[0] == test
        assert set(np.unique(split.y_train)) == {0, 1}
    from sklearn.datasets import load_diabetes

    target = load_diabetes().target
    split = M.load_split("diabetes")
    assert split.y_train.sum() + split.y_test.sum() == int((target > 100).sum())


@pytest.mark.parametrize("dataset, n, features", [("diabetes", 309, "all"), ("diabetes", 120, 4),
                                                  ("breast_cancer", 398, 10)])
def test_first_fit_agrees_with_scikit_learn(dataset, n, features):
    d, ref = M.design(dataset, n, features), M.real_fit(dataset, n, features)
    split = M.load_split(dataset)
    cols = d.features
    # scikit-learn's own scaling (the fitted probabilities do not depend on it: lbfgs on the raw
    # breast-cancer inputs, whose scales differ by 10^4, stops short of the maximum)
    from sklearn.preprocessing import StandardScaler

    scale = StandardScaler().fit(split.x_train[:n, :cols])
    clf = sklearn_fit(scale.transform(split.x_train[:n, :cols]), split.y_train[:n])
    ours = expit(d.z_test @ ref.beta)
    theirs = clf.predict_proba(scale.transform(split.x_test[:, :cols]))[:, 1]
    np.testing.assert_allclose(ours, theirs, atol=2e-6)
    metrics = M.fit_metrics(d, ref, ref.beta[None])
    from sklearn.metrics import accuracy_score, log_loss

    assert metrics["test_log_loss"][0] == pytest.approx(log_loss(split.y_test, theirs), abs=1e-6)
    predicted = clf.predict(scale.transform(split.x_test[:, :cols]))
    assert metrics["test_accuracy"][0] == accuracy_score(split.y_test, predicted)


def test_a_stack_of_labels_agrees_with_scikit_learn_on_the_stack():
    """Accumulate's fit on counts per row is the fit on the stacked copies."""
    d = M.design("diabetes", 150, 5)
    rng = np.random.default_rng(7)
    labels = (rng.random((4, d.n)) < 0.6).astype(float)
    k, m = labels.sum(axis=0), np.full(d.n, 4.0)
    fits = M.fit_counts(d.z, k[None], m[None], np.zeros((1, d.p)))
    assert fits.exists[0]
    split = M.load_split("diabetes")
    x = np.tile(split.x_train[:150, :5], (4, 1))
    clf = sklearn_fit(x, labels.reshape(-1))
    np.testing.assert_allclose(expit(d.z_test @ fits.beta[0]), clf.predict_proba(split.x_test[:, :5])[:, 1],
                               atol=2e-6)


def test_a_design_larger_than_the_split_repeats_its_rows():
    small, big = M.design("diabetes", 309), M.design("diabetes", 700)
    assert big.n == 700 and big.z.shape == small.z.shape
    np.testing.assert_array_equal(big.mult, np.bincount(np.arange(700) % 309))
    # whole copies leave the real data's fit unchanged, and its information scales with them
    three = M.real_fit("diabetes", 927)
    np.testing.assert_allclose(three.beta, M.real_fit("diabetes", 309).beta, atol=1e-9)
    np.testing.assert_allclose(three.info, 3 * M.real_fit("diabetes", 309).info, rtol=1e-9)


def test_dey_and_donohos_first_number_is_their_optimiser_stopping_early():
    """Their log's first test loss, 0.4284598191388307 (diabetes), is scikit-learn's lbfgs at its
    default tolerance on the raw inputs; the maximum-likelihood fit gives 0.4305."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    split = M.load_split("diabetes")
    clf = LogisticRegression(C=np.inf, max_iter=10000, random_state=123456).fit(split.x_train, split.y_train)
    assert log_loss(split.y_test, clf.predict_proba(split.x_test)) == pytest.approx(0.4284598191388307, abs=1e-9)
    ref = M.real_fit("diabetes", 309)
    ours = M.fit_metrics(M.design("diabetes", 309), ref, ref.beta[None])["test_log_loss"][0]
    assert ours == pytest.approx(0.430483, abs=1e-6)


# --- separation -------------------------------------------------------------------------------------

def test_breast_cancer_with_every_feature_is_separable_and_refused():
    d = M.design("breast_cancer", 398)
    assert M.is_separable(d.z, d.y, np.ones(d.n))
    # an independent check: a separating direction from a hard-margin program classifies every row
    from scipy.optimize import linprog

    a = d.z * np.where(d.y > 0.5, 1.0, -1.0)[:, None]
    res = linprog(np.zeros(d.p), A_ub=-a, b_ub=-np.ones(d.n), bounds=[(None, None)] * d.p, method="highs")
    assert res.status == 0 and np.all(a @ res.x >= 1 - 1e-7)
    with pytest.raises(ParameterError, match=r"breast_cancer.*linearly separable.*does not exist.*features <= 23"):
        cl.simulate(SETTING, "replace", n_generations=2, seeds=1, dataset="breast_cancer", n=398)
    assert not M.is_separable(*(lambda e: (e.z, e.y, np.ones(e.n)))(M.design("breast_cancer", 398, 23)))


def _problems(rng, count=60):
    """Small count problems: overlapping, completely separable, quasi-completely separable."""
    out = []
    for i in range(count):
        n, p = int(rng.integers(8, 40)), int(rng.integers(2, 5))
        z = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1))])
        w = rng.standard_normal(p) * 2
        kind = i % 3
        if kind == 0:
            y = (rng.random(n) < expit(z @ w)).astype(float)
        else:
            y = (z @ w > 0).astype(float)
        m = np.ones(n)
        k = y.copy()
        if kind == 2:  # one row on the boundary with both labels: quasi-complete separation
            z[0, 1:] = 0.0
            z[0, 1] = -w[0] / w[1]
            k[0], m[0] = 1.0, 2.0
        out.append((kind, z, k, m))
    return out


def test_the_certificate_never_contradicts_the_linear_program():
    rng = np.random.default_rng(2024)
    seen = {True: 0, False: 0}
    for kind, z, k, m in _problems(rng):
        sep = M.is_separable(z, k, m)
        if kind > 0:
            assert sep, "a separable construction was not detected"
        beta, conv, _ = M.newton(z, k[None], m[None], np.zeros((1, z.shape[1])))
        cert = bool(M.overlap_certified(z, k[None], m[None], beta)[0])
        assert not (cert and sep), "the certificate claimed overlap for separable classes"
        fits = M.fit_counts(z, k[None], m[None], np.zeros((1, z.shape[1])))
        assert bool(fits.exists[0]) == (not sep and np.linalg.matrix_rank(z[m > 0]) == z.shape[1])
        assert np.isnan(fits.beta[0]).all() != bool(fits.exists[0])
        seen[sep] += 1
    assert seen[True] >= 40 and seen[False] >= 5


def test_a_fit_that_did_not_converge_is_an_error(monkeypatch):
    d = M.design("diabetes", 309)
    monkeypatch.setattr(M, "MAX_NEWTON", 1)
    with pytest.raises(M.FitNotConverged, match="did not converge.*not separable"):
        M.fit_counts(d.z, d.y[None], np.ones((1, d.n)), np.zeros((1, d.p)))


def test_chains_end_where_their_labels_become_separable():
    """Small n: Replace's labels become separable; from then on the chain has no fit, every
    metric is missing and ``no_mle`` is set, in both implementations alike."""
    frame = cl.simulate(SETTING, "replace", n_generations=30, seeds=20, n=40, features=3)
    assert frame.no_mle.any()
    for _, chain in frame.groupby("seed"):
        flag = chain.no_mle.to_numpy()
        assert np.all(np.diff(flag.astype(int)) >= 0), "a chain came back after it ended"
        for metric in M.METRICS:
            assert np.array_equal(np.isnan(chain[metric].to_numpy()), flag)
    ended = frame[frame.no_mle].groupby("seed").generation.min()
    # the labels of the last generation with a fit, drawn again, are those the loop fitted: check
    # with the reference loop that the generation where a chain ends has separable labels
    seed = int(ended.index[0])
    task = cl.get_setting(SETTING).task(cl.check_params(SETTING, {"n": 40, "features": 3}))
    seen = []
    original = task.fit

    def fit(data, rng=None):
        seen.append(data.copy())
        return original(data, rng)

    task.fit = fit
    rows = run_chain(task, "replace", n=40, n_generations=int(ended[seed]), seed=seed)
    assert rows[-1]["no_mle"] and not rows[-2]["no_mle"]
    k, m = M.counts(task.design.row_of[seen[-1][:, 0].astype(int)], seen[-1][:, 1], task.design.z.shape[0])
    assert M.is_separable(task.design.z, k, m)


# --- the loop's properties -------------------------------------------------------------------------

class _Recorder(M.LogisticRegressionTask):
    def __init__(self, *args):
        super().__init__(*args)
        self.sizes, self.last_sample, self.training = [], None, []

    def fit(self, data, rng=None):
        self.sizes.append(data.shape[0])
        self.training.append(data.copy())
        return super().fit(data, rng)

    def sample(self, model, n, rng):
        out = super().sample(model, n, rng)
        self.last_sample = out
        return out


@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_training_sets_keep_every_copy_or_the_right_number(workflow):
    n, T = 50, 5
    task = _Recorder("diabetes", n, 4, "real")
    run_chain(task, workflow, n=n, n_generations=T, seed=3)
    if workflow == "accumulate":
        assert task.sizes == [n * t for t in range(1, T + 1)]
        for t, data in enumerate(task.training, start=1):  # every design row once per generation
            np.testing.assert_array_equal(np.bincount(data[:, 0].astype(int), minlength=n), np.full(n, t))
            np.testing.assert_array_equal(data[:n, 1], task.design.y)  # the real labels stay
    else:
        assert task.sizes == [n] * T
    if workflow == "replace":
        for data in task.training:
            np.testing.assert_array_equal(np.sort(data[:, 0]), np.arange(n))
    if workflow == "accumulate-subsample":
        for t, data in enumerate(task.training, start=1):
            assert data[:, 0].min() >= 0 and data[:, 0].max() < n
            assert np.bincount(data[:, 0].astype(int), minlength=n).max() <= t  # at most t copies of a row


def test_same_seed_same_numbers_and_model_labels_vary_the_first_fit():
    a = cl.simulate(SETTING, "accumulate-subsample", n_generations=4, seeds=[5, 6], n=80, features=4,
                    labels="model")
    b = cl.simulate(SETTING, "accumulate-subsample", n_generations=4, seeds=[5, 6], n=80, features=4,
                    labels="model")
    np.testing.assert_array_equal(a[list(M.METRICS)].to_numpy(), b[list(M.METRICS)].to_numpy())
    first = a[a.generation == 1].param_error.to_numpy()
    assert first[0] != first[1] and np.all(first > 0)
    real = cl.simulate(SETTING, "replace", n_generations=2, seeds=[5, 6], n=80, features=4)
    assert np.all(real[real.generation == 1].param_error < 1e-20)  # the first fit is the real fit


@pytest.mark.parametrize("labels", ["real", "model"])
def test_fast_path_matches_the_loop_with_every_feature(labels):
    spec = cl.get_setting(SETTING)
    values = cl.check_params(SETTING, {"n": 309, "labels": labels})
    options = {"real_mix": 0.0, "fresh_real": False}
    for workflow in ("replace", "accumulate"):  # Accumulate-Subsample agrees in distribution (contract test)
        fast = run_arrays(spec, workflow, 6, [0, 1], values, options)
        ref = run_arrays(spec, workflow, 6, [0, 1], values, options, reference=True)
        for name in (*M.METRICS, "no_mle"):
            np.testing.assert_allclose(np.asarray(fast[name], float), np.asarray(ref[name], float), rtol=1e-9,
                                       atol=1e-12, err_msg=f"{workflow} {name}")


def test_fresh_real_labels_need_a_model_to_draw_them():
    with pytest.raises(ParameterError, match="fresh_real.*labels='model'"):
        cl.simulate(SETTING, "replace", n_generations=3, seeds=1, n=60, features=3, fresh_real=True)
    frame = cl.simulate(SETTING, "accumulate", n_generations=3, seeds=1, n=60, features=3, labels="model",
                        fresh_real=True)
    assert np.isfinite(frame.param_error).all()


@pytest.mark.parametrize("params, match", [
    ({"features": 11}, r"'features' must be at most 10"),
    ({"features": "some"}, r"'features' must be 'all' or an integer"),
    ({"n": 8}, r"'n' must be at least p \+ 1 = 12"),
    ({"dataset": "diabetis"}, r"'dataset' must be one of 'diabetes', 'breast_cancer'"),
    ({"labels": "synthetic"}, r"'labels' must be one of"),
])
def test_bad_parameters_are_refused(params, match):
    with pytest.raises(ParameterError, match=match):
        cl.simulate(SETTING, "replace", n_generations=2, seeds=1, **params)


# --- theory --------------------------------------------------------------------------------------

@pytest.mark.parametrize("workflow", ["replace", "accumulate"])
@pytest.mark.parametrize("labels", ["real", "model"])
def test_large_n_theory_within_monte_carlo_intervals(workflow, labels):
    """At n = 30,900 (100 copies of the diabetes split) the mean param_error over 200 chains
    holds the large-n limit at t = 1 (model labels) and t = 6 in its 95% interval."""
    T = 6
    frame = cl.simulate(SETTING, workflow, n_generations=T, seeds=200, n=30900, labels=labels)
    for t in ([1, T] if labels == "model" else [T]):
        iv = stats.mean_interval(frame.loc[frame.generation == t, "param_error"])
        expected = float(TH.expected_param_error(workflow, t, labels))
        assert iv.contains(expected), (workflow, labels, t, iv.text(), expected)


def test_at_the_data_sets_own_size_replace_outruns_the_large_n_theory():
    """Where n is too small: at n = 309 Replace's error at t = 10 lies far above t - 1 (the
    estimate's bias compounds), while Accumulate stays near its limit."""
    rep = cl.simulate(SETTING, "replace", n_generations=10, seeds=60)
    iv = stats.mean_interval(rep.loc[rep.generation == 10, "param_error"])
    assert iv.low > 2 * float(TH.expected_param_error("replace", 10))
    acc = cl.simulate(SETTING, "accumulate", n_generations=10, seeds=60)
    iv = stats.mean_interval(acc.loc[acc.generation == 10, "param_error"])
    assert iv.centre < 1.5 * float(TH.expected_param_error("accumulate", 10))


def test_theory_values():
    t = np.arange(1, 6)
    np.testing.assert_allclose(TH.expected_param_error("replace", t), t - 1)
    np.testing.assert_allclose(TH.ratio_to_first_fit("replace", t), t)
    np.testing.assert_allclose(TH.ratio_to_first_fit("accumulate", t), np.cumsum(1 / t ** 2))
    assert TH.expected_param_error("accumulate-subsample", t) is None
    assert float(TH.ratio_to_first_fit("accumulate", 10_000)) < TH.PI2_OVER_6
    loss = TH.expected_test_log_loss("accumulate", t, "diabetes", 309)
    assert loss[0] == pytest.approx(0.430483, abs=1e-6) and np.all(np.diff(loss) > 0)
    assert TH.expected("test_accuracy", "replace", t, {"n": 309}) is None
