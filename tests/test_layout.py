"""The package's layers import only from the layers before them (the order data flows).

scenario -> model -> montecarlo -> analysis -> views -> cli; ``basesim.errors``
and ``basesim._version`` are the foundation every layer may use. The check reads
every module's imports with :mod:`ast` (including those inside functions and
``TYPE_CHECKING`` blocks) and also finds import cycles between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "basesim"
LAYERS = ["scenario", "model", "montecarlo", "analysis", "views", "cli"]
FOUNDATION = {"basesim.errors", "basesim._version"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str) -> set[str]:
    """Every ``basesim`` module a source imports (``from basesim.x import y`` counts ``basesim.x.y`` if a module)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("basesim")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("basesim"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
    return found


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}
IMPORTS = {module_name(p): imported_modules(p.read_text()) for p in FILES}


def test_every_module_lives_in_a_layer():
    top = {m for m in MODULES if layer(m) is None} - FOUNDATION - {"basesim", "basesim.__main__"}
    assert not top, f"modules outside the layers: {sorted(top)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) is not None))
def test_imports_point_back_along_the_data_flow(module):
    upward = upward_imports(module, IMPORTS[module])
    assert not upward, f"{module} ({LAYERS[layer(module)]}) imports from a later layer: {upward}"


def test_no_import_cycles():
    def resolve(name: str) -> str:  # a package import means its __init__
        return name if name in MODULES else name.rsplit(".", 1)[0]

    graph = {m: {resolve(i) for i in IMPORTS[m]} - {m} for m in MODULES}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            # a package's __init__ re-exporting its own modules is not a cycle of the code
            if not all(c.startswith(cycle[0] + ".") or cycle[0].startswith(c) for c in cycle[1:]):
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        done.add(node)

    for module in sorted(MODULES):
        visit(module, [])


def upward_imports(module: str, imports: set[str]) -> list[str]:
    own = layer(module)
    return sorted(m for m in imports if m not in FOUNDATION and (layer(m) is None or layer(m) > own))


def test_the_check_catches_an_upward_import():
    """The rule is not vacuous: a schema importing the runner, even for type checking only, is caught."""
    source = (PACKAGE / "scenario" / "schema.py").read_text()
    probe = source + "\nif TYPE_CHECKING:\n    from basesim.montecarlo.runner import run\n"
    assert upward_imports("basesim.scenario.schema", imported_modules(source)) == []
    assert upward_imports("basesim.scenario.schema", imported_modules(probe)) == ["basesim.montecarlo.runner"]
