"""Execute the book's chapters: jupytext source -> papermill -> executed ``.ipynb``.

Used by ``make book`` / ``make chapter`` and by the tests; never imported by a chapter.

    python -m collapse_lib.notebooks book/gaussian.py                  # default parameters
    python -m collapse_lib.notebooks book/gaussian.py -f tests/params/smoke.yml -o /tmp/g.ipynb
    python -m collapse_lib.notebooks book/gaussian.py -p n_generations 300 -p seeds 1000

A parameter file maps chapter names (the source's stem) to their parameters; a file
without chapter keys is applied as it is. Parameters are received strictly: a name that the
chapter's ``parameters`` cell does not define, or a section of a chapter-keyed file that
names no chapter, stops the command with exit code 2 and a message naming the offender and
what is allowed, before anything runs or is written. The executed notebook is written
atomically: a failing cell leaves no notebook behind (and the command exits non-zero).

The executed notebook is what the book offers for download and what papermill re-runs: its
progress bars (the stderr of tqdm, and progress widgets) are taken out of it
(:func:`strip_progress`); any other stderr (a warning) and every error stay.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .chapters import chapter_sources, check_chapter_params, load_params
from .files import ROOT, atomic_write
from .validation import ParameterError

__all__ = ["execute_chapter", "strip_progress", "main"]


def execute_chapter(source: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                    parameters: dict[str, Any] | None = None, *, kernel: str = "python3",
                    progress: bool = False) -> Path:
    """Convert ``source`` with jupytext, run it with papermill, write ``output`` atomically.

    The notebook runs with the chapter's folder as working directory (as in the built
    book and in Binder); its progress bars are stripped (:func:`strip_progress`). Raises
    ``papermill.PapermillExecutionError`` on a failing cell.
    """
    import jupytext
    import papermill as pm

    source = Path(source).resolve()
    output = Path(output).resolve() if output else source.with_suffix(".ipynb")
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    check_chapter_params(source, parameters or {})
    with tempfile.TemporaryDirectory() as tmp:
        src_nb = Path(tmp) / (source.stem + ".ipynb")
        jupytext.write(notebook, src_nb)

        def run(partial: Path) -> None:
            pm.execute_notebook(str(src_nb), str(partial), parameters=parameters or {}, kernel_name=kernel,
                                cwd=str(source.parent), progress_bar=progress)
            _strip_progress_file(partial)

        atomic_write(output, run, suffix=".ipynb")
    return output


#: A line of a text progress bar (tqdm): ``desc:  42%|####  | 5/12 [00:01<00:02, 3.1it/s]``,
#: or without a total ``desc: 5it [00:01, 3.1it/s]``.
_PROGRESS_LINE = re.compile(r"\d+%\||\|\s*[\d.]+[kMGT]?/[\d.]+[kMGT]?\s*\[|\[\d+:\d\d(?::\d\d)?\s*(?:<|,)")
_ANSI_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # nested bars move the cursor: "\x1b[A"
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_WIDGET_TEXT = re.compile(r"^\s*(HBox|VBox|FloatProgress|IntProgress)\(")


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def strip_progress(notebook: dict[str, Any]) -> int:
    """Remove progress bars from the outputs of ``notebook`` (nbformat JSON, in place).

    A stderr stream loses its progress-bar lines (and blank lines) and is dropped when nothing
    else is left; a progress widget is dropped. Other stderr (warnings), stdout, results and
    errors are kept as they are. Returns the number of outputs dropped or shortened.
    """
    changed = 0
    for cell in notebook.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for out in outputs:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = _text(out.get("text"))
                shown = [line for line in re.split(r"[\r\n]", text) if _ANSI_CONTROL.sub("", line).strip()]
                lines = [line for line in shown if not _PROGRESS_LINE.search(line)]
                if len(lines) != len(shown) or not lines:
                    changed += 1
                    if not lines:
                        continue
                    out = {**out, "text": "\n".join(lines) + "\n"}
            elif out.get("output_type") == "display_data" and _WIDGET_MIME in out.get("data", {}):
                plain = _text(out["data"].get("text/plain"))
                if _WIDGET_TEXT.match(plain) or _PROGRESS_LINE.search(plain) or not plain.strip():
                    changed += 1
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return changed


def _strip_progress_file(path: Path) -> None:
    notebook = json.loads(path.read_text())
    if strip_progress(notebook):
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def _parse_value(text: str) -> Any:
    """A command-line value as YAML (so lists and numbers work); an empty string stays ''."""
    value = yaml.safe_load(text)
    return "" if value is None and text.strip() in ("", "''", '""') else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="chapter sources (book/*.py)")
    parser.add_argument("-o", "--output", help="output notebook (one source only); default: beside the source")
    parser.add_argument("-d", "--output-dir", help="folder for the executed notebooks")
    parser.add_argument("-f", "--parameters-file", help="YAML parameters, keyed by chapter name")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="one parameter (YAML value), overrides the file")
    args = parser.parse_args(argv)
    if args.output and len(args.sources) > 1:
        parser.error("-o needs exactly one source")
    runs = []
    try:  # every chapter's parameters are checked before any chapter runs
        for src in args.sources:
            path = Path(src)
            if not path.is_file():
                raise ParameterError(f"no chapter source {src!r}; chapters: "
                                     f"{', '.join(str(p.relative_to(ROOT)) for p in chapter_sources())}")
            params = load_params(args.parameters_file, path.stem)
            params.update({k: _parse_value(v) for k, v in args.parameter})
            check_chapter_params(path, params)
            runs.append((path, params))
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path, params in runs:
        src = str(path)
        out = Path(args.output) if args.output else (
            Path(args.output_dir) / (path.stem + ".ipynb") if args.output_dir else None)
        started = time.perf_counter()
        print(f"executing {src} {params or ''}", file=sys.stderr, flush=True)
        result = execute_chapter(path, out, params)
        print(f"  -> {result} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
