"""The setting protocol and the registry of settings (chapter *How to run this book*).

A *setting* (a task of the paper: Gaussian estimation, kernel density estimation, ...) is
one module in :mod:`collapse_lib.settings` that defines ``SETTING``, a :class:`Setting`:

* ``name``, ``params`` (each a :class:`Param`: a checker from :mod:`collapse_lib.validation`
  and a default) and ``metrics`` (the columns it records per seed and generation);
* ``task(params) -> Task``: a fresh task for one chain, the point-by-point reference that
  :func:`~collapse_lib.workflows.run_chain` runs (always present);
* optionally ``fast(workflow, n_generations, seeds, params) -> {metric: (S, T) array}``,
  a batched fast path, with ``fast_exact`` saying whether it draws the same random numbers
  as the reference loop (then the two agree to rounding; otherwise in distribution), and
  ``fast_options`` naming the workflow options beyond the paper it supports.

:func:`~collapse_lib.simulate.simulate` owns the dispatch between the two. Adding a setting
is one module plus one line in :data:`collapse_lib.settings.SETTINGS`; every other part of the library reaches
settings only through :func:`get_setting`.

:func:`fingerprint` hashes the source of everything that can change a setting's numbers
(its module, the modules it imports from this package, the simulation machinery) and the
versions of the packages whose random streams it uses: the result store keys on it, so a
change to a setting makes its stored results stale, and a change to plotting or a chapter
does not.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .settings import SETTINGS
from .validation import ParameterError, check_choice

__all__ = ["Param", "Setting", "SETTINGS", "get_setting", "check_params", "fingerprint",
           "dependency_versions", "source_digest", "source_modules", "task_threads", "limit_threads"]


@dataclass(frozen=True)
class Param:
    """One parameter of a setting: its checker (``check(name, value) -> value``) and default."""

    check: Callable[[str, Any], Any]
    default: Any = None
    doc: str = ""
    required: bool = False


#: ``fast(workflow, n_generations, seeds, params)`` -> metric arrays of shape (S, T).
FastPath = Callable[[str, int, list[int], dict[str, Any]], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Setting:
    """A task-setting: what :func:`~collapse_lib.simulate.simulate` needs to run it.

    ``validate(values)`` checks combinations of parameters (after each one's own check);
    ``validate_run(workflow, n_generations, values)`` what depends on the run as well.
    ``finish(arrays, params, n_generations)`` adjusts the metric arrays of either path
    (flags such as ``singular``, metrics undefined at some generations). ``may_be_nan``:
    metrics that are legitimately missing somewhere (everything else must be finite).
    ``columns``: extra per-row columns the setting returns besides its metrics.
    ``memory(workflow, n_generations, n_seeds, params)``: bytes the run needs beyond its
    output, so that an impossible run fails at once. ``dependencies``: packages whose
    versions can change the numbers (numpy is always one). ``mixing_task(params)``: the task
    of the one-generation experiment of chapter *The value of synthetic data*, when the
    setting takes part in it.
    """

    name: str
    params: Mapping[str, Param]
    metrics: tuple[str, ...]
    task: Callable[[dict[str, Any]], Any]
    fast: FastPath | None = None
    fast_exact: bool = True
    fast_options: frozenset[str] = frozenset()
    validate: Callable[[dict[str, Any]], None] | None = None
    validate_run: Callable[[str, int, dict[str, Any]], None] | None = None
    finish: Callable[[dict[str, np.ndarray], dict[str, Any], int], dict[str, np.ndarray]] | None = None
    may_be_nan: frozenset[str] = frozenset()
    columns: tuple[str, ...] = ()
    memory: Callable[[str, int, int, dict[str, Any]], float] | None = None
    dependencies: tuple[str, ...] = ()
    mixing_task: Callable[[dict[str, Any]], Any] | None = None
    doc: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def uses_fast_path(self, options: Mapping[str, Any]) -> bool:
        """Whether a run with these workflow ``options`` goes through the fast path."""
        if self.fast is None:
            return False
        active = {k for k, v in options.items() if v}
        return active <= self.fast_options


def get_setting(name: Any) -> Setting:
    """Return the :class:`Setting` called ``name`` (raises naming the known settings)."""
    check_choice("setting", name, tuple(SETTINGS))
    return importlib.import_module(SETTINGS[name]).SETTING


def _close_names(name: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_params(setting: Setting | str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` for ``setting``: unknown names, each value, then combinations.

    Returns every parameter with the defaults filled in. An unknown or misspelt name
    raises :class:`~collapse_lib.validation.ParameterError` naming it and listing the
    allowed ones.
    """
    spec = get_setting(setting) if isinstance(setting, str) else setting
    unknown = sorted(set(params) - set(spec.params))
    if unknown:
        allowed = sorted(spec.params)
        hint = _close_names(unknown[0], allowed)
        raise ParameterError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for setting "
                             f"'{spec.name}'{hint}; allowed: {', '.join(allowed)}")
    out: dict[str, Any] = {}
    for name, param in spec.params.items():
        if name in params:
            out[name] = param.check(name, params[name])
        elif param.required:
            raise ParameterError(f"setting '{spec.name}' needs parameter '{name}' ({param.doc})")
        else:
            out[name] = param.default
    if spec.validate is not None:
        spec.validate(out)
    return out


