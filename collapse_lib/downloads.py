"""The data behind a page: a chapter offers the tidy frames of its figures and tables as
downloads (chapter *How to run this book*).

The last cell of every chapter calls, with its ``globals()``::

    downloads.offer(globals(), "gaussian")

and shows, under the heading *Data*, a link to a Parquet and a CSV file for each frame,
and to a JSON file with the parameters and code fingerprints that made them. What it
offers, without a list to keep in step with the chapter:

* every **tidy run frame** the chapter holds in a variable: a ``pandas.DataFrame`` with a
  ``seed`` column (one row per seed × generation or per seed × cell, as
  :func:`collapse_lib.simulate` and :func:`collapse_lib.run_grid` return), named by its
  variable. A frame whose columns and rows all lie inside another offered frame (a
  selection of it, such as ``results[results.n == 10]``) is left out;
* the frames named in ``tables`` (a summary table without seeds, such as the claims table
  of *Results at a glance*: ``tables={"claims": "table"}`` offers the variable ``table`` as
  ``results-claims``); a name the chapter does not hold fails, naming the frames it does
  hold.

Each frame is written to ``_data/<chapter>/<key>/`` at the repository root (``key``: a hash
of the chapter's parameters, so a smoke run, the default build and a paper-scale build each
keep their own files), as ``<chapter>-<name>.parquet`` (its schema metadata holds the
provenance under the key ``collapse_lib``) and ``<chapter>-<name>.csv`` (gzipped above
:data:`CSV_GZIP_BYTES`), beside ``<chapter>-data.json``: the chapter, its parameters, the
library version and the code fingerprint (:func:`collapse_lib.registry.fingerprint`) of
every setting in the frames, each frame's rows, columns and types. The links are Markdown
links relative to the notebook's folder; the cell carries ``mystnb: markdown_format: myst``
so that the book build copies each file into the site (Sphinx's downloads), and a link to
a file that does not exist fails the build. ``_data/`` is a build output (git ignores it).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .files import ROOT, atomic_write

__all__ = ["DATA_DIR", "CSV_GZIP_BYTES", "PARQUET_KEY", "tidy_frames", "offer", "save", "markdown", "provenance"]

#: Where the offered files are written (a build output).
DATA_DIR = ROOT / "_data"
#: A CSV larger than this (estimated from the Parquet file) is written gzipped (``.csv.gz``).
CSV_GZIP_BYTES = 20_000_000
#: The key of the provenance in a Parquet file's schema metadata.
PARQUET_KEY = b"collapse_lib"
#: Columns that mark a frame of runs (one row per seed and ...).
RUN_COLUMNS = ("seed",)


def _jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, arrays, ranges, tuples and paths made JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | range | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with plain string column names (MultiIndex columns joined with '/') and a
    default index (a named index becomes columns)."""
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = ["/".join(str(c) for c in col if str(c)) for col in out.columns]
    else:
        out.columns = [str(c) for c in out.columns]
    if any(name is not None for name in out.index.names):
        out = out.reset_index()
    else:
        out = out.reset_index(drop=True)
    out.attrs = {}
    return out


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> set[int] | None:
    try:
        return set(pd.util.hash_pandas_object(frame[columns], index=False).tolist())
    except (TypeError, ValueError):
        try:
            return set(pd.util.hash_pandas_object(frame[columns].astype(str), index=False).tolist())
        except (TypeError, ValueError):
            return None


def _contained(small: pd.DataFrame, big: pd.DataFrame) -> bool:
    """Whether every column and every row of ``small`` is in ``big`` (a selection of it)."""
    columns = [c for c in small.columns]
    if not set(columns) <= set(big.columns) or len(small) > len(big):
        return False
    inner, outer = _row_hashes(small, columns), _row_hashes(big, columns)
    return inner is not None and outer is not None and inner <= outer


