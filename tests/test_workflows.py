"""The generation loop and the three workflows (chapter *Three ways to feed a model its own data*;
Kazdan et al. 2025, its three workflows)."""

from __future__ import annotations

import numpy as np
import pytest

import collapse_lib as cl
from collapse_lib.validation import ParameterError
from collapse_lib.workflows import TrainingPool, run_chain, training_composition


class CountingTask:
    """A task whose 'model' is its training set: lets the tests see what each generation got."""

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []
        self.counter = 0

    def sample_real(self, n, rng):
        return -1.0 - np.arange(n, dtype=float)[:, None]  # real points carry negative ids

    def fit(self, data, rng):
        self.seen.append(np.asarray(data).copy())
        return len(self.seen)

    def sample(self, model, n, rng):
        # synthetic points of model t carry ids t*1000 + i (positive)
        return (model * 1000 + np.arange(n, dtype=float))[:, None]

    def evaluate(self, model):
        return {"size": float(len(self.seen[-1]))}


@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_training_set_sizes_and_sources(workflow):
    task = CountingTask()
    n, T = 7, 6
    rows = run_chain(task, workflow, n=n, n_generations=T, seed=3)
    assert len(rows) == T and len(task.seen) == T
    for t, data in enumerate(task.seen, start=1):
        ids = data[:, 0]
        real = ids < 0
        if t == 1:
            assert real.all() and len(ids) == n
        elif workflow == "replace":
            assert len(ids) == n and not real.any()
            assert np.all(ids // 1000 == t - 1)  # only model t-1's samples
        elif workflow == "accumulate":
            assert len(ids) == t * n
            assert real.sum() == n  # every real point kept: real share exactly 1/t
            assert sorted(np.unique(ids[~real] // 1000)) == list(range(1, t))
            assert len(np.unique(ids)) == len(ids)
        else:
            assert len(ids) == n
            assert len(np.unique(ids)) == n  # without replacement
            assert set(ids[~real] // 1000) <= set(range(1, t))


def test_subsample_is_fresh_each_generation_and_unbiased():
    task = CountingTask()
    n, T = 20, 5
    real_counts = []
    for seed in range(300):
        task.seen.clear()
        run_chain(task, "accumulate-subsample", n=n, n_generations=T, seed=seed)
        real_counts.append([(d[:, 0] < 0).sum() for d in task.seen])
        if seed == 0:
            assert not np.array_equal(np.sort(task.seen[3][:, 0]), np.sort(task.seen[4][:, 0]))
    mean_real = np.mean(real_counts, axis=0)
    expected = [n * cl.real_share("accumulate-subsample", t) for t in range(1, T + 1)]
    # hypergeometric sd <= sqrt(n)/2; 300 chains -> standard error < 0.15
    np.testing.assert_allclose(mean_real, expected, atol=0.6)


def test_real_share_and_composition():
    assert [cl.real_share("replace", t) for t in (1, 2, 3)] == [1.0, 0.0, 0.0]
    assert [cl.real_share("accumulate", t) for t in (1, 2, 3, 4)] == [1.0, 0.5, 1 / 3, 0.25]
    for wf in cl.WORKFLOWS:
        for t in (1, 2, 5):
            c = training_composition(wf, t, 10)
            assert c[0] / c.sum() == pytest.approx(cl.real_share(wf, t))
    assert training_composition("accumulate", 4, 10).sum() == 40
    assert training_composition("accumulate-subsample", 4, 10).sum() == 10


def test_real_mix_and_fresh_real():
    n = 10
    real = -1.0 - np.arange(n)[:, None]
    rng = np.random.default_rng(0)
    fresh_calls = []

    def sampler(k):
        fresh_calls.append(k)
        return -100.0 - np.arange(k)[:, None] - 100 * len(fresh_calls)

    pool = TrainingPool("replace", real, n=n, real_mix=0.3, fresh_real=True, sample_real=sampler)
    pool.add(np.full((n, 1), 1000.0))
    train = pool.training_set(rng)
    assert len(train) == n and (train[:, 0] < 0).sum() == 3
    assert (train[:, 0] <= -100).sum() == 3  # the real part is the fresh draw
    pool = TrainingPool("accumulate", real, n=n, fresh_real=True, sample_real=sampler)
    pool.add(np.full((n, 1), 1000.0))
    assert len(pool.training_set(rng)) == 3 * n  # real + fresh real + synthetic
    with pytest.raises(ParameterError, match="real_mix"):
        TrainingPool("accumulate", real, n=n, real_mix=0.5)
    with pytest.raises(ParameterError, match="real_mix"):
        cl.simulate("gaussian", "accumulate", n_generations=2, seeds=1, real_mix=0.5)


def test_a_generation_adds_exactly_n():
    pool = TrainingPool("accumulate", np.zeros((5, 1)), n=5)
    with pytest.raises(ValueError, match="exactly n=5"):
        pool.add(np.zeros((4, 1)))


def test_same_real_data_for_every_workflow():
    firsts = [cl.simulate("gaussian", wf, n_generations=3, seeds=[4, 9], d=3, n=20)
              .query("generation == 1").mean_sq_error.to_numpy() for wf in cl.WORKFLOWS]
    np.testing.assert_allclose(firsts[0], firsts[1], rtol=1e-12)
    np.testing.assert_allclose(firsts[0], firsts[2], rtol=1e-12)
