"""Execute the book's chapters: jupytext source -> papermill -> executed ``.ipynb``.

Used by ``make book`` / ``make chapter`` and by the tests; never imported by a chapter.

    python -m collapse_lib.notebooks book/gaussian.py                  # default parameters
    python -m collapse_lib.notebooks book/gaussian.py -f tests/params/smoke.yml -o /tmp/g.ipynb
    python -m collapse_lib.notebooks book/gaussian.py -p n_generations 300 -p seeds 1000

A parameter file maps chapter names (the source's stem) to their parameters; a file
without chapter keys is applied as it is. The executed notebook is written atomically:
a failing cell leaves no notebook behind (and the command exits non-zero).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_params", "execute_chapter", "chapter_sources", "main"]

ROOT = Path(__file__).resolve().parent.parent


def chapter_sources(book_dir: Path = ROOT / "book") -> list[Path]:
    """The executable chapters: jupytext percent ``.py`` files in ``book/``."""
    return sorted(p for p in book_dir.glob("*.py") if p.read_text().startswith("# ---"))


def load_params(path: str | os.PathLike[str] | None, chapter: str) -> dict[str, Any]:
    """Parameters for ``chapter`` from a YAML file keyed by chapter name (or flat)."""
    if path is None:
        return {}
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    names = {p.stem for p in chapter_sources()}
    if set(data) & names or not data:
        section = data.get(chapter) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{path}: section '{chapter}' must be a mapping")
        return dict(section)
    return dict(data)


def execute_chapter(source: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                    parameters: dict[str, Any] | None = None, *, kernel: str = "python3",
                    progress: bool = False) -> Path:
    """Convert ``source`` with jupytext, run it with papermill, write ``output`` atomically.

    The notebook runs with the chapter's folder as working directory (as in the built
    book and in Binder). Raises ``papermill.PapermillExecutionError`` on a failing cell.
    """
    import jupytext
    import papermill as pm

    source = Path(source).resolve()
    output = Path(output).resolve() if output else source.with_suffix(".ipynb")
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src_nb = Path(tmp) / (source.stem + ".ipynb")
        jupytext.write(notebook, src_nb)
        fd, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.stem}", suffix=".ipynb")
        os.close(fd)
        try:
            pm.execute_notebook(str(src_nb), partial, parameters=parameters or {}, kernel_name=kernel,
                                cwd=str(source.parent), progress_bar=progress)
            os.replace(partial, output)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return output


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
    for src in args.sources:
        path = Path(src)
        params = load_params(args.parameters_file, path.stem)
        params.update({k: _parse_value(v) for k, v in args.parameter})
        out = Path(args.output) if args.output else (
            Path(args.output_dir) / (path.stem + ".ipynb") if args.output_dir else None)
        started = time.perf_counter()
        print(f"executing {src} {params or ''}", file=sys.stderr, flush=True)
        result = execute_chapter(path, out, params)
        print(f"  -> {result} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
