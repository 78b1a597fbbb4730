"""simulate and the grid runner: every cell checked first, nothing finished is lost, bad
input refused at once with the parameter named."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib.grid import GridCellError
from collapse_lib.store import Store
from collapse_lib.validation import ParameterError

S = importlib.import_module("collapse_lib.simulate")  # the module (the package exports the function)

GRID = dict(grid={"d": [1, 3], "n": [10, 20]}, n_generations=4, seeds=3, progress=False)


def test_workers_give_the_same_frame():
    one = cl.run_grid("gaussian", **GRID)
    two = cl.run_grid("gaussian", workers=2, **GRID)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.workflow.unique()) == list(cl.WORKFLOWS)


def test_grid_rejects_bad_input():
    with pytest.raises(ParameterError, match="parameter 'workers'"):
        cl.run_grid("gaussian", workers=0, **GRID)
    with pytest.raises(ParameterError, match="parameter 'workflow'"):
        cl.run_grid("gaussian", workflows=["collapse"], **GRID)
    with pytest.raises(ParameterError, match="parameter 'n' must be an integer >= 1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl.run_grid("gaussian", **{**GRID, "grid": {"n": [10, -1]}})
    with pytest.raises(ParameterError, match="grid parameter 'n' has no values"):
        cl.run_grid("gaussian", **{**GRID, "grid": {"n": []}})
    with pytest.raises(ParameterError, match="every one of the 4 cells of the grid was skipped"):
        cl.run_grid("gaussian", skip=lambda cell: True, **GRID)
    with pytest.raises(ParameterError, match="parameter 'progress' must be True or False"):
        cl.run_grid("gaussian", **{**GRID, "progress": "yes"})
    with pytest.raises(ParameterError, match="unknown parameter.*'dd'.*did you mean 'd'"):
        cl.run_grid("gaussian", **{**GRID, "grid": {"dd": [1]}})


def test_a_workflow_name_is_one_workflow_and_numpy_values_are_accepted():
    one = cl.run_grid("gaussian", workflows="replace", **{**GRID, "grid": {"d": np.array([1, 3]), "n": np.int64(10)}})
    assert set(one.workflow) == {"replace"} and sorted(set(one.d)) == [1, 3]
    assert isinstance(one.attrs["cached"], list)
    with pytest.raises(ParameterError, match="parameter 'workflows'"):
        cl.run_grid("gaussian", workflows=[], **GRID)


def test_every_cell_is_checked_before_any_runs(tmp_path, monkeypatch):
    calls = []
    real = S.run_arrays
    monkeypatch.setattr("collapse_lib.grid.run_arrays", lambda *a, **k: calls.append(a) or real(*a, **k))
    with pytest.raises(ParameterError, match=r"parameter 'n' must be >= 2.*grid cell: workflow 'replace', d=1, n=1"):
        cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "grid": {"d": [1], "n": [10, 20, 1]}})
    assert calls == [] and not list(tmp_path.rglob("*.parquet"))


def test_a_failing_cell_is_named_and_the_finished_ones_are_stored(tmp_path, monkeypatch):
    workers = 1  # in this process (tests/test_distributed.py fails a task on a cluster)
    real = S.run_arrays

    def flaky(spec, workflow, T, seeds, params, options, progress=False):
        if params["n"] == 20 and workflow == "accumulate":
            raise FloatingPointError("boom")
        return real(spec, workflow, T, seeds, params, options, progress)

    monkeypatch.setattr("collapse_lib.grid.run_arrays", flaky)
    grid = {**GRID, "grid": {"d": [1], "n": [10, 20]}}
    with pytest.raises(GridCellError, match=r"workflow 'accumulate', cell \(d=1, n=20\) failed: FloatingPointError"):
        cl.run_grid("gaussian", cache_dir=tmp_path, workers=workers, **grid)
    stored = {(e.meta["request"]["workflow"], e.meta["request"]["params"]["n"]) for e in Store(tmp_path).entries()}
    assert ("replace", 10) in stored and ("accumulate", 10) in stored and ("accumulate", 20) not in stored
    if workers == 1:  # sequential: everything before the failing unit is stored
        assert stored == {("replace", 10), ("accumulate-subsample", 10), ("accumulate", 10),
                          ("replace", 20), ("accumulate-subsample", 20)}
    monkeypatch.setattr("collapse_lib.grid.run_arrays", real)
    again = cl.run_grid("gaussian", cache_dir=tmp_path, workers=workers, **grid)
    assert len(again.attrs["cached"]) == len(stored)
    pd.testing.assert_frame_equal(again, cl.run_grid("gaussian", **grid))


def test_simulate_refuses_bad_input_naming_the_parameter():
    base = dict(n_generations=3, seeds=2, d=1, n=10)
    with pytest.raises(ParameterError, match="parameter 'seeds'.*2\\*\\*63"):
        cl.simulate("gaussian", "replace", **{**base, "seeds": [2**64]})
    with pytest.raises(ParameterError, match="parameter 'progress' must be True or False"):
        cl.simulate("gaussian", "replace", progress=1, **base)
    with pytest.raises(ParameterError, match=r"sigma2=1e\+308\) overflow double precision"):
        cl.simulate("gaussian", "replace", sigma2=1e308, **base)
    with pytest.raises(ParameterError, match="overflow"):
        cl.simulate("linear_regression", "replace", n_generations=3, seeds=1, d=2, n=10, sigma2=1e308)
    with pytest.raises(ParameterError, match="unknown parameter.*'sigma'.*did you mean 'sigma2'"):
        cl.simulate("gaussian", "replace", sigma=2.0, **base)


def test_a_run_that_cannot_fit_in_memory_fails_at_once_with_the_estimate(monkeypatch):
    with pytest.raises(ParameterError, match=r"needs about [\d.]+ GiB of memory"):
        cl.simulate("gaussian", "accumulate-subsample", n_generations=10**6, seeds=10**4, d=100, n=1000)
    monkeypatch.setattr(S, "available_memory", lambda: 1e6)
    with pytest.raises(ParameterError, match="Lower 'n_generations', 'seeds'"):
        cl.simulate("kde", "accumulate", n_generations=100, seeds=100, n=1000)
    need = S.memory_estimate(cl.get_setting("kde"), "accumulate", 100, 100,
                             cl.check_params("kde", {"n": 1000}))
    assert 1e7 < need < 1e10


def test_discrete_accumulate_subsample_limit_is_refused_up_front():
    with pytest.raises(ParameterError, match="fewer than 10\\^9.*'n' or\\s+'n_generations'"):
        cl.simulate("discrete", "accumulate-subsample", n_generations=200, seeds=1, n=10**7, k=2)
    # Replace and Accumulate keep only counts: no such limit
    frame = cl.simulate("discrete", "replace", n_generations=200, seeds=1, n=10**7, k=2)
    assert len(frame) == 200
