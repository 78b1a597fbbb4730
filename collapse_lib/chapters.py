"""A chapter's parameters: the one parser of its ``parameters`` cell, and the check of what
a chapter receives (chapter *How to run this book*).

* :func:`chapter_sources`, :func:`parameters_cell`, :func:`chapter_parameter_names`,
  :func:`chapter_defaults` and :func:`chapter_comments` read a chapter's source
  (``book/<chapter>.py``, a jupytext percent notebook): its one cell tagged ``parameters``
  holds literal values, each with a comment giving units or allowed values.
* :func:`load_params` reads a parameter file keyed by chapter name
  (``tests/params/smoke.yml``, ``params/paper.yml``); :func:`check_chapter_params` refuses a
  name a chapter does not define; :func:`chapter_values` is a chapter's parameters as a build
  ran them (defaults overlaid by the file).
* :func:`chapter_parameters` is what the cell after ``parameters`` calls, with ``globals()``:
  every parameter checked once, by name, and every name it does not check refused.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .files import ROOT
from .registry import check_params, get_setting
from .validation import ParameterError, did_you_mean

__all__ = ["BOOK", "chapter_sources", "parameters_cell", "chapter_parameter_names", "chapter_defaults",
           "chapter_comments", "load_params", "check_chapter_params", "params_path", "chapter_values",
           "ChapterParameters", "chapter_parameters", "chapter_source"]

#: The folder of the chapter sources.
BOOK = ROOT / "book"


def chapter_sources(book_dir: Path = BOOK) -> list[Path]:
    """The executable chapters: jupytext percent ``.py`` files in ``book/``."""
    return sorted(p for p in book_dir.glob("*.py") if p.read_text().startswith("# ---"))


def _is_chapter(path: Path) -> bool:
    """Whether ``path`` is a chapter source: a jupytext percent ``.py`` notebook."""
    try:
        return path.suffix == ".py" and path.is_file() and path.read_text(encoding="utf-8").startswith("# ---")
    except (OSError, UnicodeDecodeError):
        return False


def _source(chapter: str | os.PathLike[str]) -> Path:
    """A chapter's source: a path to one, or a chapter name (``book/<name>.py``); anything else
    is refused with the list of chapters."""
    path = Path(chapter)
    if path.suffix != ".py" and not path.exists():
        path = BOOK / f"{chapter}.py"
    if not _is_chapter(path):
        names = [p.stem for p in chapter_sources()]
        what = ("is not a chapter source (a jupytext percent notebook book/<chapter>.py)" if Path(chapter).exists()
                else f"names no chapter{did_you_mean(Path(chapter).stem, names)}")
        raise ParameterError(f"{str(chapter)!r} {what}; chapters: {', '.join(names)}")
    return path


def chapter_source(chapter: str | os.PathLike[str]) -> Path:
    """The source of ``chapter`` (a path or a name), refusing anything that is not a chapter
    (:class:`~collapse_lib.validation.ParameterError` listing the chapters)."""
    return _source(chapter)


def parameters_cell(chapter: str | os.PathLike[str]) -> str:
    """The source of the chapter's one cell tagged ``parameters`` (a name or a path)."""
    import jupytext

    source = _source(chapter)
    cells = [c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{source}: expected one cell tagged 'parameters', found {len(cells)}")
    return cells[0].source


def chapter_parameter_names(chapter: str | os.PathLike[str]) -> list[str]:
    """The names the chapter's ``parameters`` cell assigns, in order."""
    return list(chapter_defaults(chapter))


def chapter_defaults(chapter: str | os.PathLike[str]) -> dict[str, Any]:
    """The values of the chapter's ``parameters`` cell (literals, in order)."""
    out: dict[str, Any] = {}
    for node in ast.parse(parameters_cell(chapter)).body:
        if isinstance(node, ast.Assign):
            value = ast.literal_eval(node.value)
            out.update({t.id: value for t in node.targets if isinstance(t, ast.Name)})
    return out


def chapter_comments(chapter: str | os.PathLike[str]) -> dict[str, str]:
    """The comment of each parameter line (its units or allowed values)."""
    out = {}
    for line in parameters_cell(chapter).splitlines():
        match = re.match(r"^(\w+) = .+?  # (.+)$", line)
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


def load_params(path: str | os.PathLike[str] | None, chapter: str) -> dict[str, Any]:
    """Parameters for ``chapter`` from a YAML file keyed by chapter name (or flat).

    A file is keyed by chapter when one of its keys is a chapter name or every value is a
    mapping; then a key that names no chapter is refused (:class:`ParameterError`, naming it
    and the chapters). A file that does not exist, or is not valid YAML, is refused naming
    the file (and the line and column of the error).
    """
    import yaml

    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"parameter file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError(f"parameter file {str(path)!r} cannot be read ({type(err).__name__}: {err})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        begun = getattr(err, "context_mark", None)
        if begun is not None and mark is not None and begun.line != mark.line:
            opened = re.sub(r"^while parsing (an? )?", "the ", getattr(err, "context", None) or "it")
            problem += f"; {opened} began on line {begun.line + 1}"
        raise ParameterError(f"{path}{where}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameters (or of chapter names to parameters)")
    names = sorted(p.stem for p in chapter_sources())
    keyed = bool(set(data) & set(names)) or (bool(data) and all(isinstance(v, dict) for v in data.values()))
    if not keyed:
        return dict(data)
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ParameterError(f"{path}: section(s) {', '.join(map(repr, unknown))} name no chapter"
                             f"{did_you_mean(unknown[0], names)}; chapters: {', '.join(names)}")
    section = data.get(chapter) or {}
    if not isinstance(section, dict):
        raise ParameterError(f"{path}: section '{chapter}' must be a mapping of parameters")
    return dict(section)


def check_chapter_params(source: str | os.PathLike[str], params: Mapping[str, Any]) -> None:
    """Refuse a parameter the chapter's ``parameters`` cell does not define (naming it and
    the chapter's parameters)."""
    allowed = chapter_parameter_names(source)
    unknown = [k for k in params if k not in allowed]
    if unknown:
        raise ParameterError(f"chapter '{Path(source).stem}' has no parameter(s) "
                             f"{', '.join(map(repr, unknown))}{did_you_mean(unknown[0], allowed)}; "
                             f"its parameters: {', '.join(allowed)}")


def params_path(params_file: str | os.PathLike[str] | None) -> Path | None:
    """A parameter file named by a chapter (relative to the repository root); "" means none."""
    if params_file is None or not str(params_file):
        return None
    path = Path(params_file)
    path = path if path.is_absolute() else ROOT / path
    if not path.is_file():
        raise ParameterError(f"parameter 'params_file': no file {str(params_file)!r}")
    return path


def chapter_values(chapter: str, params_file: str | os.PathLike[str] | None = "") -> dict[str, Any]:
    """A chapter's parameters as the build ran it: defaults, overlaid by the chapter's section
    of ``params_file`` ("" for none). ``seeds``-like values stay as written (an int k or a list)."""
    values = chapter_defaults(chapter)
    path = params_path(params_file)
    if path is not None:
        section = load_params(path, chapter)
        check_chapter_params(_source(chapter), section)
        values.update(section)
    return values


class ChapterParameters(SimpleNamespace):
    """A chapter's checked parameters, as attributes (see :func:`chapter_parameters`)."""

    def of(self, setting: str) -> dict[str, Any]:
        """The parameters of ``setting`` among these, checked together by the setting
        (combinations too), with its defaults filled in for the others."""
        names = get_setting(setting).params
        return check_params(setting, {k: v for k, v in vars(self).items() if k in names})


def _literal_cell_names(source: str) -> set[str] | None:
    """Names a cell of plain literal assignments defines (a parameters cell, or the cell
    papermill injects); None for any other cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not all(isinstance(t, ast.Name) for t in node.targets):
            return None
        try:
            ast.literal_eval(node.value)
        except ValueError:
            return None
        names.update(t.id for t in node.targets)
    return names


def chapter_parameters(namespace: Mapping[str, Any], *, setting: str | None = None,
                       **specs: Callable[[str, Any], Any]) -> ChapterParameters:
    """Check a chapter's parameters and return them as attributes (the cell after
    ``parameters`` calls this with ``globals()``).

    Each parameter is named once, here, with its check (``Int(1)``, ``Seeds()`` ...); with
    ``setting``, the parameters of that setting that the chapter defines are checked by the
    setting's own checks. Names that the ``parameters`` cell or papermill's injected cell
    assign but that have no check are refused, naming them and the allowed ones: a
    misspelt ``-p n_generation 2`` fails here instead of running at the defaults.
    """
    checks: dict[str, Callable[[str, Any], Any]] = {}
    if setting is not None:
        checks.update({k: param.check for k, param in get_setting(setting).params.items()
                       if k in namespace and k not in specs})
    checks.update(specs)
    missing = sorted(k for k in specs if k not in namespace)
    if missing:
        raise ParameterError(f"the chapter checks parameter(s) {missing} that its parameters cell does not define")
    history = namespace.get("In")
    if isinstance(history, list) and history:
        assigned: set[str] = set()
        for cell in history[:-1]:  # every cell run so far but this one
            names = _literal_cell_names(cell) if isinstance(cell, str) else None
            assigned |= names or set()
        unknown = sorted(assigned - set(checks))
        if unknown:
            allowed = sorted(checks)
            hints = [f"{u!r}{did_you_mean(u, allowed)}" for u in unknown]
            keyed = [u for u in unknown if isinstance(namespace.get(u), dict)]
            tip = (f"; {keyed[0]!r} holds a mapping: a parameter file keyed by chapter name is read by "
                   "`python -m collapse_lib.notebooks CHAPTER.py -f FILE` (plain papermill takes one "
                   "chapter's section)") if keyed else ""
            raise ParameterError(f"unknown parameter(s) {', '.join(hints)}; this chapter's parameters are: "
                                 f"{', '.join(allowed)}{tip}")
    return ChapterParameters(**{k: check(k, namespace[k]) for k, check in checks.items()})
