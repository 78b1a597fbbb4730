"""The result store: Parquet with provenance, keyed by the code, never trusted blindly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import collapse_lib as cl
from collapse_lib import registry, store
from collapse_lib.store import Store, StoreWarning
from collapse_lib.validation import ParameterError

ROOT = Path(__file__).resolve().parent.parent
GRID = dict(grid={"d": [1, 3], "n": [10, 20]}, n_generations=4, seeds=3, progress=False)


def files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def test_one_parquet_file_per_unit_with_its_provenance(tmp_path):
    first = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    stored = files(tmp_path)
    assert len(stored) == 2 * 2 * 3 and all(f.parent.name == "gaussian" for f in stored)
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob(".*.tmp"))
    meta = json.loads(pq.read_schema(stored[0]).metadata[b"collapse_lib"])
    assert set(meta) >= {"request", "fingerprint", "versions", "seconds", "created", "rows"}
    assert meta["fingerprint"] == cl.fingerprint("gaussian")
    assert meta["request"]["params"]["sigma2"] == 1.0 and meta["request"]["seeds"] == [0, 1, 2]
    assert {"collapse_lib", "numpy", "pandas", "pyarrow", "python"} <= set(meta["versions"])
    stamps = [f.stat().st_mtime_ns for f in stored]
    again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs["cached"] == [] and len(again.attrs["cached"]) == 12
    assert again.attrs["cached"][0] == {"workflow": "replace", "d": 1, "n": 10}
    assert [f.stat().st_mtime_ns for f in files(tmp_path)] == stamps  # read, not rewritten
    cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "seeds": 4})
    assert len(files(tmp_path)) == 24


@pytest.mark.parametrize("damage", ["truncate", "empty_frame", "other_arguments", "garbage", "tampered_rows"])
def test_a_damaged_file_is_named_recomputed_and_rewritten(tmp_path, damage):
    fresh = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    target = files(tmp_path)[0]
    table = pq.read_table(target)
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "garbage":
        target.write_bytes(b"\x80\x04 not a parquet file")
    elif damage == "empty_frame":
        pq.write_table(table.slice(0, 0), target)
    elif damage == "tampered_rows":
        pq.write_table(table.slice(0, 5), target)
    else:  # the metadata of another run under this file's name
        meta = json.loads(table.schema.metadata[b"collapse_lib"])
        meta["request"]["params"]["sigma2"] = 2.0
        pq.write_table(table.replace_schema_metadata({b"collapse_lib": json.dumps(meta).encode()}), target)
    with pytest.warns(StoreWarning, match=str(target.name)) as record:
        again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    reason = str(record[0].message)
    expected = {"truncate": "unreadable", "garbage": "unreadable", "empty_frame": "wrong shape",
                "tampered_rows": "wrong shape", "other_arguments": "arguments differ"}[damage]
    assert expected in reason
    pd.testing.assert_frame_equal(fresh, again)
    assert len(again.attrs["cached"]) == 11
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)  # rewritten: read cleanly now
        assert len(cl.run_grid("gaussian", cache_dir=tmp_path, **GRID).attrs["cached"]) == 12


def test_a_change_to_a_setting_makes_only_its_results_stale(tmp_path, monkeypatch):
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    cl.run_grid("discrete", grid={"n": [10]}, n_generations=3, seeds=2, cache_dir=tmp_path, progress=False)
    before = {name: cl.fingerprint(name) for name in cl.SETTINGS}
    real = registry.source_digest

    def edited(modules):  # as if collapse_lib/settings/gaussian/model.py had been edited
        digest = real(modules)
        return digest + "-edited" if "collapse_lib.settings.gaussian.model" in modules else digest

    monkeypatch.setattr(registry, "source_digest", edited)
    registry._fingerprint.cache_clear()
    after = {name: cl.fingerprint(name) for name in cl.SETTINGS}
    assert after["gaussian"] != before["gaussian"]
    assert all(after[k] == before[k] for k in cl.SETTINGS if k != "gaussian")
    again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    assert again.attrs["cached"] == []  # the old numbers are not served
    states = {(e.setting, e.stale()) for e in Store(tmp_path).entries()}
    assert states == {("gaussian", True), ("gaussian", False), ("discrete", False)}
    gone = Store(tmp_path).prune()
    assert len(gone) == 12 and all(not e.stale() for e in Store(tmp_path).entries())
    registry._fingerprint.cache_clear()


def test_fingerprints_follow_the_code_that_makes_the_numbers():
    mods = registry.source_modules("gaussian")
    assert "collapse_lib.settings.gaussian.model" in mods and "collapse_lib.workflows" in mods
    assert "collapse_lib.simulate" in mods
    for name in cl.SETTINGS:
        used = registry.source_modules(name)
        assert not {"collapse_lib.plotting", "collapse_lib.notebooks",
                    "collapse_lib.store", "collapse_lib.grid", "collapse_lib.settings"} & set(used), name
    assert "collapse_lib.settings.lm.model" in registry.source_modules("lm")
    assert len({cl.fingerprint(name) for name in cl.SETTINGS}) == len(cl.SETTINGS)


def test_default_location_is_the_repository_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert store.default_location() == ROOT / "_cache"
    assert store.location(False) is None
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "elsewhere"))
    assert store.default_location() == tmp_path / "elsewhere"
    assert Store().root == tmp_path / "elsewhere"


def test_cache_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ParameterError, match="parameter 'cache_dir' must be a folder"):
        cl.run_grid("gaussian", cache_dir=target, **GRID)


def test_the_command_line_lists_verifies_and_prunes(tmp_path):
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    env = {**os.environ, store.STORE_ENV: str(tmp_path)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "collapse_lib.store", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path)

    listed = run()
    assert listed.returncode == 0 and "12 file(s): 12 current, 0 stale, 0 broken" in listed.stdout
    assert "gaussian" in listed.stdout and "d=3, n=20" in listed.stdout
    assert run("--verify").returncode == 0
    bad = files(tmp_path)[3]
    bad.write_bytes(b"garbage")
    verified = run("--verify")
    assert verified.returncode == 1 and bad.name in verified.stdout
    assert "1 broken" in run().stdout
    pruned = run("--prune")
    assert pruned.returncode == 0 and "removed 1" in pruned.stdout
    assert len(files(tmp_path)) == 11


def test_list_columns_round_trip(tmp_path):
    frame = pd.DataFrame({"setting": "lm", "workflow": "replace", "seed": [0, 0], "generation": [1, 2],
                          "samples": [("a", "b"), ()], "test_loss": [4.0, 4.5]})
    st = Store(tmp_path)
    request = Store.request("lm", "replace", 2, [0], {"n": 2}, {})
    st.write(request, "abc", frame, 1.0)
    back = st.read(request, "abc", ("test_loss",))
    assert back is not None and list(back.samples) == [("a", "b"), ()]
    pd.testing.assert_frame_equal(back.drop(columns="samples"), frame.drop(columns="samples"),
                                  check_dtype=False)


def test_no_pickle_anywhere_in_the_project():
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in tracked:
        text = (ROOT / name).read_text()
        if name == "tests/test_store.py":
            continue
        for needle in ("import pickle", "read_pickle", "to_pickle", "pickle.load", "cloudpickle", ".pkl"):
            assert needle not in text, f"{name}: {needle}"
