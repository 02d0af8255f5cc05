"""The package layout shows the flow: every import points down the stages, and none goes round.

Read from the source (every ``import`` and ``from ... import`` of ``wiretrace``, at module level or
inside a function: an import deferred into a function still ties the two modules together).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import wiretrace

SRC = Path(wiretrace.__file__).parent

# Layers, lowest first: a module may import its own layer's modules and those of the layers below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model", "errors", "config"),
    ("text", "ingest"),
    ("clean", "sketch", "embed"),
    ("candidates", "align"),
    ("relate",),
    ("stories", "stories_kept", "trace"),
    ("stages",),
    ("report",),
    ("engine",),
    ("app",),
)
LAYER = {name: n for n, names in enumerate(LAYERS) for name in names}
TOP = ("wiretrace", "wiretrace.__main__")  # the public API and ``python -m wiretrace``: over everything


def _modules() -> dict[str, Path]:
    out = {}
    for f in SRC.rglob("*.py"):
        parts = list(f.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the wiretrace modules it imports (a name imported from a package counts as the
    package's submodule when there is one)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("wiretrace"):
                assert node.module is not None
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                targets = [f"relative import in {mod}"]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("wiretrace")]
            for t in targets:
                while t not in modules and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t != mod:
                    graph[mod].add(t)
    return graph


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYER.get(parts[1]) if len(parts) > 1 else None


def test_every_module_sits_in_a_layer() -> None:
    homeless = sorted(m for m in _modules() if m not in TOP and _layer(m) is None)
    assert not homeless, f"modules outside the layers of tests/test_layout.py (add them to LAYERS): {homeless}"


def test_imports_are_absolute() -> None:
    relative = sorted(t for deps in _imports(_modules()).values() for t in deps if t.startswith("relative import"))
    assert not relative, relative


def test_no_import_cycles() -> None:
    graph = _imports(_modules())
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None


def test_imports_point_down_the_stages() -> None:
    upward = []
    for mod, deps in _imports(_modules()).items():
        here = _layer(mod)
        if here is None:  # TOP
            continue
        for dep in deps:
            there = _layer(dep)
            if there is not None and there > here:
                upward.append(f"{mod} imports {dep} ({LAYERS[there][0]}... sits above {LAYERS[here][0]}...)")
    assert not upward, "\n".join(sorted(upward))
