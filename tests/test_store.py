"""The result store: Parquet with provenance, keyed by the code, never trusted blindly; it
deletes nothing it did not write, serves nothing tampered, and loses nothing computed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import collapse_lib as cl
from collapse_lib import files, registry, store
from collapse_lib.files import UnsafeTargetError, atomic_write
from collapse_lib.store import Store, StoreWarning
from collapse_lib.validation import ParameterError

ROOT = Path(__file__).resolve().parent.parent
GRID = dict(grid={"d": [1, 3], "n": [10, 20]}, n_generations=4, seeds=3, progress=False)


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def cli(*args: str, root: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collapse_lib.store", "--root", str(root), *args],
                          capture_output=True, text=True, cwd=root, input=stdin)


def rewrite(path: Path, change) -> None:
    """Rewrite a stored file with ``change(frame)`` applied, its metadata kept as it was."""
    table = pq.read_table(path)
    frame = table.to_pandas()
    change(frame)

    new = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(new.replace_schema_metadata(table.schema.metadata), path)


def test_one_parquet_file_per_unit_with_its_provenance(tmp_path):
    first = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    stored = files_in(tmp_path)
    assert len(stored) == 2 * 2 * 3 and all(f.parent.name == "gaussian" for f in stored)
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob(".*.tmp"))
    assert not list(tmp_path.rglob(".*.lock")), "a finished unit leaves no lock file"
    meta = json.loads(pq.read_schema(stored[0]).metadata[b"collapse_lib"])
    assert set(meta) >= {"request", "fingerprint", "digest", "versions", "seconds", "created", "rows", "format"}
    assert meta["fingerprint"] == cl.fingerprint("gaussian") and meta["format"] == 2
    assert meta["request"]["params"]["sigma2"] == 1.0 and meta["request"]["seeds"] == [0, 1, 2]
    assert {"collapse_lib", "numpy", "pandas", "pyarrow", "python"} <= set(meta["versions"])
    stamps = [f.stat().st_mtime_ns for f in stored]
    again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs["cached"] == [] and len(again.attrs["cached"]) == 12
    assert again.attrs["cached"][0] == {"workflow": "replace", "d": 1, "n": 10}
    assert [f.stat().st_mtime_ns for f in files_in(tmp_path)] == stamps  # read, not rewritten
    cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "seeds": 4})
    assert len(files_in(tmp_path)) == 24


@pytest.mark.parametrize("damage", ["truncate", "empty_frame", "other_arguments", "garbage", "tampered_rows",
                                    "tampered_number", "flipped_byte", "metric_inf", "metric_strings",
                                    "dropped_metric"])
def test_a_damaged_file_is_named_recomputed_and_rewritten(tmp_path, damage):
    fresh = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    target = files_in(tmp_path)[0]
    table = pq.read_table(target)
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "garbage":
        target.write_bytes(b"\x80\x04 not a parquet file")
    elif damage == "empty_frame":
        pq.write_table(table.slice(0, 0), target)
    elif damage == "tampered_rows":
        pq.write_table(table.slice(0, 5), target)
    elif damage == "tampered_number":
        rewrite(target, lambda f: f.__setitem__("mean_sq_error", f["mean_sq_error"] * (1 + 1e-12)))
    elif damage == "metric_inf":
        rewrite(target, lambda f: f.__setitem__("mean_sq_error", np.inf))
    elif damage == "metric_strings":
        rewrite(target, lambda f: f.__setitem__("mean_sq_error", "0.5"))
    elif damage == "dropped_metric":
        rewrite(target, lambda f: f.pop("cov_trace_ratio"))
    elif damage == "flipped_byte":  # one bit of one stored number, inside a data page
        value = table.column("mean_sq_error").to_numpy()[5]
        raw = bytearray(target.read_bytes())
        at = raw.find(np.float64(value).tobytes())
        assert at > 0, "the number is not stored as plain bytes"
        raw[at] ^= 0x01
        target.write_bytes(bytes(raw))
    else:  # the metadata of another run under this file's name
        meta = json.loads(table.schema.metadata[b"collapse_lib"])
        meta["request"]["params"]["sigma2"] = 2.0
        pq.write_table(table.replace_schema_metadata({b"collapse_lib": json.dumps(meta).encode()}), target)
    assert Store(tmp_path).verify(), f"--verify passes a file with a {damage}"
    with pytest.warns(StoreWarning, match=str(target.name)) as record:
        again = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    reason = str(record[0].message)
    expected = {"truncate": "unreadable", "garbage": "unreadable", "other_arguments": "arguments differ"}
    assert expected.get(damage, "content hash") in reason
    pd.testing.assert_frame_equal(fresh, again)
    assert len(again.attrs["cached"]) == 11
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)  # rewritten: read cleanly now
        assert len(cl.run_grid("gaussian", cache_dir=tmp_path, **GRID).attrs["cached"]) == 12
    assert Store(tmp_path).verify() == []


def test_values_are_checked_even_when_the_hash_matches(tmp_path):
    """A forged file (its hash recomputed) with a metric that is not a finite number, and a
    file filed under another key, are still refused."""
    st = Store(tmp_path)
    frame = cl.simulate("gaussian", "replace", n_generations=3, seeds=2, d=1, n=10)
    code = cl.fingerprint("gaussian")
    request = Store.request("gaussian", "replace", 3, [0, 1], cl.check_params("gaussian", {"d": 1, "n": 10}),
                            {"real_mix": 0.0, "fresh_real": False})
    st.write(request, code, frame.assign(mean_sq_error=np.inf), 1.0)
    with pytest.warns(StoreWarning, match="metric 'mean_sq_error' is inf at seed 0, generation 1"):
        assert st.read(request, code, cl.get_setting("gaussian").metrics) is None
    st.write(request, code, frame.assign(cov_logdet_ratio=np.nan), 1.0)  # this one may be NaN
    assert st.read(request, code, cl.get_setting("gaussian").metrics) is not None
    path = st.path(request, code)
    path.rename(path.with_name("replace-0123456789abcdef0123.parquet"))  # copied under another key
    (problem,) = st.verify()
    assert "another key" in problem[1]


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


def test_an_older_store_format_is_stale_not_broken(tmp_path):
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    target = files_in(tmp_path)[0]
    table = pq.read_table(target)
    meta = json.loads(table.schema.metadata[b"collapse_lib"])
    meta["format"] = 1
    del meta["digest"]
    pq.write_table(table.replace_schema_metadata({b"collapse_lib": json.dumps(meta).encode()}), target)
    assert Store(tmp_path).verify() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)  # recomputed without a word, like a code change
        assert cl.run_grid("gaussian", cache_dir=tmp_path, **GRID).attrs["computed"] == 1


def _project(tmp_path: Path) -> tuple[Path, dict[Path, bytes]]:
    """A user's project folder used as a store: results of the store beside files it did not write."""
    project = tmp_path / "project"
    foreign = {
        project / "data" / "measurements.parquet": None,
        project / "results.parquet": None,
        project / ".notes.txt.tmp": b"notes",
        project / ".cache" / ".session.tmp": b"session",
        project / "gaussian" / "notes.parquet": None,  # in a setting folder, but not named as an entry
        project / "gaussian" / "replace-0123456789abcdef0123.parquet": None,  # named like one, no metadata
        project / "gaussian" / ".replace-0123456789abcdef0123.parquet.x1.tmp.keep": b"keep",
        project / "lm-bases" / "base-0123" / "model.safetensors": b"weights",
    }
    for path, content in foreign.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(path)
        else:
            path.write_bytes(content)
    old = time.time() - 2 * 86400
    for path in foreign:
        os.utime(path, (old, old))
    return project, {p: p.read_bytes() for p in foreign}


