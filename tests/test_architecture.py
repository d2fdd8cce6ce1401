"""The package's shape, read from the code's own imports (every import, function-level ones too).

1. No import cycles between modules.
2. No feature imports another feature's routes: features meet through services and signals.
3. Only the journal package touches the journal's models (export code goes through its services).
4. Foundations import no feature: a feature may build on them, never the other way round.
"""
import ast
from functools import cache
from pathlib import Path

import network

PACKAGE_DIR = Path(network.__file__).resolve().parent

FEATURES = ("auth", "people", "journal", "forum", "moderation", "notifications", "programme", "admin", "core", "demo",
            "events", "messages", "twofactor", "privacy", "backup")
FOUNDATIONS = ("extensions", "text", "timeutil", "urls", "config", "mail", "schema",
               "inputs", "forms", "locks", "budget", "labels", "search", "personal_data")
JOURNAL_MODELS = "network.journal.models"
# Loads every model so Alembic and the mappers see the whole schema; reads no journal data.
MODEL_REGISTRY = "network.models"


def module_name(path: Path) -> str:
    parts = ("network", *path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_nodes(tree: ast.AST):
    """Every import statement, at any depth, except those only type checkers run."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def resolve(importer: str, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> set[str]:
    """The package's modules an import statement loads (``from a import b`` is a.b when b is a module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = importer if known[importer].name == "__init__.py" else importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """For each module of the package, the package's modules it imports."""
    known = modules()
    graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for node in import_nodes(tree):
            targets |= {t for t in resolve(name, node, known) if t in known and t != name}
        graph[name] = frozenset(targets)
    return graph


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative depth-first search: the graph is deep enough to make recursion fragile.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def edges():
    for importer, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            yield importer, target


# The reader itself ---------------------------------------------------------------------------------

def test_the_reader_sees_top_level_function_level_and_relative_imports():
    graph = import_graph()
    assert "network.journal.services" in graph["network.journal.routes"]  # from network.journal import services
    assert "network.auth.commands" in graph["network.setup"]  # imported inside register_commands()
    assert "network.setup" in graph["network"]  # imported inside create_app()
    tree = ast.parse("from . import services\nfrom .models import Post\nfrom .. import text\n")
    known = {"network.forum": Path("__init__.py"), "network.forum.routes": Path("routes.py"),
             "network.forum.services": Path("services.py"), "network.forum.models": Path("models.py"),
             "network": Path("__init__.py"), "network.text": Path("text.py")}
    resolved = set().union(*(resolve("network.forum.routes", node, known) for node in import_nodes(tree)))
    assert resolved == {"network.forum.services", "network.forum.models", "network.text"}


def test_the_cycle_finder_finds_loops_and_only_loops():
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) == [
        ["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset(), "c": frozenset({"a", "b"})}) == []


# The rules ------------------------------------------------------------------------------------------

def test_no_import_cycles_between_modules():
    found = cycles(import_graph())
    assert not found, "modules importing each other:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_no_feature_imports_another_features_routes():
    crossing = [(importer, target) for importer, target in edges()
                if target.endswith(".routes") and feature_of(importer) and feature_of(target)
                and feature_of(importer) != feature_of(target)]
    assert not crossing, "\n".join(f"{importer} imports {target}" for importer, target in crossing)


def test_only_the_journal_package_touches_the_journal_models():
    touching = [importer for importer, target in edges()
                if target == JOURNAL_MODELS and feature_of(importer) != "journal" and importer != MODEL_REGISTRY]
    assert not touching, "\n".join(f"{importer} imports {JOURNAL_MODELS}" for importer in touching)


def test_foundations_import_no_feature():
    foundations = {f"network.{name}" for name in FOUNDATIONS}
    assert foundations & set(modules()) >= {"network.extensions", "network.text", "network.timeutil", "network.labels"}
    leaking = [(importer, target) for importer, target in edges()
               if importer.split(".")[:2] in [f.split(".") for f in foundations] and feature_of(target)]
    assert not leaking, "\n".join(f"{importer} imports {target}" for importer, target in leaking)
