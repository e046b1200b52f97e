"""The code's layers (docs/architecture.md) as import rules: the import-linter contracts of pyproject.toml hold,
a wrong import breaks them with the import named, and no module takes part in an import circle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("wizard", "steps", "lab", "assets")
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    # The checkout in `cwd`, not the installed one: lint-imports puts the working folder first on sys.path.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_layer_contracts_hold() -> None:
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


@pytest.mark.parametrize(("module", "line", "named"), [
    # The engine reaching up into a screen: the layers contract names the import.
    ("wizard/run/engine.py", "from wizard.ui.screens import section  # noqa\n",
     "wizard.run.engine -> wizard.ui.screens.section"),
    # A step opening an SSH connection.
    ("steps/snapshot.py", "import paramiko  # noqa\n", "steps.snapshot -> paramiko"),
    # The engine using the lab's internals.
    ("wizard/run/keys.py", "from lab.base import STATE  # noqa\n", "wizard.run.keys -> lab.base"),
])
def test_a_wrong_import_breaks_them(tmp_path: Path, module: str, line: str, named: str) -> None:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    text = target.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + line + rest if sep else line + text, encoding="utf-8")
    res = _lint(tmp_path)
    assert res.returncode != 0, res.stdout
    assert named in res.stdout, res.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c.split(".")[0] in PACKAGES), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
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
    return found


def test_no_import_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    assert _cycles(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for a, b in (("wizard.a", "wizard.b"), ("wizard.b", "wizard.c"), ("wizard.c", "wizard.a"), ("wizard.c", "wizard.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["wizard.a", "wizard.b", "wizard.c"]]