def tidy_frames(namespace: Mapping[str, Any], tables: Iterable[str] | Mapping[str, str] = ()
                ) -> dict[str, pd.DataFrame]:
    """The frames :func:`offer` offers from ``namespace``, by name, in the order the chapter
    made them: the tidy run frames (a ``seed`` column; selections of a larger one left out)
    and the frames named in ``tables`` (variable names, or a mapping from the name to offer
    it under to the variable's: ``{"claims": "table"}``)."""
    aliases = dict(tables) if isinstance(tables, Mapping) else {t: t for t in tables}
    variables = {v: k for k, v in aliases.items()}
    frames: dict[str, pd.DataFrame] = {}
    seen: set[int] = set()
    for name, value in namespace.items():
        if name.startswith("_") or not isinstance(value, pd.DataFrame):
            continue
        if name in variables:
            frames[variables[name]] = value
        elif id(value) not in seen and set(RUN_COLUMNS) <= set(map(str, value.columns)) and len(value):
            frames[name] = value
        seen.add(id(value))
    missing = [v for v in variables if variables[v] not in frames]
    if missing:
        held = [k for k, v in namespace.items() if isinstance(v, pd.DataFrame) and not k.startswith("_")]
        raise KeyError(f"the chapter holds no DataFrame named {', '.join(map(repr, missing))} to offer; "
                       f"its DataFrames: {', '.join(held) or 'none'}")
    runs = [k for k in frames if k not in aliases]
    order = sorted(runs, key=lambda k: (-len(frames[k]), -frames[k].shape[1]))
    kept: list[str] = []
    for name in order:
        if not any(_contained(frames[name], frames[other]) for other in kept):
            kept.append(name)
    return {k: v for k, v in frames.items() if k in kept or k in aliases}


def _chapter_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    from .chapters import ChapterParameters

    for value in namespace.values():
        if isinstance(value, ChapterParameters):
            return _jsonable(vars(value))
    return {}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance(chapter: str, parameters: Mapping[str, Any], frames: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """What made ``frames``: the chapter and its parameters, the library version, the git
    commit (when there is one), and the code fingerprint of every setting in them."""
    from . import __version__
    from .registry import fingerprint

    settings = sorted({str(s) for f in frames.values() if "setting" in f.columns for s in f["setting"].unique()})
    fingerprints = {}
    for setting in settings:
        try:
            fingerprints[setting] = fingerprint(setting)
        except (KeyError, ValueError):
            continue
    return {"chapter": chapter, "parameters": _jsonable(dict(parameters)),
            "collapse_lib": __version__, "git_commit": _git_commit(),
            "fingerprints": fingerprints,
            "versions": {"pandas": pd.__version__, "numpy": np.__version__}}


def _write_frame(frame: pd.DataFrame, stem: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = _flat(frame)
    try:
        table = pa.Table.from_pandas(flat, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # mixed objects: their text
        flat = flat.astype({c: str for c in flat.columns if flat[c].dtype == object})
        table = pa.Table.from_pandas(flat, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           PARQUET_KEY: json.dumps(meta, sort_keys=True).encode()})
    parquet = stem.with_suffix(".parquet")
    atomic_write(parquet, lambda tmp: pq.write_table(table, tmp), suffix=".parquet")
    big = flat.memory_usage(deep=True).sum() > CSV_GZIP_BYTES
    csv = stem.with_suffix(".csv.gz" if big else ".csv")
    atomic_write(csv, lambda tmp: flat.to_csv(tmp, index=False, compression="gzip" if big else None),
                 suffix=".tmp")
    return parquet, csv


def _describe(frame: pd.DataFrame) -> str:
    """A few words on what a frame holds: its settings, workflows, seeds and generations."""
    parts = []
    for column, label in (("setting", "setting"), ("workflow", "workflows")):
        if column in frame.columns:
            values = [str(v) for v in pd.unique(frame[column])]
            parts.append(f"{label} {', '.join(values[:4])}{' …' if len(values) > 4 else ''}")
    for column, label in (("seed", "seeds"), ("generation", "generations")):
        if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]) and len(frame):
            count = frame[column].nunique()
            parts.append(f"{count:,} {label[:-1] if count == 1 else label}")
    return "; ".join(parts)


