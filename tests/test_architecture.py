"""The layout holds: no import cycles, models never imports bridge, serving stays clear of training, small modules.

Imports are read with ``ast`` from every module of ``bridge/`` and ``models/``. An import inside a
function counts (it forms a cycle at run time all the same); one under ``if TYPE_CHECKING:`` does
not. The code map in docs/architecture.md is checked against the files on disk.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("bridge", "models")
MAX_LINES = 450
# the model worker process; its loader imports the models (inside a function), so they count too
WORKER_ROOTS = ("bridge.jobs.worker",)
DEFAULT_MODEL_WORD = "transformer"  # the default model's family: the worker must be seen to reach it
# training and corpus reading: a module named so (as a path component, or a word of its file name)
TRAINING_WORDS = {"train", "corpora", "data", "evaluate"}
TRAINING_PACKAGES = {"music21"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # a module of ours, or the top-level name of another package
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except the bodies of ``if TYPE_CHECKING:``."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            children = node.orelse
        todo.extend(children)
    return found


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules (``a.b.C`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def _imports(module: str, modules: dict[str, Path]) -> list[Import]:
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b`: the module a.b when there is one, else the names defined in a
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for name in names:
            found.append(Import(module, _ours(name, modules) or name.split(".")[0], node.lineno))
    return found


def _graph() -> tuple[dict[str, Path], dict[str, list[Import]]]:
    modules = _sources()
    return modules, {module: _imports(module, modules) for module in modules}


def _strong_components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def _shortest_cycle(start: str, edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest chain start -> ... -> start inside ``group``."""
    before: dict[str, str] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for child in sorted(edges[node] & group):
            if child == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(before[chain[-1]])
                return [*reversed(chain), start]
            if child not in before:
                before[child] = node
                todo.append(child)
    raise AssertionError(f"{start} is in no cycle")


def _reachable(roots: tuple[str, ...], modules: dict[str, Path], graph: dict[str, list[Import]]) -> dict[str, list[str]]:
    """Each module the roots import, transitively, with the chain that reaches it.

    Importing ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``, so those count too.
    """
    chains = {root: [root] for root in roots if root in modules}
    todo = deque(chains)
    while todo:
        module = todo.popleft()
        targets = [i.target for i in graph[module] if i.target in modules]
        parents = [".".join(t.split(".")[:end]) for t in [module, *targets] for end in range(1, t.count(".") + 1)]
        for target in [*targets, *(p for p in parents if p in modules)]:
            if target not in chains:
                chains[target] = [*chains[module], target]
                todo.append(target)
    return chains


def _is_training(module: str) -> bool:
    words = {word for part in module.split(".") for word in part.split("_")}
    return bool(words & TRAINING_WORDS)


def test_no_import_cycles() -> None:
    modules, graph = _graph()
    edges = {module: {i.target for i in imports if i.target in modules and i.target != module}
             for module, imports in graph.items()}
    cycles = []
    for group in _strong_components(edges):
        if len(group) > 1:
            chain = _shortest_cycle(group[0], edges, set(group))
            cycles.append(f"{len(group)} modules import each other ({', '.join(group)}), e.g. {' → '.join(chain)}")
    assert not cycles, "import cycles (move what both sides need into a module of its own):\n" + "\n".join(cycles)


def test_models_never_import_bridge() -> None:
    _, graph = _graph()
    wrong = [f"{i.source} (line {i.line}) imports {i.target}" for module, imports in graph.items()
             if module.split(".")[0] == "models" for i in imports if i.target.split(".")[0] == "bridge"]
    assert not wrong, "data flows bridge → models, never back:\n" + "\n".join(wrong)


def test_the_model_worker_never_imports_training_or_corpus_code() -> None:
    modules, graph = _graph()
    assert all(root in modules for root in WORKER_ROOTS), f"update WORKER_ROOTS: one of {WORKER_ROOTS} is gone"
    chains = _reachable(WORKER_ROOTS, modules, graph)
    assert any(DEFAULT_MODEL_WORD in module for module in chains), (
        f"the worker's imports no longer reach the default model ({DEFAULT_MODEL_WORD}): import its loader "
        "with an import statement this test can read, or update WORKER_ROOTS")
    wrong = [" → ".join(chain) for module, chain in sorted(chains.items()) if _is_training(module)]
    wrong += [f"{' → '.join(chains[i.source])} → {i.target} (line {i.line})" for module in sorted(chains)
              for i in graph[module] if i.target in TRAINING_PACKAGES]
    assert not wrong, "serving a model reaches training or corpus-reading code:\n" + "\n".join(wrong)


def test_modules_stay_small() -> None:
    modules = _sources()
    sizes = {module: len(path.read_text(encoding="utf-8").splitlines()) for module, path in modules.items()}
    large = [f"{modules[m].relative_to(REPO)}: {n} lines" for m, n in sorted(sizes.items()) if n > MAX_LINES]
    assert not large, f"modules over {MAX_LINES} lines (split them by what they hold):\n" + "\n".join(large)


# -- the code map ---------------------------------------------------------------------------------
# The first column of docs/architecture.md's "Code map" table names files in backticks. A name with
# a "/" is a path from the repository root; a name without one is in the folder of the name before
# it in the same cell ("`bridge/midi/decode.py`, `clock.py`"). A name may hold `*` (`routes_*.py`)
# and must then match at least one file; a name ending in "/" is a folder, which must exist but
# names none of its modules. Every module of bridge/ and models/ but __init__.py and __main__.py
# must be named.


def _code_map_names() -> list[str]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Code map", 1)
    assert len(section) == 2, "docs/architecture.md has no '## Code map' section"
    names = []
    for line in section[1].split("\n## ", 1)[0].splitlines():
        cells = line.strip().strip("|").split("|")
        if not line.startswith("|") or set(cells[0].strip()) <= set("-: "):
            continue
        folder = ""
        for name in re.findall(r"`([^`]+)`", cells[0]):
            if "/" in name.rstrip("/"):
                folder = name if name.endswith("/") else name.rpartition("/")[0] + "/"
                names.append(name)
            else:
                names.append(folder + name)
    return names


def test_code_map_names_every_module_and_only_real_paths() -> None:
    names = _code_map_names()
    missing_paths = [name for name in names if not (
        (REPO / name).is_dir() if name.endswith("/") else [p for p in REPO.glob(name) if p.is_file()])]
    files = {str(p.relative_to(REPO)) for package in PACKAGES for p in (REPO / package).rglob("*.py")
             if p.name not in ("__init__.py", "__main__.py")}
    unnamed = sorted(f for f in files if not any(fnmatch.fnmatchcase(f, name) for name in names))
    problems = [f"names a path that does not exist: {name}" for name in missing_paths]
    problems += [f"does not name {path}" for path in unnamed]
    assert not problems, "docs/architecture.md's code map is out of step with the code:\n" + "\n".join(problems)
