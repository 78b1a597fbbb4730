"""The result store: every computed run, in Parquet, under a key that includes its code.

One file per stored unit (setting, workflow, cell, seeds), written atomically, holding the
tidy frame of that run and, in the Parquet metadata, everything that made it: the full
arguments, the setting's code fingerprint (:func:`collapse_lib.registry.fingerprint`), a
content hash of the data, the versions of the library and its key dependencies, the wall
time and the creation time.

* The key is a hash of the arguments *and* the fingerprint: after a change to a setting's
  code its old results are never read back (they become *stale*); a change to plotting or
  to a chapter changes no key.
* A file is never trusted blindly: one that cannot be read, whose recorded arguments
  differ from the request, whose numbers no longer match their content hash (a changed
  number, a flipped byte), whose shape is wrong, or whose metrics are not the finite
  numbers the setting promises, gives a :class:`StoreWarning` naming the file and the
  reason, and the run is recomputed and rewritten.
* The store owns only what it wrote: files named ``<setting>/<workflow>-<key>.parquet``
  directly inside the store folder, carrying its metadata. Maintenance (``--prune``) never
  touches anything else, and never a temporary file of a write in progress.
* A write that fails (a read-only store, a full disk, a folder in the way) warns once,
  naming the store and the reason; the run still returns everything it computed.
* Two processes on one store share the work: each unit is computed under a lock (one lock
  file per unit, :class:`UnitLock`), so the second process reads what the first wrote. A
  lock dies with the process that held it.
* Files and folders are created with the process's umask, like any other tool's (a store
  on a shared file system is readable by the group).
* The default location is ``_cache/`` at the repository root, whatever the working
  directory; the environment variable ``COLLAPSE_STORE`` points it elsewhere (a store
  computed on another machine can be copied or mounted there).

From the command line::

    python -m collapse_lib.store                    # list: setting, parameters, current or stale, size, age
    python -m collapse_lib.store --verify           # read every file back and check it (hash, shape, values)
    python -m collapse_lib.store --prune --dry-run  # what --prune would delete, and why
    python -m collapse_lib.store --prune            # show it, ask, delete stale and broken entries
    python -m collapse_lib.store --prune --yes      # the same without asking (scripts)

There is no pickle anywhere: a file in the store is data, never code.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import hashlib
import json
import math
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from .files import STORE_ENV, atomic_write, default_location, location
from .registry import SETTINGS, dependency_versions, fingerprint, get_setting
from .validation import ParameterError
from .version import __version__
from .workflows import WORKFLOWS

__all__ = ["STORE_ENV", "StoreWarning", "Store", "Entry", "UnitLock", "atomic_write", "default_location",
           "location", "canonical", "frame_digest", "table_digest", "read_file", "main"]

_META_KEY = b"collapse_lib"
#: Version of the file layout: 2 added the content hash. Files of an older format are
#: stale (never read back; recomputed, and removed by ``--prune``).
_FORMAT = 2
#: What the store writes, and nothing else: ``<setting>/<workflow>-<20 hex>.parquet``, its
#: temporary files ``.<name>.<random>.tmp`` and its unit locks ``.<name>.lock``.
_SETTING_DIR = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY = r"[a-z][a-z0-9_-]*-[0-9a-f]{20}\.parquet"
_ENTRY_NAME = re.compile(rf"^{_ENTRY}$")
_TEMP_NAME = re.compile(rf"^\.({_ENTRY})\.[A-Za-z0-9_]+\.tmp$")
_LOCK_NAME = re.compile(rf"^\.({_ENTRY})\.lock$")
#: A temporary file or a lock this old, whose unit no process holds, was left by a run that
#: died; younger ones may belong to a write in progress and are never touched.
LEFTOVER_AGE = 3600.0


class StoreWarning(UserWarning):
    """A stored file was not used (unreadable, other arguments, changed data, wrong shape):
    recomputed; or the store could not be written: the results are returned unstored."""


def canonical(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars and arrays, tuples, paths converted)."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [canonical(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot store a parameter of type {type(value).__name__}: {value!r}")


@functools.lru_cache(maxsize=64)
def _versions(setting: str) -> dict[str, str]:
    """Versions of what made a setting's numbers (looked up once per process: they cannot
    change while it runs)."""
    out = {"collapse_lib": __version__, "python": platform.python_version(), "pandas": pd.__version__}
    out["pyarrow"] = pa.__version__
    if setting in SETTINGS:
        out.update(dependency_versions(get_setting(setting)))
    return out


# --- the content hash ------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A cell of a column that is neither numbers nor strings, as JSON."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def table_digest(table: Any) -> str:
    """A SHA-256 hash of an Arrow table's column names and values (not its metadata): the same
    for the table written and the table read back, different after any change of a value."""
    digest = hashlib.sha256(f"{table.num_rows}\0".encode())
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            values = column.to_numpy()
            digest.update(f"\0{name}\0{values.dtype.str}\0".encode())
            digest.update(np.ascontiguousarray(values).view(np.uint8).tobytes())
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            values = column.to_pylist()
            digest.update(f"\0{name}\0str\0".encode())
            digest.update("\x1f".join("\x00" if v is None else v for v in values).encode("utf-8", "surrogatepass"))
        else:
            digest.update(f"\0{name}\0json\0".encode())
            digest.update(json.dumps([_plain(v) for v in column.to_pylist()], default=str).encode())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """:func:`table_digest` of ``frame`` as the store writes it."""
    return table_digest(pa.Table.from_pandas(_to_arrow_ready(frame), preserve_index=False))


# --- locks -------------------------------------------------------------------------------------

class UnitLock:
    """The lock of one stored unit, shared by every process that uses the store (a file
    ``.<name>.lock`` beside the entry, locked with :mod:`filelock`, which works on shared
    file systems). The operating system releases it when its process dies, so a killed
    run never blocks another."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: Any = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self, wait: bool = False) -> bool:
        """Take the lock; True when this process may compute the unit.

        Without ``wait``, False at once when another process holds it; with ``wait``, wait
        until it is released. Where no lock can be made (a read-only store, a file system
        without locks) this returns True: the unit is computed here, perhaps twice, with the
        same numbers.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.path, thread_local=False, preserve_lock_file=True, poll_interval=0.2)
            lock.acquire(timeout=-1 if wait else 0, blocking=wait)
        except Timeout:
            return False
        except (OSError, NotImplementedError):
            return True
        self._lock = lock
        return True

    def release(self, done: bool = False) -> None:
        """Release the lock; with ``done`` (the unit is stored) its file is removed first:
        whoever takes the lock afterwards finds the entry and computes nothing."""
        if self._lock is None:
            return
        try:
            if done:
                try:
                    self.path.unlink()
                except OSError:
                    pass
            self._lock.release()
        finally:
            self._lock = None

    def busy(self) -> bool:
        """Whether another process holds the lock now (without taking it)."""
        if not self.path.exists():
            return False
        if self.acquire(wait=False):
            self.release()
            return False
        return True


# --- entries -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One stored file and what its metadata says (None where it could not be read)."""

    path: Path
    meta: dict[str, Any] | None
    error: str = ""

    @property
    def setting(self) -> str:
        return str((self.meta or {}).get("request", {}).get("setting", "?"))

    @property
    def foreign(self) -> bool:
        """A readable Parquet file named like an entry that the store did not write (no
        collapse_lib metadata): never used, never deleted."""
        return self.meta is None and self.error == "no metadata"

    def stale(self) -> bool:
        """Whether the code that made it has changed since, it has an older format, or the
        file is broken."""
        if self.meta is None or self.setting not in SETTINGS or self.meta.get("format") != _FORMAT:
            return True
        return self.meta.get("fingerprint") != fingerprint(self.setting)

    def stale_reason(self) -> str:
        """Why a stale entry is stale, in words."""
        if (self.meta or {}).get("format") != _FORMAT:
            return f"stale: written by an older version of the store (format {(self.meta or {}).get('format')})"
        if self.setting not in SETTINGS:
            return f"stale: setting {self.setting!r} no longer exists"
        return "stale: made by code that has changed since"


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class Store:
    """A folder of Parquet results (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *, name: str = "cache_dir") -> None:
        if root is not None and not isinstance(root, str | os.PathLike):
            raise ParameterError(f"parameter '{name}' must be a folder (a str or a path) for the result store, "
                                 f"or None for no store; got {root!r} (type {type(root).__name__})")
        root = default_location() if root is None else Path(root).expanduser()
        if root.exists() and not root.is_dir():
            raise ParameterError(f"parameter '{name}' must be a folder for the result store; "
                                 f"{str(root)!r} is a file")
        self.root = root.resolve()
        self.write_error = ""
        self._planned: dict[Path, tuple[int, int, int] | None] = {}

    # --- keys ---------------------------------------------------------------------------------
    @staticmethod
    def request(  # noqa: PLR0917  (the six parts of a key, in the order the key lists them)
                setting: str, workflow: str, n_generations: int, seeds: list[int],
                params: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """The full arguments of one stored unit, as plain JSON."""
        return canonical({"setting": setting, "workflow": workflow, "n_generations": n_generations,
                          "seeds": list(seeds), "params": dict(params), "options": dict(options)})

    def path(self, request: Mapping[str, Any], fingerprint: str) -> Path:
        """Where the unit ``request`` made by code ``fingerprint`` is stored."""
        blob = json.dumps({"request": request, "fingerprint": fingerprint}, sort_keys=True)
        key = hashlib.sha256(blob.encode()).hexdigest()[:20]
        return self.root / request["setting"] / f"{request['workflow']}-{key}.parquet"

    def lock(self, request: Mapping[str, Any], fingerprint: str) -> UnitLock:
        """The lock of the unit ``request`` (not taken: see :meth:`UnitLock.acquire`)."""
        path = self.path(request, fingerprint)
        return UnitLock(path.with_name(f".{path.name}.lock"))

    # --- read and write -----------------------------------------------------------------------
    def read(self, request: Mapping[str, Any], fingerprint: str,
             metrics: tuple[str, ...] = ()) -> pd.DataFrame | None:
        """The stored frame of ``request``, or None (not stored, stale, or not usable: warned)."""
        path = self.path(request, fingerprint)
        if not path.exists():
            return None
        if not path.is_file():
            return self._reject(path, "it is not a file (a folder?)")
        try:
            frame, meta, digest = _read(path)
        except Exception as err:
            return self._reject(path, f"unreadable ({type(err).__name__}: {err})")
        if meta is None:
            return self._reject(path, "it carries no collapse_lib metadata")
        if meta.get("format") != _FORMAT:
            return None  # written by an older version of the store: stale, recomputed silently
        if meta.get("request") != request or meta.get("fingerprint") != fingerprint:
            diff = sorted(k for k in set(request) | set(meta.get("request") or {})
                          if (meta.get("request") or {}).get(k) != request.get(k))
            what = ", ".join(diff) or "fingerprint"
            return self._reject(path, f"its recorded arguments differ from the request ({what})")
        reason = _content_problem(frame, meta, digest, request, metrics)
        if reason:
            return self._reject(path, reason)
        return frame

    @staticmethod
    def _reject(path: Path, reason: str) -> None:
        warnings.warn(f"result store: {path}: {reason}; recomputing it", StoreWarning, stacklevel=4)
        return None

    def write(self, request: Mapping[str, Any], fingerprint: str, frame: pd.DataFrame,
              seconds: float) -> Path | None:
        """Store ``frame`` for ``request`` atomically, with its metadata and content hash.

        Returns the file, or None when the store cannot be written (read-only, full, a
        folder in the way): then a :class:`StoreWarning` names the store and the reason, the
        first time only (:attr:`write_error` keeps it), and the caller keeps its results.
        """
        path = self.path(request, fingerprint)
        table = pa.Table.from_pandas(_to_arrow_ready(frame), preserve_index=False)
        meta = {"format": _FORMAT, "request": dict(request), "fingerprint": fingerprint,
                "digest": table_digest(table), "versions": _versions(request["setting"]),
                "seconds": float(seconds), "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "rows": len(frame), "columns": list(map(str, frame.columns))}
        try:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                   _META_KEY: json.dumps(meta).encode()})
            return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        except OSError as err:
            if not self.write_error:
                self.write_error = f"{type(err).__name__}: {err}"
                warnings.warn(f"result store {self.root}: cannot write to it ({self.write_error}); every result "
                              "of this run is returned, but it is not stored (this is said once)",
                              StoreWarning, stacklevel=2)
            return None

    # --- inventory ----------------------------------------------------------------------------
    def _layout(self) -> Iterator[tuple[str, Path]]:
        """(kind, path) of every file directly in a setting folder of the store: ``entry``,
        ``temp``, ``lock`` (named as the store names them) or ``other``."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_symlink() or not folder.is_dir() or not _SETTING_DIR.match(folder.name):
                continue
            for path in sorted(folder.iterdir()):
                yield (self._kind(path) if path.is_file() else "other"), path

    def _kind(self, path: Path) -> str:
        """The kind :meth:`_layout` gives ``path`` (``""`` outside the store's layout)."""
        path = Path(path)
        if path.parent.parent != self.root or not _SETTING_DIR.match(path.parent.name) or path.is_symlink():
            return ""
        for kind, pattern in (("entry", _ENTRY_NAME), ("temp", _TEMP_NAME), ("lock", _LOCK_NAME)):
            if pattern.match(path.name):
                return kind
        return "other"

    def entries(self) -> Iterator[Entry]:
        """Every entry of the store with its metadata (read from the footer only): the files
        named ``<setting>/<workflow>-<key>.parquet`` directly in the store folder."""
        for kind, path in self._layout():
            if kind != "entry":
                continue
            try:
                raw = (pq.read_schema(path).metadata or {}).get(_META_KEY)
                yield Entry(path, json.loads(raw) if raw else None, "" if raw else "no metadata")
            except Exception as err:
                yield Entry(path, None, f"unreadable ({type(err).__name__}: {err})")

    def others(self) -> list[Path]:
        """Files in the store folder that the store did not write (left alone by every
        command), and folders it does not own (``lm-bases/`` and the like) as one item each."""
        out: list[Path] = []
        if not self.root.is_dir():
            return out
        for path in sorted(self.root.iterdir()):
            if not (path.is_dir() and not path.is_symlink() and _SETTING_DIR.match(path.name)):
                out.append(path)
        out.extend(path for kind, path in self._layout() if kind == "other")
        out.extend(e.path for e in self.entries() if e.foreign)
        return sorted(out)

    def check(self, entry: Entry) -> str:
        """What makes a (non-stale) entry unusable, ``""`` if nothing: the checks of
        :meth:`read` (every value against the content hash, the arguments against the
        file's key, the shape, the metrics' values)."""
        if entry.meta is None:
            return entry.error or "unreadable"
        meta = entry.meta
        request = meta.get("request") or {}
        try:
            if self.path(request, str(meta.get("fingerprint"))) != entry.path:
                return "stored under another key than its recorded arguments (copied or renamed?)"
        except (KeyError, TypeError):
            return "its metadata name no setting or workflow"
        try:
            frame, _, digest = _read(entry.path)
        except Exception as err:
            return f"unreadable ({type(err).__name__}: {err})"
        return _content_problem(frame, meta, digest, request, _metrics_of(request))

    def verify(self) -> list[tuple[Entry, str]]:
        """Read every entry back; return (entry, problem) for each that is not usable.
        Stale entries are checked too (a broken one is a problem); foreign files are not
        the store's."""
        problems = []
        for entry in self.entries():
            if entry.foreign:
                continue
            if entry.meta is not None and entry.meta.get("format") != _FORMAT:
                continue  # an older format: stale, not broken
            problem = self.check(entry)
            if problem:
                problems.append((entry, problem))
        return problems

    def prune_plan(self) -> list[tuple[Path, str]]:
        """What :meth:`prune` would delete, and why: stale and broken entries, and leftovers
        (temporary files and locks) of runs that died more than :data:`LEFTOVER_AGE` seconds
        ago and whose unit no process holds. Never a file the store did not write."""
        plan: list[tuple[Path, str]] = []
        for entry in self.entries():
            if entry.foreign:
                continue
            if entry.meta is None:
                plan.append((entry.path, entry.error))
            elif entry.stale():
                plan.append((entry.path, entry.stale_reason()))
            else:
                problem = self.check(entry)
                if problem:
                    plan.append((entry.path, f"broken: {problem}"))
        for kind, path in self._layout():
            if kind in ("temp", "lock"):
                reason = self._leftover(kind, path)
                if reason:
                    plan.append((path, reason))
        self._planned = {path: _signature(path) for path, _ in plan}
        return plan

    def _leftover(self, kind: str, path: Path) -> str:
        """Why ``path`` (a temporary file or a lock) is a leftover, ``""`` if it may be in use."""
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return ""
        if age < LEFTOVER_AGE:
            return ""
        pattern = _TEMP_NAME if kind == "temp" else _LOCK_NAME
        match = pattern.match(path.name)
        entry = match.group(1) if match else path.name
        if UnitLock(path.with_name(f".{entry}.lock")).busy():
            return ""
        what = "temporary file of a write that never finished" if kind == "temp" else "lock of a run that ended"
        return f"{what} ({age / 3600:.1f} h old, no process holds its unit)"

    def prune(self, plan: list[tuple[Path, str]] | None = None) -> list[Path]:
        """Delete what :meth:`prune_plan` lists (or ``plan``, a list it returned); return
        the paths deleted. A file that changed since it was planned (rewritten by a run in
        the meantime) is kept, and so is anything outside the store's own layout."""
        if plan is None:
            plan = self.prune_plan()
        signatures = {path: self._planned.get(path, _signature(path)) for path, _ in plan}
        gone = []
        for path, _ in plan:
            kind = self._kind(path)
            if kind not in ("entry", "temp", "lock") or _signature(path) != signatures[path]:
                continue  # not the store's, or changed since it was planned
            if kind != "entry" and not self._leftover(kind, path):
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            gone.append(path)
        return gone


