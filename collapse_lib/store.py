"""The result store: every computed run, in Parquet, under a key that includes its code.

One file per stored unit (setting, workflow, cell, seeds), written atomically, holding the
tidy frame of that run and, in the Parquet metadata, everything that made it: the full
arguments, the setting's code fingerprint (:func:`collapse_lib.registry.fingerprint`), the
versions of the library and its key dependencies, the wall time and the creation time.

* The key is a hash of the arguments *and* the fingerprint: after a change to a setting's
  code its old results are never read back (they become *stale*); a change to plotting or
  to a chapter changes no key.
* A file is never trusted blindly: one that cannot be read, whose recorded arguments
  differ from the request, or whose shape is wrong gives a :class:`StoreWarning` naming the
  file and the reason, and the run is recomputed and rewritten.
* The default location is ``_cache/`` at the repository root, whatever the working
  directory; the environment variable ``COLLAPSE_STORE`` points it elsewhere (a store
  computed on another machine can be copied or mounted there).

From the command line::

    python -m collapse_lib.store            # list: setting, parameters, current or stale, size, age
    python -m collapse_lib.store --verify   # read every file back and check it
    python -m collapse_lib.store --prune    # delete stale and broken entries

There is no pickle anywhere: a file in the store is data, never code.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .files import STORE_ENV, atomic_write, default_location, location
from .validation import ParameterError

__all__ = ["STORE_ENV", "StoreWarning", "Store", "Entry", "atomic_write", "default_location",
           "location", "canonical", "main"]

_META_KEY = b"collapse_lib"
_FORMAT = 1


class StoreWarning(UserWarning):
    """A stored file was not used (unreadable, other arguments, wrong shape): recomputed."""


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


def _versions(setting: str) -> dict[str, str]:
    from .registry import dependency_versions, get_setting
    from .version import __version__

    out = {"collapse_lib": __version__, "python": platform.python_version(),
           "pandas": pd.__version__}
    try:
        import pyarrow
        out["pyarrow"] = pyarrow.__version__
    except ImportError:  # pragma: no cover - pinned
        pass
    out.update(dependency_versions(get_setting(setting)))
    return out


@dataclass(frozen=True)
class Entry:
    """One stored file and what its metadata says (None where it could not be read)."""

    path: Path
    meta: dict[str, Any] | None
    error: str = ""

    @property
    def setting(self) -> str:
        return str((self.meta or {}).get("request", {}).get("setting", "?"))

    def stale(self) -> bool:
        """Whether the code that made it has changed since (or the file is broken)."""
        from .registry import SETTINGS, fingerprint

        if self.meta is None or self.setting not in SETTINGS:
            return True
        return self.meta.get("fingerprint") != fingerprint(self.setting)


class Store:
    """A folder of Parquet results (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *, name: str = "cache_dir") -> None:
        root = default_location() if root is None else Path(root).expanduser()
        if root.exists() and not root.is_dir():
            raise ParameterError(f"parameter '{name}' must be a folder for the result store; "
                                 f"{str(root)!r} is a file")
        self.root = root.resolve()

    # --- keys ---------------------------------------------------------------------------------
    @staticmethod
    def request(setting: str, workflow: str, n_generations: int, seeds: list[int],
                params: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """The full arguments of one stored unit, as plain JSON."""
        return canonical({"setting": setting, "workflow": workflow, "n_generations": n_generations,
                          "seeds": list(seeds), "params": dict(params), "options": dict(options)})

    def path(self, request: Mapping[str, Any], fingerprint: str) -> Path:
        """Where the unit ``request`` made by code ``fingerprint`` is stored."""
        blob = json.dumps({"request": request, "fingerprint": fingerprint}, sort_keys=True)
        key = hashlib.sha256(blob.encode()).hexdigest()[:20]
        return self.root / request["setting"] / f"{request['workflow']}-{key}.parquet"

    # --- read and write -----------------------------------------------------------------------
    def read(self, request: Mapping[str, Any], fingerprint: str,
             metrics: tuple[str, ...] = ()) -> pd.DataFrame | None:
        """The stored frame of ``request``, or None (not stored, or not usable: warned)."""
        path = self.path(request, fingerprint)
        if not path.exists():
            return None
        try:
            frame, meta = read_file(path)
        except Exception as err:
            return self._reject(path, f"unreadable ({type(err).__name__}: {err})")
        if meta is None:
            return self._reject(path, "it carries no collapse_lib metadata")
        if meta.get("request") != request or meta.get("fingerprint") != fingerprint:
            diff = sorted(k for k in set(request) | set(meta.get("request") or {})
                          if (meta.get("request") or {}).get(k) != request.get(k))
            what = ", ".join(diff) or "fingerprint"
            return self._reject(path, f"its recorded arguments differ from the request ({what})")
        reason = _shape_problem(frame, request, metrics)
        if reason:
            return self._reject(path, reason)
        return frame

    @staticmethod
    def _reject(path: Path, reason: str) -> None:
        warnings.warn(f"result store: {path}: {reason}; recomputing it", StoreWarning, stacklevel=4)
        return None

    def write(self, request: Mapping[str, Any], fingerprint: str, frame: pd.DataFrame,
              seconds: float) -> Path:
        """Store ``frame`` for ``request`` atomically, with its metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        meta = {"format": _FORMAT, "request": dict(request), "fingerprint": fingerprint,
                "versions": _versions(request["setting"]), "seconds": float(seconds),
                "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "rows": len(frame), "columns": list(map(str, frame.columns))}
        table = pa.Table.from_pandas(_to_arrow_ready(frame), preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _META_KEY: json.dumps(meta).encode()})
        path = self.path(request, fingerprint)
        return atomic_write(path, lambda tmp: pq.write_table(table, tmp))

    # --- inventory ----------------------------------------------------------------------------
    def entries(self) -> Iterator[Entry]:
        """Every file in the store with its metadata (read from the footer only)."""
        import pyarrow.parquet as pq

        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*.parquet")):
            try:
                raw = (pq.read_schema(path).metadata or {}).get(_META_KEY)
                yield Entry(path, json.loads(raw) if raw else None, "" if raw else "no metadata")
            except Exception as err:
                yield Entry(path, None, f"{type(err).__name__}: {err}")

    def verify(self) -> list[tuple[Entry, str]]:
        """Read every file back; return (entry, problem) for each that is not usable."""
        problems = []
        for entry in self.entries():
            if entry.meta is None:
                problems.append((entry, entry.error or "unreadable"))
                continue
            try:
                frame, _ = read_file(entry.path)
            except Exception as err:
                problems.append((entry, f"unreadable ({type(err).__name__}: {err})"))
                continue
            reason = _shape_problem(frame, entry.meta["request"], ())
            if reason:
                problems.append((entry, reason))
        return problems

    def prune(self) -> list[Path]:
        """Delete stale and broken entries (and leftover temporary files); return their paths."""
        gone = []
        broken = {e.path for e, _ in self.verify()}
        for entry in self.entries():
            if entry.path in broken or entry.stale():
                entry.path.unlink()
                gone.append(entry.path)
        if self.root.is_dir():
            for tmp in self.root.rglob(".*.tmp"):
                tmp.unlink()
                gone.append(tmp)
        return gone


def read_file(path: Path) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """A stored frame and its metadata (raises if the file cannot be read)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(_META_KEY)
    frame = table.to_pandas()
    for col in frame.columns:  # list columns come back as arrays: give back tuples
        if frame[col].dtype == object and len(frame) and isinstance(frame[col].iloc[0], np.ndarray):
            frame[col] = [tuple(v) for v in frame[col]]
    return frame, (json.loads(raw) if raw else None)


def _to_arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and len(out) and isinstance(out[col].iloc[0], tuple):
            out[col] = [list(v) for v in out[col]]
    return out


def _shape_problem(frame: pd.DataFrame, request: Mapping[str, Any], metrics: tuple[str, ...]) -> str:
    seeds = list(request["seeds"])
    T = int(request["n_generations"])
    if len(frame) != len(seeds) * T:
        return f"wrong shape: {len(frame)} rows, expected {len(seeds)} seeds x {T} generations"
    missing = [c for c in ("seed", "generation", *metrics) if c not in frame.columns]
    if missing:
        return f"wrong shape: missing columns {missing}"
    if frame["seed"].tolist() != list(np.repeat(seeds, T)) or \
            frame["generation"].tolist() != list(np.tile(np.arange(1, T + 1), len(seeds))):
        return "wrong shape: its seeds or generations are not those requested"
    if {"setting", "workflow"} <= set(frame.columns) and (
            set(frame["setting"]) != {request["setting"]} or set(frame["workflow"]) != {request["workflow"]}):
        return "wrong contents: another setting or workflow"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m collapse_lib.store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help=f"store folder (default: ${STORE_ENV} or _cache/ at the repository root)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--verify", action="store_true", help="read every file back and check it")
    what.add_argument("--prune", action="store_true", help="delete stale and broken entries")
    args = parser.parse_args(argv)
    store = Store(args.root)
    if args.prune:
        gone = store.prune()
        print(f"{store.root}: removed {len(gone)} stale or broken file(s)")
        return 0
    if args.verify:
        started = time.perf_counter()
        problems = store.verify()
        count = sum(1 for _ in store.entries())
        for entry, reason in problems:
            print(f"BAD  {entry.path}: {reason}")
        print(f"{store.root}: {count} file(s) checked in {time.perf_counter() - started:.1f} s, "
              f"{len(problems)} not usable")
        return 1 if problems else 0
    rows = []
    for entry in store.entries():
        req = (entry.meta or {}).get("request", {})
        params = ", ".join(f"{k}={v}" for k, v in (req.get("params") or {}).items())
        state = "broken" if entry.meta is None else ("stale" if entry.stale() else "current")
        rows.append((entry.setting, req.get("workflow", "?"), f"T={req.get('n_generations', '?')}",
                     f"seeds={len(req.get('seeds', []))}", state, f"{entry.path.stat().st_size / 1024:.0f} KiB",
                     _age((entry.meta or {}).get("created")), params))
    if not rows:
        print(f"{store.root}: empty")
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(7)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:7], widths)) + "  " + r[7])
    states = [r[4] for r in rows]
    print(f"{store.root}: {len(rows)} file(s): {states.count('current')} current, "
          f"{states.count('stale')} stale, {states.count('broken')} broken")
    return 0


if __name__ == "__main__":
    sys.exit(main())
