"""The registry of settings, beside the protocol of :mod:`collapse_lib.setting`.

:data:`SETTINGS` names every setting and the module of its folder that defines ``SETTING``
(its model). Adding a setting is its folder ``collapse_lib/settings/<name>/`` plus one line
here; everything else reaches settings through the functions below, never by testing a
setting's name:

* :func:`get_setting` -- the :class:`~collapse_lib.setting.Setting` (the model);
* :func:`part` -- another module of the setting's folder: ``theory``, ``reference``
  (the paper's numbers with their provenance) or ``claims``;
* :func:`fingerprint` -- a short hash of everything that can change a setting's numbers:
  the source of its model and of the machinery it runs through, and the versions of the
  packages whose random streams it uses. The result store keys on it, so a change to a
  setting's model makes its stored results stale, and a change to its theory, its claims,
  a validation message, plotting or a chapter does not.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from .setting import Setting
from .validation import ParameterError, check_choice, did_you_mean

__all__ = ["SETTINGS", "get_setting", "check_params", "part", "setting_names", "fingerprint", "source_modules",
           "dependency_versions", "source_digest"]

#: Setting name -> the module of its folder that defines ``SETTING`` (its model).
SETTINGS: dict[str, str] = {
    "gaussian": "collapse_lib.settings.gaussian.model",
    "kde": "collapse_lib.settings.kde.model",
    "lm": "collapse_lib.settings.lm.task",
    "linear_regression": "collapse_lib.settings.linear_regression.model",
    "discrete": "collapse_lib.settings.discrete.model",
    "logistic_regression": "collapse_lib.settings.logistic_regression.model",
}


def setting_names() -> list[str]:
    """The registered settings, in the order of :data:`SETTINGS`."""
    return list(SETTINGS)


def get_setting(name: Any) -> Setting:
    """Return the :class:`Setting` called ``name`` (raises naming the known settings)."""
    check_choice("setting", name, tuple(SETTINGS))
    return importlib.import_module(SETTINGS[name]).SETTING


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
        hint = did_you_mean(unknown[0], allowed)
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


def part(name: str, which: str) -> ModuleType | None:
    """The module ``which`` (``"theory"``, ``"reference"``, ``"claims"``) of setting ``name``'s
    folder, or None where the setting has none."""
    check_choice("setting", name, tuple(SETTINGS))
    package = SETTINGS[name].rpartition(".")[0]
    try:
        return importlib.import_module(f"{package}.{which}")
    except ModuleNotFoundError as err:
        if err.name != f"{package}.{which}":
            raise
        return None


# --- the code fingerprint --------------------------------------------------------------------

_PACKAGE = "collapse_lib"
#: The machinery every run goes through (the dispatch, the loop, the checks).
_MACHINERY = ("collapse_lib.simulate",)
#: Modules that cannot change a setting's numbers although settings import them: the
#: registry (adding a setting must not make every other setting's results stale) and the
#: parameter checks (their messages; the checked values themselves are part of every key).
_NOT_NUMBERS = frozenset({"collapse_lib.settings", "collapse_lib.registry", "collapse_lib.validation"})


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
