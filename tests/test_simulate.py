"""simulate and the grid runner: every cell checked first, nothing finished is lost, bad
input refused at once with the parameter named."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

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


# --- every crash of a careless call is a clear error, raised before any work ---------------

@pytest.mark.parametrize("call, pattern", [
    (lambda: cl.simulate("gaussian", "replace", n_generations=2, seeds=10**12),
     r"parameter 'seeds' must be at most 10,000,000 seeds in one call; got 1,000,000,000,000"),
    (lambda: cl.simulate("gaussian", "replace", n_generations=2, seeds=2**63), r"parameter 'seeds' must be at most"),
    (lambda: cl.simulate("gaussian", "replace", n_generations=2, seeds=range(2**64)), "at most 10,000,000 seeds"),
    (lambda: cl.simulate("kde", "replace", n_generations=2, seeds=1, h=1e-300),
     r"parameter 'h' must be a float >= 1e-150"),
    (lambda: cl.run_grid("gaussian", scheduler="not-an-address", **GRID),
     r"parameter 'scheduler' must be the address of a Dask scheduler such as 'tcp://host:8786'"),
    (lambda: cl.run_grid("gaussian", skip="x", **GRID), r"parameter 'skip' must be a function"),
    (lambda: cl.run_grid("gaussian", fixed={"seeds": 5}, **GRID),
     r"parameter 'fixed' names 'seeds', an argument of run_grid itself"),
    (lambda: cl.run_grid("gaussian", **{**GRID, "grid": {"n_generations": [2]}}),
     r"parameter 'grid' names 'n_generations'"),
    (lambda: cl.run_grid("gaussian", workflows=["replace", "replace"], **GRID),
     r"parameter 'workflows' repeats the value 'replace'"),
    (lambda: cl.run_grid("gaussian", **{**GRID, "grid": {"n": [10, 10]}}), r"grid parameter 'n' repeats the value 10"),
    (lambda: cl.run_grid("gaussian", fixed={"n": 20}, **GRID),
     r"parameter\(s\) 'n' given both in 'fixed' and in 'grid'"),
    (lambda: cl.run_grid("gaussian", fixed=[("n", 2)], **GRID), r"parameter 'fixed' must be a mapping"),
])
def test_careless_calls_fail_at_once_naming_the_parameter(call, pattern, monkeypatch):
    calls = []
    monkeypatch.setattr("collapse_lib.grid.run_arrays", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(S, "run_arrays", lambda *a, **k: calls.append(a))
    with pytest.raises(ParameterError, match=pattern):
        call()
    assert calls == []


def test_a_long_run_says_so_and_a_very_long_one_needs_allow_long(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("COLLAPSE_ALLOW_LONG", raising=False)
    # the paper's language model at T = 1000 x 100 seeds: weeks here, refused before anything runs
    with pytest.raises(ParameterError, match=r"setting 'lm'.*about [\d.]+ days of computing.*allow_long=True"):
        cl.simulate("lm", "replace", n_generations=1000, seeds=100, device="cpu")
    with pytest.raises(ParameterError, match=r"1 task\(s\) to compute.*about [\d.]+ days.*allow_long=True"):
        cl.run_grid("lm", workflows="replace", grid={}, fixed={"device": "cpu"}, n_generations=1000, seeds=100,
                    seeds_per_task=100, progress=False)
    # a cheap grid made to look long: announced (output and progress bar), and run when allowed
    monkeypatch.setattr("collapse_lib.grid.time_estimate", lambda *a: 1200.0)
    frame = cl.run_grid("gaussian", **{**GRID, "progress": True, "grid": {"n": [10]}})
    out, err = capsys.readouterr()
    assert "setting 'gaussian': 3 task(s) to compute in this process: about 60 min of computing" in out
    assert "gaussian (about 60 min)" in err and len(frame) == 3 * 3 * 4
    monkeypatch.setattr("collapse_lib.grid.time_estimate", lambda *a: 5 * 3600.0 / 12)
    with pytest.raises(ParameterError, match="12 task.*about 5 h of computing"):
        cl.run_grid("gaussian", **GRID)
    assert len(cl.run_grid("gaussian", allow_long=True, **GRID)) == 4 * 3 * 3 * 4
    monkeypatch.setenv("COLLAPSE_ALLOW_LONG", "1")
    assert len(cl.run_grid("gaussian", **GRID)) == 4 * 3 * 3 * 4


def test_the_cost_tables_estimate_within_a_factor_of_a_few():
    """The estimates printed before long runs, against a measured run of each fast setting
    (a busy machine runs slower: the bound is loose on that side)."""
    import time as _time

    cases = [("gaussian", "accumulate-subsample", 40, dict(d=10, n=100)), ("kde", "replace", 4, dict(n=200)),
             ("linear_regression", "replace", 200, dict(d=20, n=500)),
             ("discrete", "accumulate", 200, dict(k=300, n=100))]
    for name, workflow, seeds, params in cases:
        spec = cl.get_setting(name)
        cl.simulate(name, workflow, n_generations=2, seeds=1, **params)
        started = _time.perf_counter()
        cl.simulate(name, workflow, n_generations=60, seeds=seeds, **params)
        took = _time.perf_counter() - started
        guess = S.time_estimate(spec, workflow, 60, seeds, cl.check_params(name, params))
        assert took / 4 < guess < 3 * took, (name, guess, took)


def test_a_job_is_a_named_record_that_travels_by_setting_name():
    from collapse_lib.grid import Job

    spec = cl.get_setting("lm")
    job = Job(spec, "replace", 2, (0, 1), {"device": "cuda"}, {}, False)
    rebuild, args = job.__reduce__()  # what a Dask worker receives: the setting's name, not its code
    assert args[0] == "lm" and not any(isinstance(a, type(spec)) for a in args)
    back = rebuild(*args)
    assert back == job and back.setting is spec
    assert job.resources() == {"GPU": 1} and job.part([5]).seeds == (5,)
    assert Job(spec, "replace", 2, (0,), {"device": "cpu"}, {}).resources() is None
    assert cl.get_setting("gaussian").task_resources({"d": 1}) is None
    source = (Path(cl.__file__).parent / "grid.py").read_text()
    assert not any(f'"{name}"' in source for name in cl.SETTINGS), "grid.py tests a setting's name"


def test_kde_seeds_do_not_depend_on_the_seeds_beside_them():
    """The grid chunks seeds differently here and on a cluster: a seed's numbers must not
    depend on its batch (they did, in the last bits, before the shifted log-sum-exp was
    decided seed by seed)."""
    kw = dict(n_generations=200, dataset="circles", n=32, h=0.1)
    whole = cl.simulate("kde", "replace", seeds=range(12, 18), **kw)
    parts = pd.concat([cl.simulate("kde", "replace", seeds=range(i, i + 2), **kw) for i in range(12, 18, 2)],
                      ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts)


UNGUARDED = """
import collapse_lib as cl
cl.run_grid("gaussian", grid={"n": [10]}, n_generations=2, seeds=2, workers=2, progress=False)
"""
GUARDED = """
import collapse_lib as cl
from collapse_lib.grid import _unguarded_line

def main():
    print("unguarded:", _unguarded_line())

if __name__ == "__main__":
    main()
"""


def test_a_script_without_the_main_guard_is_told_why(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(UNGUARDED)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    assert ("starts a local cluster from line 3 of" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr
            and "Nanny failed" not in proc.stderr)
    script.write_text(GUARDED)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert "unguarded: None" in proc.stdout, proc.stderr
