"""The grid runner: cache reuse, atomic writes, parallel workers give the same frame."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import collapse_lib as cl
from collapse_lib.validation import ParameterError

GRID = dict(grid={"d": [1, 3], "n": [10, 20]}, n_generations=4, seeds=3, progress=False)


def test_cache_is_reused_and_written_atomically(tmp_path):
    first = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2 * 2 * 3 and all(f.suffix == ".pkl" for f in files)
    stamps = [f.stat().st_mtime_ns for f in files]
    again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs["cached"] == [] and len(again.attrs["cached"]) == 12
    assert again.attrs["cached"][0] == {"workflow": "replace", "d": 1, "n": 10}
    assert [f.stat().st_mtime_ns for f in sorted(tmp_path.iterdir())] == stamps  # read, not rewritten
    other = cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "seeds": 4})
    assert len(list(tmp_path.iterdir())) == 24 and other.seed.nunique() == 4


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