def _metrics_of(request: Mapping[str, Any]) -> tuple[str, ...]:
    """The metrics a unit of a registered setting holds (none for other kinds of unit)."""
    if request.get("setting") in SETTINGS and request.get("workflow") in WORKFLOWS:
        return get_setting(request["setting"]).metrics
    return ()


def read_file(path: Path) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """A stored frame and its metadata (raises if the file cannot be read)."""
    frame, meta, _ = _read(path)
    return frame, meta


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, Any] | None, str]:
    """A stored frame, its metadata and the content hash of what was read."""
    table = pq.ParquetFile(path).read(use_threads=False)
    raw = (table.schema.metadata or {}).get(_META_KEY)
    lists = [f.name for f in table.schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)]
    digest = table_digest(table)
    frame = table.to_pandas()
    for col in lists:  # list columns come back as arrays: give back tuples
        frame[col] = [tuple(v) if isinstance(v, np.ndarray) else v for v in frame[col].to_numpy()]
    return frame, (json.loads(raw) if raw else None), digest


def _to_arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    tuples = [col for col, dtype in frame.dtypes.items() if isinstance(dtype, np.dtype) and dtype.kind == "O"
              and len(frame) and isinstance(frame[col].iloc[0], tuple)]
    if not tuples:
        return frame
    out = frame.copy()
    for col in tuples:
        out[col] = [list(v) for v in out[col]]
    return out