# --- threads within one task ---------------------------------------------------------------

_THREADS: list[int] = []


def task_threads() -> int:
    """Threads a setting may use for independent seeds within one task: at most 4 and at
    most the machine's cores, and 1 on a worker of a cluster (see :func:`limit_threads`)."""
    import os

    if _THREADS:
        return _THREADS[-1]
    return max(1, min(4, os.cpu_count() or 1))


class limit_threads:
    """Within the block, :func:`task_threads` is ``n`` (a cluster's worker runs one task on
    one core: more threads would only compete with the other workers)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __enter__(self) -> None:
        _THREADS.append(self.n)

    def __exit__(self, *exc: object) -> None:
        _THREADS.pop()


# --- the code fingerprint --------------------------------------------------------------------

_PACKAGE = "collapse_lib"
#: The machinery every run goes through (the dispatch, the loop, the checks).
_MACHINERY = ("collapse_lib.simulate",)
#: Modules that cannot change a setting's numbers although settings import them: the
#: registry (adding a setting must not make every other setting's results stale).
_NOT_NUMBERS = frozenset({"collapse_lib.settings"})


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ModuleNotFoundError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(name: str, path: Path) -> set[str]:
    """The modules of this package that the module ``name`` imports (anywhere in its body)."""
    stat = path.stat()
    return set(_parsed_imports(name, path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _parsed_imports(name: str, path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """:func:`_imports`, parsed once per version of the file (listing a store asks for the
    fingerprint of every entry)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == _PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                if node.level else (node.module or "")
            if base.split(".")[0] != _PACKAGE:
                continue
            found.add(base)
            spec = importlib.util.find_spec(base)
            if spec is not None and spec.submodule_search_locations:  # ``from . import data``
                found.update(f"{base}.{a.name}" for a in node.names if _module_file(f"{base}.{a.name}"))
    return frozenset(found)


def source_modules(name: str) -> list[str]:
    """The modules whose source can change the numbers of setting ``name``, sorted.

    The setting's module, the simulation machinery, and every module of this package they
    import, transitively (parsed, not imported). Plotting, the chapters, the store and the
    grid runner are not among them unless a setting imports them.
    """
    check_choice("setting", name, tuple(SETTINGS))
    todo = [SETTINGS[name], *_MACHINERY]
    seen: dict[str, Path] = {}
    while todo:
        mod = todo.pop()
        if mod in seen or mod in _NOT_NUMBERS:
            continue
        path = _module_file(mod)
        if path is None:
            continue
        seen[mod] = path
        todo.extend(_imports(mod, path) - set(seen))
    return sorted(seen)


def dependency_versions(setting: Setting) -> dict[str, str]:
    """Versions of the packages whose behaviour can change ``setting``'s numbers."""
    names = ("numpy", *setting.dependencies)
    out = {}
    for pkg in names:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@functools.lru_cache(maxsize=32)
def _fingerprint(name: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(source_digest(source_modules(name)).encode())
    for pkg, version in sorted(dependency_versions(get_setting(name)).items()):
        digest.update(f"{pkg}=={version}\0".encode())
    return digest.hexdigest()[:16]


def source_digest(modules: list[str]) -> str:
    """A short hash of the source files of ``modules`` (and nothing else)."""
    digest = hashlib.sha256()
    for mod in sorted(modules):
        path = _module_file(mod)
        if path is None:
            raise ValueError(f"no source file for module {mod!r}")
        digest.update(mod.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def fingerprint(name: str) -> str:
    """A short hash of the code and package versions behind setting ``name``'s numbers.

    Computed from the source files themselves (see :func:`source_modules`): editing any of
    them changes it; nothing needs a version number bumped by hand.
    """
    mods = source_modules(name)
    stamp = tuple((m, p.stat().st_mtime_ns, p.stat().st_size)
                  for m in mods if (p := _module_file(m)) is not None)
    return _fingerprint(name, stamp)
