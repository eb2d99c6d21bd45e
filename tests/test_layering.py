"""The package's layering: no import cycle between crm_xl's parts, lower layers never reach up."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import crm_xl

ROOT = Path(crm_xl.__file__).parent


def _part(module: str) -> str:
    """crm_xl.sheets.reading -> crm_xl.sheets; crm_xl.fields -> crm_xl.fields."""
    return ".".join(module.split(".")[:2])


def import_graph() -> dict[str, dict[str, str]]:
    """part -> {imported part: where}, every import counted, function-level ones too."""
    graph: dict[str, dict[str, str]] = {}
    for path in ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("crm_xl.") and _part(target) != _part(module):
                    graph.setdefault(_part(module), {}).setdefault(_part(target), f"{path.name}:{node.lineno}")
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, {}):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [node])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def test_no_import_cycle_between_parts():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) is not None
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}}) is None


def test_base_layers_import_nothing_above_them():
    graph = import_graph()
    assert set(graph.get("crm_xl.fields", {})) == set()
    assert set(graph.get("crm_xl.findings", {})) == set()
    assert set(graph.get("crm_xl.xlsx", {})) <= {"crm_xl.findings", "crm_xl.files"}
    # the one guarded way of reading a user's file sits just above the file checks, for every layer to use
    assert set(graph.get("crm_xl.isolation", {})) <= {"crm_xl.findings", "crm_xl.xlsx"}
    assert set(graph.get("crm_xl.model", {})) <= {"crm_xl.findings", "crm_xl.files", "crm_xl.fields", "crm_xl.xlsx",
                                                  "crm_xl.isolation"}


def test_scoring_loads_without_the_workbook_layer():
    code = "import sys, crm_xl.scoring.customers; print(sorted(m for m in sys.modules if m.startswith('crm_xl.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "crm_xl.scoring.customers" in loaded
    assert "crm_xl.sheets" not in loaded and "crm_xl.store" not in loaded