def _content_problem(frame: pd.DataFrame, meta: Mapping[str, Any], digest: str, request: Mapping[str, Any],
                     metrics: tuple[str, ...]) -> str:
    """Why a frame read back (with the content hash of what was read) is not the one stored
    for ``request`` (``""`` when it is)."""
    if meta.get("digest") != digest:
        return "its data do not match their content hash: changed since they were written"
    return _shape_problem(frame, request, metrics) or _value_problem(frame, request, metrics)


def _shape_problem(frame: pd.DataFrame, request: Mapping[str, Any], metrics: tuple[str, ...]) -> str:
    seeds = np.asarray(request["seeds"], dtype=np.int64)
    T = int(request["n_generations"])
    if len(frame) != len(seeds) * T:
        return f"wrong shape: {len(frame)} rows, expected {len(seeds)} seeds x {T} generations"
    missing = [c for c in ("seed", "generation", *metrics) if c not in frame.columns]
    if missing:
        return f"wrong shape: missing columns {missing}"
    try:
        same = (np.array_equal(frame["seed"].to_numpy(dtype=np.int64), np.repeat(seeds, T))
                and np.array_equal(frame["generation"].to_numpy(dtype=np.int64),
                                   np.tile(np.arange(1, T + 1), len(seeds))))
    except (TypeError, ValueError):
        same = False
    if not same:
        return "wrong shape: its seeds or generations are not those requested"
    if {"setting", "workflow"} <= set(frame.columns) and (
            set(frame["setting"]) != {request["setting"]} or set(frame["workflow"]) != {request["workflow"]}):
        return "wrong contents: another setting or workflow"
    return ""


