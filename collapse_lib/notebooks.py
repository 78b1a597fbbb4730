"""Execute the book's chapters: jupytext source -> papermill -> executed ``.ipynb``.

Used by ``make book`` / ``make chapter`` and by the tests; never imported by a chapter.

    python -m collapse_lib.notebooks book/gaussian.py                  # default parameters
    python -m collapse_lib.notebooks book/gaussian.py -f tests/params/smoke.yml -o /tmp/g.ipynb
    python -m collapse_lib.notebooks book/gaussian.py -p n_generations 300 -p seeds 1000
    python -m collapse_lib.notebooks book/kde.py -f params/paper.yml --allow-long   # a run of hours
    python -m collapse_lib.notebooks --summary --since EPOCH           # the times of a build

A parameter file maps chapter names (the source's stem) to their parameters; a file
without chapter keys is applied as it is. Parameters are received strictly: a name that the
chapter's ``parameters`` cell does not define, or a section of a chapter-keyed file that
names no chapter, stops the command with exit code 2 and a message naming the offender and
what is allowed, before anything runs or is written. So does an output path that is not a
regular file or a new path (a folder, a device), or a folder that cannot be written. The
executed notebook is written atomically: a failing cell leaves no notebook behind (and the
command exits non-zero).

It says one line per chapter, with its time (and records it in ``_build/chapter-times.tsv``
for ``--summary``, which ``make book`` prints at the end). The kernel talks to it over local
IPC sockets, not TCP: nothing listens on a network port, and the kernel has no transport
warning to print.

The executed notebook is what the book offers for download and what papermill re-runs: its
progress bars (the stderr of tqdm, and progress widgets) are taken out of it
(:func:`strip_progress`); any other stderr (a warning) and every error stay.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .chapters import chapter_source, check_chapter_params, load_params
from .files import ROOT, atomic_write, target_problem
from .validation import ALLOW_LONG_ENV, ParameterError, format_duration

__all__ = ["execute_chapter", "strip_progress", "check_output", "main", "TIMES"]

#: Where the chapter runner records each chapter's time (for ``--summary``).
TIMES = ROOT / "_build" / "chapter-times.tsv"


@functools.cache
def _ipc_manager() -> type:
    """A kernel manager whose kernels use local IPC sockets (in a private temporary folder)
    instead of TCP on localhost: no port is opened, and ipykernel has nothing to warn about."""
    from jupyter_client import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            self._ipc_folder = tempfile.TemporaryDirectory(prefix="collapse-kernel-")
            self.ip = os.path.join(self._ipc_folder.name, "kernel")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                self._ipc_folder.cleanup()

    return IPCKernelManager


def check_output(path: str | os.PathLike[str], name: str = "-o") -> None:
    """Refuse, before anything runs, an output path the executed notebook must not replace
    (a folder, a device, a fifo) or a folder it cannot be written to."""
    path = Path(path)
    problem = target_problem(path)
    if problem:
        raise ParameterError(f"{name} {str(path)!r}: {problem}")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"{name} {str(path)!r}: the folder {parent} cannot be written")


def execute_chapter(source: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                    parameters: dict[str, Any] | None = None, *, kernel: str = "python3",
                    progress: bool = False) -> Path:
    """Convert ``source`` with jupytext, run it with papermill, write ``output`` atomically.

    The notebook runs with the chapter's folder as working directory (as in the built
    book and in Binder), in a kernel reached over IPC sockets; its progress bars are stripped
    (:func:`strip_progress`). Raises :class:`~collapse_lib.validation.ParameterError` before
    running when ``output`` is not a regular file or a new path, and
    ``papermill.PapermillExecutionError`` on a failing cell.
    """
    import jupytext
    import papermill as pm

    source = Path(source).resolve()
    output = Path(output).resolve() if output else source.with_suffix(".ipynb")
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    check_chapter_params(source, parameters or {})
    check_output(output)
    with tempfile.TemporaryDirectory() as tmp:
        src_nb = Path(tmp) / (source.stem + ".ipynb")
        jupytext.write(notebook, src_nb)

        def run(partial: Path) -> None:
            pm.execute_notebook(str(src_nb), str(partial), parameters=parameters or {}, kernel_name=kernel,
                                cwd=str(source.parent), progress_bar=progress,
                                kernel_manager_class=_ipc_manager())
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


def _record(chapter: str, seconds: float, status: str) -> None:
    """Append a chapter's time to :data:`TIMES` (best effort: a build never fails for it)."""
    try:
        TIMES.parent.mkdir(parents=True, exist_ok=True)
        with open(TIMES, "a") as fh:
            fh.write(f"{time.time():.0f}\t{chapter}\t{seconds:.1f}\t{status}\n")
    except OSError:
        pass


