"""The setting contract, checked for every setting in the registry.

A new setting added to ``collapse_lib.settings.SETTINGS`` is checked here for free: its
fast path against the reference loop (exactly where they share random streams, otherwise
within Monte-Carlo intervals), determinism, a seed's numbers independent of the seeds run
beside it, unknown and misspelt parameters refused, metrics of the right shape and finite
(or declared missing), one worker against two, and a lossless trip through the store.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from conftest import lm_toy_params

import collapse_lib as cl
from collapse_lib.validation import ParameterError

S = importlib.import_module("collapse_lib.simulate")
SETTINGS = sorted(cl.SETTINGS)
T = 5


@pytest.fixture
def example(request):
    """Small parameters of each setting (the language model's use the tiny local model)."""
    def make(name: str) -> dict:
        if name == "lm":

            return lm_toy_params(request.getfixturevalue("tiny"), n_show=0)
        return dict(cl.get_setting(name).extra["example"])
    return make


def metrics_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns that must be reproducible (timings are not)."""
    spec = cl.get_setting(name)
    keep = ["setting", "workflow", "seed", "generation", *spec.params, *spec.metrics]
    return frame[[c for c in keep if c in frame.columns]].reset_index(drop=True)


def workflows_for(name: str) -> list[str]:
    return list(cl.WORKFLOWS) if name != "lm" else ["replace", "accumulate"]


@pytest.mark.parametrize("name", SETTINGS)
def test_metrics_have_the_right_shape_and_are_finite(name, example):
    spec = cl.get_setting(name)
    for wf in workflows_for(name):
        frame = cl.simulate(name, wf, n_generations=T, seeds=[3, 1], **example(name))
        assert len(frame) == 2 * T
        assert list(frame.seed) == [3] * T + [1] * T and list(frame.generation) == list(range(1, T + 1)) * 2
        for metric in spec.metrics:
            values = frame[metric].to_numpy(dtype=float)
            assert not np.isinf(values).any(), (name, wf, metric)
            if metric not in spec.may_be_nan:
                assert np.isfinite(values).all(), (name, wf, metric)
        for column in ("setting", "workflow", *spec.params, *spec.columns):
            assert column in frame.columns, (name, column)


@pytest.mark.parametrize("name", SETTINGS)
def test_same_arguments_same_numbers_and_seeds_are_independent(name, example):
    params = example(name)
    wf = "accumulate-subsample" if name != "lm" else "accumulate"
    first = cl.simulate(name, wf, n_generations=T, seeds=[0, 1, 2], **params)
    again = cl.simulate(name, wf, n_generations=T, seeds=[0, 1, 2], **params)
    pd.testing.assert_frame_equal(metrics_frame(first, name), metrics_frame(again, name))
    alone = cl.simulate(name, wf, n_generations=T, seeds=[2], **params)
    pd.testing.assert_frame_equal(metrics_frame(first[first.seed == 2], name), metrics_frame(alone, name))


@pytest.mark.parametrize("name", SETTINGS)
def test_unknown_and_misspelt_parameters_are_refused(name, example):
    spec = cl.get_setting(name)
    first = next(iter(spec.params))
    with pytest.raises(ParameterError, match=rf"unknown parameter.*'{first}x'.*did you mean '{first}'.*allowed"):
        cl.simulate(name, "replace", n_generations=1, seeds=1, **{f"{first}x": 1})
    with pytest.raises(ParameterError, match="parameter 'n_generations'"):
        cl.simulate(name, "replace", n_generations=0, seeds=1)
    with pytest.raises(ParameterError, match="parameter 'workflow' must be one of"):
        cl.simulate(name, "replaec", n_generations=1, seeds=1)
    with pytest.raises(ParameterError, match="parameter 'n' must be an integer"):
        cl.simulate(name, "replace", n_generations=1, seeds=1, n=2.5)


@pytest.mark.parametrize("name", SETTINGS)
def test_one_worker_against_two_and_a_lossless_store(name, example, tmp_path):
    params = example(name)
    grid = {"n": [params.pop("n"), params["n_test"] if name == "lm" else 9]}
    kwargs = dict(workflows=workflows_for(name)[:2], grid=grid, fixed=params, n_generations=3, seeds=2,
                  progress=False)
    one = cl.run_grid(name, **kwargs)
    two = cl.run_grid(name, workers=2, cache_dir=tmp_path, **kwargs)
    pd.testing.assert_frame_equal(metrics_frame(one, name), metrics_frame(two, name))
    back = cl.run_grid(name, cache_dir=tmp_path, **kwargs)
    assert len(back.attrs["cached"]) == len(kwargs["workflows"]) * 2
    pd.testing.assert_frame_equal(two, back)  # every column, as computed


def _fast_settings() -> list[str]:
    return [n for n in SETTINGS if cl.get_setting(n).fast is not None]


@pytest.mark.parametrize("name", _fast_settings())
@pytest.mark.parametrize("workflow", cl.WORKFLOWS)
def test_fast_path_against_the_reference_loop(name, workflow):
    spec = cl.get_setting(name)
    exact = spec.fast_exact and workflow in spec.extra.get("exact_workflows", cl.WORKFLOWS)
    seeds = list(range(3 if exact else 300))
    values = cl.check_params(name, spec.extra["example"])
    options = {"real_mix": 0.0, "fresh_real": False}
    fast = S.run_arrays(spec, workflow, T, seeds, values, options=options)
    ref = S.run_arrays(spec, workflow, T, seeds, values, options=options, reference=True)
    for metric in spec.metrics:
        a, b = np.asarray(fast[metric], dtype=float), np.asarray(ref[metric], dtype=float)
        assert a.shape == b.shape == (len(seeds), T)
        if exact:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"{name} {workflow} {metric}")
            continue
        # different random streams: the means over seeds agree within Monte-Carlo error
        for t in (1, T - 1):
            x, y = a[:, t], b[:, t]
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            if x.size < 2 or y.size < 2:
                continue
            se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
            assert abs(x.mean() - y.mean()) <= 4.5 * se + 1e-12, (name, workflow, metric, t, x.mean(), y.mean(), se)


def test_every_setting_declares_what_the_contract_needs():
    for name in SETTINGS:
        spec = cl.get_setting(name)
        assert spec.name == name and spec.metrics and "n" in spec.params
        assert callable(spec.task)
        assert spec.may_be_nan <= set(spec.metrics)
        if name != "lm":
            assert "example" in spec.extra, name