def _link(path: Path, where: Path) -> str:
    return Path(os.path.relpath(path, where)).as_posix()


def offer(namespace: Mapping[str, Any], chapter: str, *, tables: Iterable[str] | Mapping[str, str] = (),
          captions: Mapping[str, str] | None = None) -> None:
    """Write the chapter's tidy frames (:func:`save`) and show the links to them (Markdown,
    relative to the working folder: the chapter's folder when papermill or the book runs it)."""
    from IPython.display import Markdown, display

    written, described = save(namespace, chapter, tables=tables, captions=captions)
    display(Markdown(markdown(written, described, Path.cwd())))


def save(namespace: Mapping[str, Any], chapter: str, *, tables: Iterable[str] | Mapping[str, str] = (),
         captions: Mapping[str, str] | None = None
         ) -> tuple[dict[str, dict[str, Path]], dict[str, dict[str, Any]]]:
    """Write the chapter's tidy frames (:func:`tidy_frames`) as Parquet and CSV with their
    provenance. ``captions``: a few words per frame name (default: what it holds). Returns
    the files written, by frame name (``parquet``, ``csv``; ``"_provenance"``: ``json``), and
    what :func:`markdown` says of each frame."""
    from .validation import ParameterError

    if not isinstance(chapter, str) or not chapter.replace("_", "").isalnum():
        raise ParameterError(f"parameter 'chapter' must be the chapter's name (such as 'gaussian'); got {chapter!r}")
    frames = tidy_frames(namespace, tables)
    parameters = _chapter_parameters(namespace)
    key = hashlib.sha256(json.dumps({"chapter": chapter, "parameters": parameters}, sort_keys=True,
                                    default=str).encode()).hexdigest()[:12]
    folder = DATA_DIR / chapter / key
    folder.mkdir(parents=True, exist_ok=True)
    meta = provenance(chapter, parameters, frames)
    written: dict[str, dict[str, Path]] = {}
    described = {}
    for name, frame in frames.items():
        frame_meta = {**meta, "frame": name, "rows": int(len(frame)),
                      "columns": {str(c): str(t) for c, t in _flat(frame).dtypes.items()}}
        parquet, csv = _write_frame(frame, folder / f"{chapter}-{name}", frame_meta)
        written[name] = {"parquet": parquet, "csv": csv}
        described[name] = {k: frame_meta[k] for k in ("rows", "columns")} | {
            "parquet": parquet.name, "csv": csv.name, "caption": (captions or {}).get(name) or _describe(frame)}
    record = {**meta, "frames": described}
    sidecar = folder / f"{chapter}-data.json"
    atomic_write(sidecar, lambda tmp: tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n"),
                 suffix=".json")
    written["_provenance"] = {"json": sidecar}
    return written, described


def markdown(written: Mapping[str, Mapping[str, Path]], described: Mapping[str, Mapping[str, Any]],
             where: Path) -> str:
    """The list of links that :func:`offer` shows (links relative to ``where``)."""
    lines = []
    for name, files in written.items():
        if name == "_provenance":
            continue
        info = described[name]
        size = f"{info['rows']:,} rows × {len(info['columns'])} columns"
        caption = f": {info['caption']}" if info.get("caption") else ""
        lines.append(f"- **{name}** ({size}{caption}): [Parquet]({_link(files['parquet'], where)}) · "
                     f"[CSV]({_link(files['csv'], where)})")
    if not lines:
        lines.append("- This page holds no frame of runs.")
    sidecar = written["_provenance"]["json"]
    lines.append(f"- The parameters and code fingerprints that made them: [{sidecar.name}]({_link(sidecar, where)})")
    return "\n".join(lines) + "\n"