def summary(since: float = 0.0, path: Path = TIMES) -> str:
    """The chapters executed since ``since`` (epoch seconds) and their times, in one line."""
    runs: dict[str, tuple[float, str]] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 4 and float(parts[0]) >= since:
            runs[parts[1]] = (float(parts[2]), parts[3])
    if not runs:
        return "chapters: every executed notebook is up to date (nothing ran)"
    total = sum(t for t, _ in runs.values())
    failed = sorted(c for c, (_, s) in runs.items() if s != "ok")
    slowest = sorted(runs.items(), key=lambda item: -item[1][0])[:3]
    words = ", ".join(f"{c} {format_duration(t)}" for c, (t, _) in slowest)
    out = (f"chapters: {len(runs)} executed in {format_duration(total)} (slowest: {words})")
    if failed:
        out += f"; failed: {', '.join(failed)}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", help="chapter sources (book/*.py)")
    parser.add_argument("-o", "--output", help="output notebook (one source only); default: beside the source")
    parser.add_argument("-d", "--output-dir", help="folder for the executed notebooks")
    parser.add_argument("-f", "--parameters-file", help="YAML parameters, keyed by chapter name")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="one parameter (YAML value), overrides the file")
    parser.add_argument("--allow-long", action="store_true",
                        help=f"let grids estimated to take hours run (sets {ALLOW_LONG_ENV}=1 for the chapters)")
    parser.add_argument("--summary", action="store_true", help="print the chapters run since --since, and their times")
    parser.add_argument("--since", type=float, default=0.0, help="with --summary: epoch seconds (make book's start)")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(args.since))
        return 0
    if not args.sources:
        parser.error("give at least one chapter source (book/*.py)")
    if args.output and len(args.sources) > 1:
        parser.error("-o needs exactly one source")
    runs = []
    try:  # every chapter's parameters and output are checked before any chapter runs
        if args.parameters_file is not None and not Path(args.parameters_file).is_file():
            raise ParameterError(f"-f: no parameter file {args.parameters_file!r}")
        if args.output_dir and Path(args.output_dir).exists() and not Path(args.output_dir).is_dir():
            raise ParameterError(f"-d {args.output_dir!r}: a file, not a folder")
        for src in args.sources:
            path = chapter_source(src)
            params = load_params(args.parameters_file, path.stem)
            params.update({k: _parse_value(v) for k, v in args.parameter})
            check_chapter_params(path, params)
            out = Path(args.output) if args.output else (
                Path(args.output_dir) / (path.stem + ".ipynb") if args.output_dir else path.with_suffix(".ipynb"))
            check_output(out, "-o" if args.output else "output")
            runs.append((path, params, out))
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.allow_long:
        os.environ[ALLOW_LONG_ENV] = "1"
    width = max(len(p.stem) for p, _, _ in runs)
    tty = sys.stdout.isatty()
    for path, params, out in runs:
        started = time.perf_counter()
        if tty:
            print(f"{path.stem:<{width}}  ...", end="", flush=True)
        try:
            result = execute_chapter(path, out, params)
        except Exception as err:
            seconds = time.perf_counter() - started
            _record(path.stem, seconds, "failed")
            print(f"{chr(13) if tty else ''}{path.stem:<{width}}  failed after {format_duration(seconds)}: "
                  f"{_failure(err)}", flush=True)
            trace = getattr(err, "traceback", None)
            if trace:
                print(_ANSI_CONTROL.sub("", "\n".join(trace)), file=sys.stderr)
            return 1
        seconds = time.perf_counter() - started
        _record(path.stem, seconds, "ok")
        shown = f"{params}" if params else "default parameters"
        print(f"{chr(13) if tty else ''}{path.stem:<{width}}  {format_duration(seconds):>7}  -> {_shown(result)}"
              f"  ({shown})", flush=True)
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _failure(err: BaseException) -> str:
    """A failing chapter in one line: the error of its cell (papermill's own message is a
    page of traceback, kept in nothing since the notebook is not written)."""
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(err).__name__}: {err}"


if __name__ == "__main__":
    sys.exit(main())
