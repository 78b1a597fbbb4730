"""The data behind every page (collapse_lib.downloads): which frames a chapter offers, the files
and the provenance written, and the links shown. The built pages are checked in
tests/test_browser.py (test_every_chapter_offers_its_data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from collapse_lib import downloads
from collapse_lib.chapters import ChapterParameters, chapter_sources


def runs(seeds: int = 3, generations: int = 4) -> pd.DataFrame:
    rows = [{"setting": "gaussian", "workflow": wf, "seed": s, "generation": t, "n": 10, "mean_sq_error": 0.1 * t + s}
            for wf in ("replace", "accumulate") for s in range(seeds) for t in range(1, generations + 1)]
    return pd.DataFrame(rows)


def test_tidy_frames_are_the_run_frames_without_their_selections():
    results = runs()
    namespace = {
        "p": ChapterParameters(seeds=3),
        "results": results,
        "same": results,  # a second name for the same frame
        "replace_only": results[results.workflow == "replace"],  # a selection: left out
        "with_ratio": results.assign(ratio=results.mean_sq_error / 2),  # more columns: offered (replaces results)
        "summary": results.groupby("generation").mean_sq_error.mean().reset_index(),  # no seed: not a run
        "other": runs(seeds=2).assign(n=20),  # another grid
        "_hidden": results,
        "empty": results.iloc[:0],
    }
    frames = downloads.tidy_frames(namespace)
    assert list(frames) == ["with_ratio", "other"]
    frames = downloads.tidy_frames(namespace, tables=["summary"])
    assert list(frames) == ["with_ratio", "summary", "other"]
    with pytest.raises(KeyError, match="no DataFrame named 'claims'.*its DataFrames: results, same"):
        downloads.tidy_frames(namespace, tables=["claims"])
    assert list(downloads.tidy_frames(namespace, tables={"means": "summary"})) == ["with_ratio", "means", "other"]


def test_save_writes_parquet_csv_and_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(downloads, "DATA_DIR", tmp_path / "_data")
    results = runs()
    table = pd.DataFrame({("claim", ""): ["a", "b"], ("value", "lo"): [1.0, 2.0]})  # MultiIndex columns
    namespace = {"p": ChapterParameters(seeds=3, ns=range(2), name="x"), "results": results, "table": table}
    written, described = downloads.save(namespace, "gaussian", tables=["table"], captions={"table": "The claims."})
    folder = written["results"]["parquet"].parent
    assert folder.parent == tmp_path / "_data" / "gaussian"
    back = pd.read_parquet(written["results"]["parquet"])
    pd.testing.assert_frame_equal(back, results, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_csv(written["results"]["csv"]), results, check_dtype=False)
    meta = json.loads(pq.read_schema(written["results"]["parquet"]).metadata[downloads.PARQUET_KEY])
    assert meta["chapter"] == "gaussian" and meta["frame"] == "results" and meta["rows"] == len(results)
    assert meta["parameters"] == {"seeds": 3, "ns": [0, 1], "name": "x"}
    assert set(meta["fingerprints"]) == {"gaussian"} and meta["collapse_lib"]
    assert list(pd.read_csv(written["table"]["csv"]).columns) == ["claim", "value/lo"]
    record = json.loads(written["_provenance"]["json"].read_text())
    assert record["frames"]["table"]["caption"] == "The claims."
    assert "2 workflows" not in record["frames"]["results"]["caption"]
    assert "3 seeds" in record["frames"]["results"]["caption"]
    # other parameters, another folder: a smoke run never overwrites the default build's files
    other, _ = downloads.save({**namespace, "p": ChapterParameters(seeds=4)}, "gaussian", tables=["table"])
    assert other["results"]["parquet"].parent != folder
    again, _ = downloads.save(namespace, "gaussian", tables=["table"])
    assert again["results"]["parquet"] == written["results"]["parquet"]


def test_large_csv_is_gzipped(tmp_path, monkeypatch):
    monkeypatch.setattr(downloads, "DATA_DIR", tmp_path)
    monkeypatch.setattr(downloads, "CSV_GZIP_BYTES", 1000)
    written, _ = downloads.save({"results": runs(seeds=20)}, "gaussian")
    assert written["results"]["csv"].name == "gaussian-results.csv.gz"
    assert len(pd.read_csv(written["results"]["csv"])) == len(runs(seeds=20))


def test_markdown_links_are_relative_to_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(downloads, "DATA_DIR", tmp_path / "_data")
    written, described = downloads.save({"results": runs(), "x": np.arange(3)}, "gaussian")
    text = downloads.markdown(written, described, tmp_path / "book")
    key = written["results"]["parquet"].parent.name
    assert f"[Parquet](../_data/gaussian/{key}/gaussian-results.parquet)" in text
    assert f"[CSV](../_data/gaussian/{key}/gaussian-results.csv)" in text
    assert f"[gaussian-data.json](../_data/gaussian/{key}/gaussian-data.json)" in text
    assert "**results** (24 rows × 6 columns: setting gaussian; workflows replace, accumulate; 3 seeds; " \
           "4 generations)" in text


def test_bad_chapter_name_is_refused():
    from collapse_lib.validation import ParameterError

    with pytest.raises(ParameterError, match="chapter's name"):
        downloads.save({}, "../etc")


def test_every_chapter_ends_with_its_data():
    """One Data section, last, in every chapter: its code cell renders Markdown links as MyST
    (so that the build copies the files)."""
    import jupytext

    for source in chapter_sources():
        cells = jupytext.read(source).cells
        heading, cell = cells[-2], cells[-1]
        assert heading.cell_type == "markdown" and heading.source.startswith("## Data"), source.stem
        assert f'downloads.offer(globals(), "{source.stem}"' in cell.source, source.stem
        assert cell.metadata.get("mystnb") == {"markdown_format": "myst"}, source.stem
        assert "remove-input" in cell.metadata.get("tags", [])


def test_data_folder_is_ignored_by_git():
    root = Path(__file__).resolve().parent.parent
    assert "_data/" in (root / ".gitignore").read_text().split()