def test_prune_deletes_only_what_the_store_wrote(tmp_path):
    project, foreign = _project(tmp_path)
    cl.run_grid("gaussian", cache_dir=project, **GRID)
    current = [e.path for e in Store(project).entries() if not e.foreign]
    frame = cl.simulate("gaussian", "replace", n_generations=2, seeds=1, d=1, n=10)
    st = Store(project)
    stale = [st.write(Store.request("gaussian", "replace", 2, [0], {"d": 1, "n": 10, "sigma2": 1.0 + i}, {}),
                      "code-of-an-older-version", frame, 1.0) for i in range(5)]
    listed = cli("--prune", "--dry-run", root=project)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("would delete") == 5 and "nothing deleted" in listed.stdout
    assert "8 file(s) or folder(s) not written by the store are left alone" in listed.stdout
    refused = cli("--prune", root=project, stdin="")  # not a terminal, no --yes
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    assert all(p.exists() for p in stale)
    done = cli("--prune", "--yes", root=project)
    assert done.returncode == 0 and "deleted 5" in done.stdout, done.stdout + done.stderr
    assert done.stderr == "", done.stderr
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == content for p, content in foreign.items()), "a foreign file was touched"
    assert len(current) == 12 and all(p.exists() for p in current)


def test_prune_spares_a_write_in_progress_and_removes_what_a_dead_run_left(tmp_path):
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    entry = files_in(tmp_path)[0]
    young = entry.with_name(f".{entry.name}.a1b2c3.tmp")
    locked = entry.with_name(f".{entry.name}.d4e5f6.tmp")
    left = files_in(tmp_path)[1].with_name(f".{files_in(tmp_path)[1].name}.g7h8i9.tmp")
    for path in (young, locked, left):
        path.write_bytes(b"half a parquet file")
    old = time.time() - 2 * store.LEFTOVER_AGE
    for path in (locked, left):
        os.utime(path, (old, old))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
        "print('held', flush=True); sys.stdin.read()"), str(entry.with_name(f".{entry.name}.lock"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"  # another process writes this unit now
        plan = {p for p, _ in Store(tmp_path).prune_plan()}
        assert plan == {left}
        assert Store(tmp_path).prune() == [left]
    finally:
        holder.kill()
        holder.wait()
    assert young.exists() and locked.exists()
    assert {p for p, _ in Store(tmp_path).prune_plan()} == {locked}  # its process died: a leftover now


def test_a_store_that_cannot_be_written_returns_the_full_frame_with_one_warning(tmp_path, monkeypatch):
    expected = cl.run_grid("gaussian", **GRID)
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    probe = readonly / "probe"
    try:
        probe.write_text("x")  # root writes anyway: fail the store's writes as a read-only mount does
        probe.unlink()

        def refuse(*args, **kwargs):
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
        monkeypatch.setattr(store.UnitLock, "acquire", lambda self, wait=False: True)
    except PermissionError:
        pass
    try:
        with pytest.warns(StoreWarning) as record:
            frame = cl.run_grid("gaussian", cache_dir=readonly, **GRID)
    finally:
        readonly.chmod(0o755)
    messages = [str(w.message) for w in record if issubclass(w.category, StoreWarning)]
    assert len(messages) == 1 and str(readonly) in messages[0] and "cannot write" in messages[0]
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected)
    assert frame.attrs["computed"] == 12


def test_a_folder_in_the_way_of_an_entry_loses_nothing(tmp_path):
    expected = cl.run_grid("gaussian", **GRID)
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    target = files_in(tmp_path)[0]
    target.unlink()
    target.mkdir()  # a folder where the entry goes
    with pytest.warns(StoreWarning, match=f"cannot write.*{target.name} is a folder"):
        frame = cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    pd.testing.assert_frame_equal(frame, expected)
    assert target.is_dir() and frame.attrs["computed"] == 1


def test_atomic_write_refuses_what_is_not_a_regular_file(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    called = []
    for target, kind in ((folder, "a folder"), (fifo, "a fifo"), (Path("/dev/full"), "a character device"),
                         (tmp_path / "file" / "below", "is a file, not a folder")):
        if target.name == "below":
            (tmp_path / "file").write_text("x")
        with pytest.raises(UnsafeTargetError, match=kind):
            atomic_write(target, lambda tmp: called.append(tmp))
    assert called == [] and stat.S_ISCHR(os.stat("/dev/full").st_mode) and folder.is_dir()
    link = tmp_path / "link.txt"
    (tmp_path / "real.txt").write_text("old")
    link.symlink_to(tmp_path / "real.txt")
    atomic_write(link, lambda tmp: tmp.write_text("new"))
    assert link.is_symlink() and (tmp_path / "real.txt").read_text() == "new"


def test_files_are_created_with_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "grid": {"d": [1], "n": [10]}})
        atomic_write(tmp_path / "note.txt", lambda tmp: tmp.write_text("x"))
        folder = atomic_write(tmp_path / "folder", lambda tmp: (tmp / "f").write_text("x"), directory=True)
    finally:
        os.umask(old)
    for path in [*files_in(tmp_path), tmp_path / "note.txt"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o664, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o775


CONCURRENT = """
import sys, time
from pathlib import Path
import collapse_lib as cl
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.01)
frame = cl.run_grid("kde", grid={"n": [40, 60]}, fixed={"n_test": 300}, n_generations=30, seeds=12,
                    seeds_per_task=1, cache_dir=sys.argv[1], progress=False)
frame.to_parquet(sys.argv[3])
print(frame.attrs["computed"], frame.attrs["shared"], frame.attrs["tasks"])
"""


def test_two_processes_on_one_store_compute_each_task_once(tmp_path):
    store_dir, start = tmp_path / "store", tmp_path / "start"
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(store_dir), str(start), str(tmp_path / f"{i}.pq")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    time.sleep(3)  # both have imported the library and wait at the start line
    start.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    counts = [tuple(map(int, o[0].split())) for o in outs]
    tasks = counts[0][2]
    assert tasks == 72 and sum(c[0] for c in counts) == tasks, counts  # each task computed once
    first, second = (pd.read_parquet(tmp_path / f"{i}.pq") for i in range(2))
    pd.testing.assert_frame_equal(first, second)
    assert len(files_in(store_dir)) == tasks and not list(store_dir.rglob(".*.lock"))


def test_a_lock_left_by_a_killed_process_blocks_nothing(tmp_path):
    request = Store.request("gaussian", "replace", 4, [0, 1, 2], cl.check_params("gaussian", {"d": 1, "n": 10}),
                            {"real_mix": 0.0, "fresh_real": False})
    lock = Store(tmp_path).lock(request, cl.fingerprint("gaussian"))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
        "print('held', flush=True); "
        "time.sleep(600)"), str(lock.path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert lock.busy()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    started = time.perf_counter()
    frame = cl.run_grid("gaussian", cache_dir=tmp_path, **{**GRID, "grid": {"d": [1], "n": [10]}})
    assert frame.attrs["computed"] == 3 and time.perf_counter() - started < 30


def test_fingerprints_follow_the_code_that_makes_the_numbers():
    mods = registry.source_modules("gaussian")
    assert "collapse_lib.settings.gaussian.model" in mods and "collapse_lib.workflows" in mods
    assert "collapse_lib.simulate" in mods
    for name in cl.SETTINGS:
        used = registry.source_modules(name)
        assert not {"collapse_lib.plotting", "collapse_lib.notebooks",
                    "collapse_lib.store", "collapse_lib.grid", "collapse_lib.settings",
                    f"collapse_lib.settings.{name}.cost"} & set(used), name
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


def test_cache_dir_that_is_a_file_or_not_a_path_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ParameterError, match="parameter 'cache_dir' must be a folder"):
        cl.run_grid("gaussian", cache_dir=target, **GRID)
    with pytest.raises(ParameterError, match=r"parameter 'cache_dir' must be a folder \(a str or a path\).*got 123"):
        cl.run_grid("gaussian", cache_dir=123, **GRID)


def test_the_command_line_lists_verifies_and_prunes(tmp_path):
    cl.run_grid("gaussian", cache_dir=tmp_path, **GRID)
    listed = cli(root=tmp_path)
    assert listed.returncode == 0 and "12 file(s): 12 current, 0 stale, 0 broken" in listed.stdout
    assert "gaussian" in listed.stdout and "d=3, n=20" in listed.stdout
    assert cli("--verify", root=tmp_path).returncode == 0
    bad = files_in(tmp_path)[3]
    bad.write_bytes(b"garbage")
    verified = cli("--verify", root=tmp_path)
    assert verified.returncode == 1 and bad.name in verified.stdout
    assert "1 broken" in cli(root=tmp_path).stdout
    pruned = cli("--prune", "--yes", root=tmp_path)
    assert pruned.returncode == 0 and "deleted 1" in pruned.stdout
    assert len(files_in(tmp_path)) == 11
    assert cli("--dry-run", root=tmp_path).returncode == 2  # --dry-run goes with --prune


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
