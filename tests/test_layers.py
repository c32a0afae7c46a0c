"""The folders of app/ are its layers: a module imports only from its own folder or from a
layer below, and no module imports itself back through others.

`python -m tests.test_layers` prints the import graph between the folders as a Mermaid
diagram (CONTRIBUTING.md shows it); the tests below keep it true.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

LAYERS: dict[str, int] = {
    "app.main": 7,
    "app.cli": 7,
    "app.routes": 6,
    "app.http": 5,
    "app.fhir": 5,
    "app.reads": 4,
    "app.writes": 4,
    "app.search": 3,
    "app.store": 2,
    "app.models": 1,
    "app.errors": 1,
    "app.config": 1,
}
"""Each folder (or top-level module) and its floor, top down. Folders on one floor (reads and
writes) do not import each other."""


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def imports() -> dict[str, set[str]]:
    """Each module of app/ (migrations aside) and the app modules it imports."""
    paths = [path for path in sorted(APP.rglob("*.py")) if "migrations" not in path.parts]
    known = {module_name(path) for path in paths}
    found: dict[str, set[str]] = {}
    for path in paths:
        name = module_name(path)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module != "app" and not node.module.startswith("app."):
                    continue
                for alias in node.names:  # a module of a package, or a name in a module
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in known else node.module)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name.startswith("app.")}
        found[name] = targets
    return found


def folder_edges() -> dict[tuple[str, str], int]:
    """(importing layer, imported layer) -> how many module imports cross that way."""
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for module, targets in imports().items():
        for target in targets:
            if layer_of(module) != layer_of(target):
                edges[layer_of(module), layer_of(target)] += 1
    return dict(edges)


def test_every_module_of_app_belongs_to_a_layer() -> None:
    unplaced = {layer_of(module) for module in imports()} - set(LAYERS) - {"app"}
    assert unplaced == set()


def test_imports_only_go_down_a_layer() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in imports().items()
        for target in targets
        if layer_of(module) != layer_of(target)
        and LAYERS.get(layer_of(module), 0) <= LAYERS[layer_of(target)]
    ]
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    graph = imports()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def mermaid() -> str:
    """The import graph between the layers, top down, as Mermaid."""
    lines = ["```mermaid", "flowchart TD"]
    names = {layer: layer.removeprefix("app.") for layer in LAYERS}
    for (importer, imported), count in sorted(
        folder_edges().items(), key=lambda item: (-LAYERS[item[0][0]], -LAYERS[item[0][1]])
    ):
        lines.append(f"    {names[importer]} -->|{count}| {names[imported]}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
