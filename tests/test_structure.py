"""The book's structure: chapters on disk, in _toc.yml and under test agree; one parameters
cell each; no tracked notebooks; pinned versions agree between pip and Binder."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jupytext
import pytest
import yaml

from collapse_lib.notebooks import chapter_sources

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {p.stem for p in chapter_sources(ROOT / "book")}


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(s["file"] for s in chapter.get("sections", []))
    return files


def test_chapters_on_disk_in_toc_and_under_test_agree():
    files = toc_files()
    assert len(files) == len(set(files)), "a page is listed twice in _toc.yml"
    for f in files:
        assert (ROOT / f"{f}.py").exists() or (ROOT / f"{f}.md").exists(), f"{f} in _toc.yml has no source"
    in_toc = {Path(f).name for f in files if (ROOT / f"{f}.py").exists()}
    smoke = set(yaml.safe_load((ROOT / "tests/params/smoke.yml").read_text()))
    assert CHAPTERS, "no chapters found"
    assert CHAPTERS == in_toc, f"on disk but not in _toc.yml: {CHAPTERS - in_toc}; in toc only: {in_toc - CHAPTERS}"
    assert CHAPTERS == smoke, f"missing smoke parameters: {CHAPTERS - smoke}; unknown sections: {smoke - CHAPTERS}"
    paper = set(yaml.safe_load((ROOT / "params/paper.yml").read_text()))
    assert paper <= CHAPTERS, f"params/paper.yml names unknown chapters: {paper - CHAPTERS}"
    md_pages = {p.stem for p in (ROOT / "book").glob("*.md")}
    assert md_pages <= {Path(f).name for f in files}, "a .md page is not in _toc.yml"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_chapter_shape(chapter):
    nb = jupytext.read(ROOT / "book" / f"{chapter}.py")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{chapter}: expected exactly one 'parameters' cell, found {len(tagged)}"
    params = nb.cells[tagged[0]]
    assert params.cell_type == "code"
    for line in params.source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+ = .+  # .+", line), \
                f"{chapter}: parameter line needs a value and a comment: {line!r}"
            assert "=" not in line.split("#", 1)[1], f"{chapter}: '=' in a parameter comment breaks papermill: {line!r}"
    after = next(c for c in nb.cells[tagged[0] + 1:] if c.cell_type == "code")
    assert "chapter_parameters(globals()" in after.source, \
        f"{chapter}: the cell after 'parameters' must check them with chapter_parameters(globals(), ...)"
    checked = [c for c in nb.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, f"{chapter}: no cell tagged nbval-check-output"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in text, f"{chapter}: missing '{heading}'"
    assert "matplotlib.use(" not in "\n".join(c.source for c in nb.cells), "matplotlib.use removes figures"
    assert "pip install" not in "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_no_tracked_notebooks():
    try:
        listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert listed == [], f"executed notebooks are build outputs, not sources: {listed}"


def _requirements(lines: list[str]) -> list[str]:
    return sorted(s.strip() for s in lines if s.strip() and not s.strip().startswith(("#", "-")))


def test_pins_agree_between_pip_and_binder():
    pip_pins = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _requirements(pip_section) == pip_pins
    assert all("==" in p for p in pip_pins), "every requirement must be pinned"
    assert "torch==2.13.0" in pip_pins  # an unpinned torch pulls a multi-GB CUDA build
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_postbuild_prepares_binder():
    post = ROOT / "postBuild"
    assert post.exists() and post.stat().st_mode & 0o111, "postBuild must be executable"
    text = post.read_text()
    assert "pip install" in text and "-e ." in text and "jupytext --to ipynb" in text


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_library_import_has_no_side_effects():
    # third-party packages may add their own filters on import (scipy.special does): import
    # them first, then check that collapse_lib itself changes nothing
    code = ("import warnings, numpy, sys, scipy.special, scipy.stats, pandas, matplotlib.pyplot, sklearn, tqdm;"
            "f = list(warnings.filters); s = numpy.random.get_state()[1][:3].tolist();"
            "import collapse_lib, collapse_lib.plotting, collapse_lib.theory, collapse_lib.settings.gaussian;"
            "assert warnings.filters == f; assert numpy.random.get_state()[1][:3].tolist() == s;"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([__import__("sys").executable, "-c", code], check=True)
