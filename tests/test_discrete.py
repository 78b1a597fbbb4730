"""Discrete distributions and Wright-Fisher fixation (collapse_lib.settings.discrete, SPEC §6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from collapse_lib import ParameterError, run_chain, simulate
from collapse_lib.settings.discrete import (
    DiscreteTask,
    distribution_metrics,
    fixation_generation,
    replace_fixation_times,
)
from collapse_lib.settings.discrete.claims import summarise_fixation
from collapse_lib.settings.discrete.theory import (
    expected_observed_outcomes,
    wright_fisher_diversity,
    wright_fisher_exact_fixation_time,
    wright_fisher_fixation_time,
)
from collapse_lib.workflows import WORKFLOWS, seed_rngs

Z = 4.0  # Monte-Carlo tolerance in standard errors


def metric(frame, name):
    return frame.pivot(index="seed", columns="generation", values=name).to_numpy()


class Recorder(DiscreteTask):
    def __init__(self, k):
        super().__init__(k)
        self.seen = []

    def fit(self, data, rng=None):
        self.seen.append(data.copy())
        return super().fit(data, rng)


# --- the model and its metrics ---------------------------------------------------------------

def test_fit_is_the_empirical_frequencies_and_metrics_are_right():
    task = DiscreteTask(4)
    np.testing.assert_allclose(task.fit(np.array([0, 0, 1, 3])), [0.5, 0.25, 0.0, 0.25])
    m = distribution_metrics(np.array([[0.25] * 4, [1.0, 0, 0, 0], [0.5, 0.5, 0, 0]]))
    np.testing.assert_allclose(m["normalised_entropy"], [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(m["n_surviving"], [4, 1, 2])
    np.testing.assert_allclose(m["tv_distance"], [0.0, 0.75, 0.5])
    np.testing.assert_allclose(m["simpson_diversity"], [1.0, 0.0, 0.5 / 0.75])


def test_samples_follow_the_fit():
    task = DiscreteTask(3)
    draws = task.sample(np.array([0.2, 0.0, 0.8]), 50_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=3) / draws.size
    assert freq[1] == 0 and abs(freq[0] - 0.2) < 4 * math.sqrt(0.16 / 50_000)


def test_training_sets_follow_the_workflow():
    n, T = 6, 5
    for workflow in WORKFLOWS:
        task = Recorder(5)
        run_chain(task, workflow, n=n, n_generations=T, seed=4)
        sizes = [len(x) for x in task.seen]
        assert sizes == ([n * t for t in range(1, T + 1)] if workflow == "accumulate" else [n] * T)
    # Accumulate's pool at t holds its pool at t - 1
    task = Recorder(5)
    run_chain(task, "accumulate", n=n, n_generations=T, seed=4)
    for a, b in zip(task.seen, task.seen[1:]):
        np.testing.assert_array_equal(b[: len(a)], a)


# --- what each workflow does to the outcomes ---------------------------------------------------

def test_replace_loses_outcomes_for_good():
    frame = simulate("discrete", "replace", n_generations=80, seeds=30, k=6, n=8)
    alive = metric(frame, "n_surviving")
    assert (np.diff(alive, axis=1) <= 0).all()
    assert (alive[:, -1] == 1).mean() > 0.5  # E fixation ~ 13 generations here
    entropy = metric(frame, "normalised_entropy")
    assert ((entropy[:, -1] == 0) == (alive[:, -1] == 1)).all()


def test_accumulate_keeps_every_outcome_the_real_data_hold():
    frame = simulate("discrete", "accumulate", n_generations=60, seeds=30, k=8, n=6)
    alive = metric(frame, "n_surviving")
    # the real counts stay in the pool: the outcomes seen at t = 1 are there at every t
    assert (alive == alive[:, :1]).all()
    for seed, row in zip(range(30), alive):
        real = seed_rngs(seed)[0].multinomial(6, np.full(8, 1 / 8))
        assert row[0] == np.count_nonzero(real)


def test_accumulate_subsample_pool_keeps_outcomes_that_a_fit_may_miss():
    frame = simulate("discrete", "accumulate-subsample", n_generations=60, seeds=30, k=8, n=6)
    alive = metric(frame, "n_surviving")
    assert (alive <= alive[:, :1]).all()  # nothing new ever appears
    assert (np.diff(alive, axis=1) > 0).any()  # an outcome missing from one fit comes back


@pytest.mark.parametrize("workflow", ["replace", "accumulate"])
def test_fast_path_equals_generic_loop(workflow):
    seeds, T = [0, 5, 9], 25
    fast = simulate("discrete", workflow, n_generations=T, seeds=seeds, k=7, n=12)
    for i, seed in enumerate(seeds):
        chain = run_chain(DiscreteTask(7), workflow, n=12, n_generations=T, seed=seed)
        for name in ("normalised_entropy", "n_surviving", "tv_distance", "simpson_diversity"):
            np.testing.assert_allclose(metric(fast, name)[i], [r[name] for r in chain], rtol=1e-12)


def test_accumulate_subsample_fast_path_matches_generic_loop_in_distribution():
    seeds, T, k, n = list(range(500)), 12, 5, 8
    fast = simulate("discrete", "accumulate-subsample", n_generations=T, seeds=seeds, k=k, n=n)
    slow = [run_chain(DiscreteTask(k), "accumulate-subsample", n=n, n_generations=T, seed=1000 + s)
            for s in seeds]
    for name in ("normalised_entropy", "n_surviving", "simpson_diversity"):
        a = metric(fast, name)[:, -1]
        b = np.array([chain[-1][name] for chain in slow])
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < Z * se, (name, a.mean(), b.mean(), se)


def test_replace_diversity_decays_as_theory():
    n, T = 12, 30
    frame = simulate("discrete", "replace", n_generations=T, seeds=3000, k=6, n=n)
    div = metric(frame, "simpson_diversity")
    for t in (1, 5, T):
        v = div[:, t - 1]
        se = v.std(ddof=1) / math.sqrt(len(v))
        assert abs(v.mean() - wright_fisher_diversity(t, n)) < Z * se, (t, v.mean(), se)


def test_accumulate_keeps_the_expected_number_of_real_outcomes():
    n, k = 10, 10
    alive = metric(simulate("discrete", "accumulate", n_generations=3, seeds=3000, k=k, n=n), "n_surviving")
    v = alive[:, -1]
    se = v.std(ddof=1) / math.sqrt(len(v))
    assert abs(v.mean() - expected_observed_outcomes(n, k)) < Z * se


# --- fixation time: simulation, exact chain, diffusion formula --------------------------------

def two_allele_fixation_time(n: int) -> float:
    """Exact E generations to fixation from one uniform draw, K = 2 (binomial chain)."""
    i = np.arange(n + 1)
    step = binom.pmf(i[None, :], n, i[:, None] / n)  # step[a, b] = P(a -> b)
    inner = slice(1, n)
    tau = np.linalg.solve(np.eye(n - 1) - step[inner, inner], np.ones(n - 1))
    return 1.0 + binom.pmf(i[inner], n, 0.5) @ tau


def test_exact_fixation_chain_agrees_with_the_two_allele_chain():
    for n in (4, 9, 20):
        assert wright_fisher_exact_fixation_time(n, 2) == pytest.approx(two_allele_fixation_time(n), rel=1e-10)


def test_simulated_fixation_time_equals_exact_chain():
    for n, k, seeds in ((10, 10, 4000), (6, 3, 3000)):
        times = replace_fixation_times(n, k, seeds, max_generations=100 * n)
        assert not times["censored"].any()
        values = times["fixation_generation"].to_numpy()
        exact = wright_fisher_exact_fixation_time(n, k)
        se = values.std(ddof=1) / math.sqrt(len(values))
        assert abs(values.mean() - exact) < Z * se, (n, k, values.mean(), exact, se)
    # the diffusion formula is a large-n approximation: at n = 10 it is measurably high
    assert wright_fisher_fixation_time(10, 10) > 1.05 * wright_fisher_exact_fixation_time(10, 10)


def test_simulated_fixation_time_near_wright_fisher_at_larger_n():
    n, k = 200, 10
    values = replace_fixation_times(n, k, 400, max_generations=40 * n)["fixation_generation"].to_numpy()
    se = values.std(ddof=1) / math.sqrt(len(values))
    theory = wright_fisher_fixation_time(n, k)
    assert theory == pytest.approx(1.896 * n, rel=1e-3)
    # sampling error plus a 2% allowance for the diffusion approximation at this n
    assert abs(values.mean() - theory) < Z * se + 0.02 * theory


def test_fixation_times_match_simulate_and_report_censoring():
    seeds, n, k = [1, 2, 3, 4], 5, 4
    frame = simulate("discrete", "replace", n_generations=200, seeds=seeds, k=k, n=n)
    from_frame, censored = fixation_generation(metric(frame, "n_surviving"))
    direct = replace_fixation_times(n, k, seeds, max_generations=200)
    assert not censored.any()
    np.testing.assert_array_equal(from_frame, direct["fixation_generation"].to_numpy())

    short = replace_fixation_times(100, 10, 5, max_generations=3)
    assert short["censored"].all() and short["fixation_generation"].isna().all()
    summary = summarise_fixation(short).iloc[0]
    assert summary["mean_is_lower_bound"] and summary["mean"] == 3 and np.isnan(summary["median"])


# --- determinism and validation ----------------------------------------------------------------

def test_deterministic_and_seed_independent():
    for workflow in WORKFLOWS:
        a = simulate("discrete", workflow, n_generations=10, seeds=4, k=5, n=7)
        assert a.equals(simulate("discrete", workflow, n_generations=10, seeds=4, k=5, n=7))
        alone = simulate("discrete", workflow, n_generations=10, seeds=[2], k=5, n=7)
        np.testing.assert_array_equal(metric(alone, "tv_distance")[0], metric(a, "tv_distance")[2])


def test_options_run_through_the_generic_loop():
    frame = simulate("discrete", "replace", n_generations=30, seeds=5, real_mix=1.0, k=5, n=10)
    alive = metric(frame, "n_surviving")
    assert (alive == alive[:, :1]).all()  # always refit on the real sample


@pytest.mark.parametrize("bad", [dict(k=1), dict(n=0), dict(k=2.5), dict(d=3)])
def test_bad_parameters_are_named(bad):
    with pytest.raises(ParameterError, match=f"'{next(iter(bad))}'"):
        simulate("discrete", "replace", n_generations=2, seeds=1, **bad)
    with pytest.raises(ParameterError, match="'max_generations'"):
        replace_fixation_times(10, 10, 2, max_generations=0)