def _value_problem(frame: pd.DataFrame, request: Mapping[str, Any], metrics: tuple[str, ...]) -> str:
    """A metric that is not a number, or not finite where the setting says it must be."""
    may_be_nan = get_setting(request["setting"]).may_be_nan if request.get("setting") in SETTINGS else frozenset()
    for name in metrics:
        values = frame[name].to_numpy()
        if values.dtype.kind not in "biuf":
            return f"metric '{name}' holds values that are not numbers (dtype {values.dtype})"
        values = values.astype(float, copy=False)
        bad = np.isinf(values) if name in may_be_nan else ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            return (f"metric '{name}' is {values[row]} at seed {frame['seed'].iloc[row]}, generation "
                    f"{frame['generation'].iloc[row]}: not a finite number")
    return ""


# --- command line ---------------------------------------------------------------------------

def _age(created: str | None) -> str:
    if not created:
        return "?"
    seconds = (_dt.datetime.now(_dt.UTC) - _dt.datetime.fromisoformat(created)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _list(store: Store) -> int:
    rows = []
    for entry in store.entries():
        if entry.foreign:
            continue
        req = (entry.meta or {}).get("request", {})
        params = ", ".join(f"{k}={v}" for k, v in (req.get("params") or {}).items())
        state = "broken" if entry.meta is None else ("stale" if entry.stale() else "current")
        rows.append((entry.setting, req.get("workflow", "?"), f"T={req.get('n_generations', '?')}",
                     f"seeds={len(req.get('seeds', []))}", state, f"{entry.path.stat().st_size / 1024:.0f} KiB",
                     _age((entry.meta or {}).get("created")), params))
    others = store.others()
    if not rows:
        print(f"{store.root}: empty" + (f" ({len(others)} other file(s) or folder(s), left alone)" if others else ""))
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(7)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:7], widths)) + "  " + r[7])
    states = [r[4] for r in rows]
    print(f"{store.root}: {len(rows)} file(s): {states.count('current')} current, "
          f"{states.count('stale')} stale, {states.count('broken')} broken"
          + (f"; {len(others)} other file(s) or folder(s) not written by the store, left alone" if others else ""))
    return 0


