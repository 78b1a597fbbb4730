"""Shared fixtures: the chapters executed with smoke parameters (tests/params/smoke.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE_DIR = ROOT / "_build" / "smoke" / "book"
SMOKE_PARAMS = ROOT / "tests" / "params" / "smoke.yml"


@pytest.fixture(scope="session")
def smoke_notebooks() -> dict[str, Path]:
    """Executed smoke notebooks by chapter name; `make test` makes them, else made here."""
    from collapse_lib.notebooks import chapter_sources, execute_chapter, load_params

    out = {}
    for source in chapter_sources(ROOT / "book"):
        target = SMOKE_DIR / f"{source.stem}.ipynb"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            execute_chapter(source, target, load_params(SMOKE_PARAMS, source.stem))
        out[source.stem] = target
    return out
