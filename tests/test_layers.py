"""The arrows between the layers of the package, read from the source with ``ast``.

The engine (``skhscore._engine``) is the only code that touches raw arrays and its unit
system; metrics, scoring, selection, the CLI and plots sit above it and read statistics
through their documented view. No import cycle anywhere (imports inside functions count:
a lazy import that dodges a cycle is still a cycle), private scikit-learn names only in
``skhscore/_sklearn_compat.py``, and no module much longer than a screenful of screenfuls.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skhscore"
MAX_LINES = 460
#: What the engine may import from the package besides itself.
ENGINE_MAY_IMPORT = {"skhscore._validation", "skhscore._sklearn_compat"}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path):
    """Every module an ``import`` statement of ``path`` names (at any depth)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _graph():
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for module, names in _imports(path):
            if not module.startswith("skhscore"):
                continue
            for imported in names or []:  # "from skhscore import _engine" names a module
                if f"{module}.{imported}" in modules:
                    targets.add(f"{module}.{imported}")
            if module in modules:
                targets.add(module)
        graph[name] = targets - {name}
    return graph


def test_the_graph_is_read():
    graph = _graph()
    assert "skhscore._engine._statistics" in graph
    assert "skhscore._engine" in graph["skhscore._hscore"]


def test_no_import_cycle():
    graph = _graph()
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycle = stack[stack.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_the_engine_imports_nothing_above_it():
    for name, targets in _graph().items():
        if name == "skhscore._engine" or name.startswith("skhscore._engine."):
            above = {
                t for t in targets if not t.startswith("skhscore._engine")
            } - ENGINE_MAY_IMPORT
            assert not above, f"{name} imports {sorted(above)}"


def test_private_sklearn_names_only_in_the_compat_module():
    for name, path in _modules().items():
        if name == "skhscore._sklearn_compat":
            continue
        for module, names in _imports(path):
            if not module.startswith("sklearn"):
                continue
            private_module = any(part.startswith("_") for part in module.split("."))
            private_names = [n for n in names or [] if n.startswith("_")]
            assert not private_module and not private_names, (
                f"{name} imports {module} {private_names or ''}: import it through "
                "skhscore._sklearn_compat"
            )


def test_metrics_never_read_private_statistics_fields():
    fields = ("._exp", "._global_exp", "._scatter", "._m4", "._m3", "._mean", "._root", "._x.")
    for name, path in _modules().items():
        if name.startswith("skhscore._engine"):
            continue
        source = path.read_text()
        for field in fields:
            assert field not in source, f"{name} reads the engine's private field {field}"


def test_no_module_is_too_long():
    for name, path in _modules().items():
        n_lines = len(path.read_text().splitlines())
        assert n_lines <= MAX_LINES, f"{name} has {n_lines} lines (at most {MAX_LINES})"