def _prune(store: Store, yes: bool, dry_run: bool) -> int:
    plan = store.prune_plan()
    others = store.others()
    keep = f"; {len(others)} file(s) or folder(s) not written by the store are left alone" if others else ""
    if not plan:
        print(f"{store.root}: nothing to delete{keep}")
        return 0
    for path, reason in plan:
        print(f"{'would delete' if dry_run else 'delete'}  {path.relative_to(store.root)}: {reason}")
    if dry_run:
        print(f"{store.root}: {len(plan)} file(s) would be deleted (--dry-run: nothing deleted){keep}")
        return 0
    if not yes:
        if not sys.stdin.isatty():
            print(f"{store.root}: nothing deleted: pass --yes to delete these {len(plan)} file(s) "
                  "(or --dry-run to only list them)", file=sys.stderr)
            return 1
        answer = input(f"Delete these {len(plan)} file(s) from {store.root}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing deleted")
            return 1
    gone = store.prune(plan)
    print(f"{store.root}: deleted {len(gone)} stale, broken or leftover file(s){keep}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m collapse_lib.store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help=f"store folder (default: ${STORE_ENV} or _cache/ at the repository root)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--verify", action="store_true", help="read every entry back and check it")
    what.add_argument("--prune", action="store_true",
                      help="delete stale and broken entries and leftovers of runs that died (asks first)")
    parser.add_argument("--dry-run", action="store_true", help="with --prune: only list what it would delete")
    parser.add_argument("--yes", "-y", action="store_true", help="with --prune: delete without asking")
    args = parser.parse_args(argv)
    if (args.dry_run or args.yes) and not args.prune:
        parser.error("--dry-run and --yes go with --prune")
    try:
        store = Store(args.root, name="--root")
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.prune:
        return _prune(store, args.yes, args.dry_run)
    if args.verify:
        started = time.perf_counter()
        problems = store.verify()
        count = sum(1 for e in store.entries() if not e.foreign)
        for entry, reason in problems:
            print(f"BAD  {entry.path}: {reason}")
        print(f"{store.root}: {count} file(s) checked in {time.perf_counter() - started:.1f} s, "
              f"{len(problems)} not usable")
        return 1 if problems else 0
    return _list(store)


if __name__ == "__main__":
    sys.exit(main())
