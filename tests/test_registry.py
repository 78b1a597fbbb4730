"""The shape of the library: a setting is one folder reached through the registry; the import
graph has no cycle and no arrow from the machinery up into a setting; the code fingerprint
covers what can change a setting's numbers and nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import collapse_lib as cl
from collapse_lib import registry

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "collapse_lib"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The collapse_lib modules a file imports, anywhere in its body (resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("collapse_lib")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if not base.startswith("collapse_lib"):
                continue
            candidates = [f"{base}.{a.name}" for a in node.names]
            found |= {c for c in candidates if c in MODULES} or {base}
    return {m for m in found if m in MODULES} | {m.rpartition(".")[0] for m in found if m not in MODULES
                                                  and m.rpartition(".")[0] in MODULES}


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {_module_name(p) for p in FILES}
GRAPH = {_module_name(p): _imports(p) - {_module_name(p)} for p in FILES}


def _is_setting(module: str) -> bool:
    return module.startswith("collapse_lib.settings.")


def test_the_import_graph_has_no_cycle():
    """Every import, at the top or inside a function (python -m pytest tests/test_registry.py
    shows the offending chain if one appears)."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if _is_package_init(nxt) and nxt in path[-1:]:
                continue
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(GRAPH):
        if state.get(module) is None:
            visit(module, [module])


def _is_package_init(module: str) -> bool:
    return (ROOT / Path(*module.split(".")) / "__init__.py").exists()


def test_no_arrow_from_the_machinery_up_into_a_setting():
    """Modules outside collapse_lib/settings reach settings through the registry (by name, at
    run time), never by importing them."""
    offenders = {m: sorted(i for i in imports if _is_setting(i))
                 for m, imports in GRAPH.items() if not _is_setting(m) and m != "collapse_lib.settings"}
    assert not {m: v for m, v in offenders.items() if v}


def test_no_module_outside_a_setting_tests_a_setting_name():
    """No if-chain or string test on a registered setting's name outside its own folder."""
    names = set(registry.SETTINGS)
    bad = []
    for path in FILES:
        if _is_setting(_module_name(path)) or path.name == "registry.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
                hit = names & {c for c in consts if isinstance(c, str)}
                if hit:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {sorted(hit)}")
    assert not bad, bad


def test_every_setting_is_a_folder_with_its_parts():
    for name, module in registry.SETTINGS.items():
        folder = ROOT / Path(*module.split(".")[:-1])
        assert folder.is_dir() and (folder / "__init__.py").exists(), name
        assert registry.get_setting(name).name == name
        for part in ("theory", "reference", "claims"):
            assert registry.part(name, part) is not None or part == "theory", (name, part)


@pytest.mark.parametrize("name", sorted(registry.SETTINGS))
def test_the_fingerprint_covers_the_model_and_the_machinery_only(name):
    modules = set(registry.source_modules(name))
    assert registry.SETTINGS[name] in modules and "collapse_lib.simulate" in modules
    never = {"collapse_lib.validation", "collapse_lib.registry", "collapse_lib.plotting", "collapse_lib.claims",
             "collapse_lib.verdicts", "collapse_lib.theory", "collapse_lib.stats", "collapse_lib.tables",
             "collapse_lib.chapters", "collapse_lib.notebooks", "collapse_lib.store", "collapse_lib.grid"}
    assert not modules & never, modules & never
    folder = registry.SETTINGS[name].rpartition(".")[0]
    assert not modules & {f"{folder}.{p}" for p in ("theory", "reference", "claims")}
    other = {m for m in modules if _is_setting(m) and not m.startswith(folder)}
    assert not other, other  # another setting's model is not part of this one's numbers


def test_editing_a_model_stales_only_its_setting_and_nothing_else_stales_any(monkeypatch):
    before = {name: cl.fingerprint(name) for name in cl.SETTINGS}
    real = registry.source_digest
    for edited in ("collapse_lib.validation", "collapse_lib.settings.gaussian.claims",
                   "collapse_lib.settings.gaussian.theory", "collapse_lib.plotting", "collapse_lib.verdicts"):
        monkeypatch.setattr(registry, "source_digest",
                            lambda modules, e=edited: real(modules) + ("-edited" if e in modules else ""))
        registry._fingerprint.cache_clear()
        assert {name: cl.fingerprint(name) for name in cl.SETTINGS} == before, edited
    monkeypatch.setattr(registry, "source_digest", lambda modules: real(modules) + (
        "-edited" if "collapse_lib.settings.gaussian.model" in modules else ""))
    registry._fingerprint.cache_clear()
    after = {name: cl.fingerprint(name) for name in cl.SETTINGS}
    assert after["gaussian"] != before["gaussian"]
    assert all(after[k] == before[k] for k in cl.SETTINGS if k != "gaussian")
    registry._fingerprint.cache_clear()
