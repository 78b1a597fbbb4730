"""Chapters run end to end through papermill; bad parameters fail at once; the book builds.

The nbval checks of the key numbers run on the same smoke notebooks (`make test` passes
_build/smoke/book to pytest with --nbval-lax).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import papermill as pm
import pytest
import yaml

from collapse_lib.chapters import chapter_sources
from collapse_lib.notebooks import execute_chapter, strip_progress

ROOT = Path(__file__).resolve().parent.parent


def _errors(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text())
    return [o.get("ename", "") for c in nb["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_every_chapter_executes_with_smoke_parameters(smoke_notebooks):
    assert set(smoke_notebooks) == {p.stem for p in chapter_sources(ROOT / "book")}
    for name, path in smoke_notebooks.items():
        assert path.exists() and _errors(path) == [], name
        nb = json.loads(path.read_text())
        tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
        assert "injected-parameters" in tags, f"{name}: smoke parameters were not injected"


def test_bad_parameter_fails_at_once_with_a_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        execute_chapter(ROOT / "book" / "workflows.py", tmp_path / "bad.ipynb", {"n": -3, "seeds": 2})
    assert "parameter 'n' must be an integer >= 2; got -3" in str(err.value)
    assert not (tmp_path / "bad.ipynb").exists(), "a failed run must not leave a notebook behind"
    with pytest.raises(pm.PapermillExecutionError, match="parameter 'seeds' must be a positive int"):
        execute_chapter(ROOT / "book" / "gaussian.py", tmp_path / "bad.ipynb", {"seeds": "many"})


def _runner(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collapse_lib.notebooks", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_runner_refuses_a_misspelt_parameter_before_running(tmp_path):
    out = tmp_path / "out.ipynb"
    proc = _runner("book/gaussian.py", "-o", str(out), "-f", "tests/params/smoke.yml", "-p", "n_generation", "2")
    assert proc.returncode == 2, proc.stderr
    assert "no parameter(s) 'n_generation' (did you mean 'n_generations'?)" in proc.stderr
    assert "its parameters: n_generations, seeds" in proc.stderr
    assert not out.exists() and "executing" not in proc.stderr


def test_runner_refuses_a_section_that_names_no_chapter(tmp_path):
    params = tmp_path / "p.yml"
    params.write_text("gausian:\n  n_generations: 2\nkde:\n  seeds: 2\n")
    out = tmp_path / "out.ipynb"
    proc = _runner("book/gaussian.py", "-o", str(out), "-f", str(params))
    assert proc.returncode == 2, proc.stderr
    assert "section(s) 'gausian' name no chapter (did you mean 'gaussian'?)" in proc.stderr
    assert not out.exists()


def test_plain_papermill_with_a_chapter_keyed_file_fails_in_the_check_cell(smoke_notebooks, tmp_path):
    out = tmp_path / "keyed.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(smoke_notebooks["gaussian"]), str(out), kernel_name="python3",
                            parameters=yaml.safe_load((ROOT / "tests/params/smoke.yml").read_text()),
                            cwd=str(ROOT / "book"), progress_bar=False)
    assert "unknown parameter(s)" in str(err.value) and "'gaussian'" in str(err.value)
    assert "holds a mapping: a parameter file keyed by chapter name" in str(err.value)
    with pytest.raises(pm.PapermillExecutionError, match="unknown parameter.*'n_generation'.*did you mean"):
        pm.execute_notebook(str(smoke_notebooks["gaussian"]), str(out), kernel_name="python3",
                            parameters={"n_generation": 2}, cwd=str(ROOT / "book"), progress_bar=False)


def test_executed_notebook_is_a_papermill_input(smoke_notebooks, tmp_path):
    """`papermill book/X.ipynb out.ipynb -p ...` works on what the build produced."""
    out = tmp_path / "rerun.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(smoke_notebooks["workflows"]), str(out),
                    "-p", "seeds", "3", "-p", "n_generations", "4", "-k", "python3",
                    "--cwd", str(ROOT / "book")], check=True, capture_output=True)
    nb = json.loads(out.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "seeds = 3" in "".join(injected[0]["source"])


def test_book_builds_from_smoke_outputs_with_warnings_as_errors(smoke_book, smoke_notebooks):
    if smoke_book.returncode != 0:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", smoke_book.log)
        problems = [line for line in plain.splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail("the book build failed (-W):\n" + "\n".join(problems[:30] or plain.splitlines()[-40:]),
                    pytrace=False)
    html = smoke_book.html / "book"
    for name in smoke_notebooks:
        page = (html / f"{name}.html").read_text()
        assert "<img" in page, f"{name}: no figure in the built page"
        assert "glue" not in page.lower() or "Key not found" not in page
    assert (smoke_book.html / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served from the book"


def _stderr(nb: dict) -> list[str]:
    return ["".join(o["text"]) if isinstance(o["text"], list) else o["text"] for c in nb["cells"]
            for o in c.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def test_executed_notebooks_carry_no_progress_bars(smoke_notebooks, smoke_book):
    """The notebooks the book offers for download (and papermill re-runs) have no tqdm output."""
    for name, path in smoke_notebooks.items():
        download = smoke_book.html / "_sources" / "book" / f"{name}.ipynb"
        assert download.is_file(), f"{name}: the book offers no notebook to download"
        for nb in (path, download):
            left = [t for t in _stderr(json.loads(nb.read_text())) if "%|" in t or "it/s" in t or "task/s" in t]
            assert not left, f"{name}: progress bars left in {nb.name}: {left[:2]}"


def test_strip_progress_keeps_warnings_and_errors():

    bar = "\rkde:  50%|#####     | 12/24 [00:01<00:01, 9.9task/s]"
    nb = {"cells": [{"cell_type": "markdown", "source": "x"}, {"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stderr", "text": [bar, "\r", bar.replace("12/24", "24/24"), "\n"]},
        {"output_type": "stream", "name": "stderr", "text": "\x1b[A"},
        {"output_type": "stream", "name": "stderr", "text": ["x.py:3: RuntimeWarning: overflow\n", "  y = 2**x\n"]},
        {"output_type": "stream", "name": "stderr", "text": "\rfit: 3it [00:00, 5.1it/s]\nUserWarning: small n\n"},
        {"output_type": "stream", "name": "stdout", "text": "12/24 done\n"},
        {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "a"},
                                                 "text/plain": "HBox(children=(FloatProgress(value=0.0),))"}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["ValueError: bad"]}]}]}
    assert strip_progress(nb) == 4
    outputs = nb["cells"][1]["outputs"]
    assert [o["output_type"] for o in outputs] == ["stream", "stream", "stream", "error"]
    assert _stderr(nb) == ["x.py:3: RuntimeWarning: overflow\n  y = 2**x\n", "UserWarning: small n\n"]
    assert outputs[2]["text"] == "12/24 done\n" and outputs[3]["evalue"] == "bad"
    assert strip_progress(nb) == 0


@pytest.mark.parametrize("output", ["/dev/full", "folder", "fifo"])
def test_runner_refuses_an_output_that_is_not_a_file_before_running(tmp_path, output):

    target = Path(output) if output.startswith("/") else tmp_path / output
    if output == "folder":
        target.mkdir()
    elif output == "fifo":
        os.mkfifo(target)
    proc = _runner("book/gaussian.py", "-o", str(target))
    assert proc.returncode == 2 and "only a regular file or a new path is written" in proc.stderr, proc.stderr
    assert proc.stdout == "" and (stat.S_ISCHR(os.stat(target).st_mode) if output == "/dev/full" else True)
    assert target.exists() and not target.is_file()


@pytest.mark.parametrize("args, message", [
    (["README.md"], "'README.md' is not a chapter source (a jupytext percent notebook book/<chapter>.py); "
                    "chapters: accumulate,"),
    (["gausian"], "'gausian' names no chapter (did you mean 'gaussian'?); chapters:"),
    (["book/gaussian.py", "-f", "no-such-file.yml"], "-f: no parameter file 'no-such-file.yml'"),
    (["book/gaussian.py", "-f", "BAD"], "bad.yml, line 3, column 16: not valid YAML (expected ',' or ']', but "
                                        "got ':'; the flow sequence began on line 2)"),
])
def test_runner_refuses_what_is_not_a_chapter_or_a_parameter_file(tmp_path, args, message):
    bad = tmp_path / "bad.yml"
    bad.write_text("gaussian:\n  seeds: [1, 2\n  n_generations: 3\n")
    proc = _runner(*[str(bad) if a == "BAD" else a for a in args])
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


TINY = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
x = 1  # a number

# %%
import sys

print(x + 1)
print("a warning", file=sys.stderr)
"""


def test_runner_says_one_line_per_chapter_over_ipc_and_writes_a_readable_notebook(tmp_path):

    source, out = tmp_path / "tiny.py", tmp_path / "tiny.ipynb"
    source.write_text(TINY)
    started = time.time()
    proc = _runner(str(source), "-p", "x", "41", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "TCP" not in proc.stderr and "WARNING" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tiny") and " s  -> " in lines[0], proc.stdout
    cells = json.loads(out.read_text())["cells"]
    assert any("42" in "".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    summary = _runner("--summary", "--since", str(started))  # not the chapters a build ran before
    assert summary.returncode == 0 and summary.stdout.startswith("chapters: ") and "tiny" in summary.stdout
