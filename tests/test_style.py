import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "planner"
MAX_FUNCTION_LINES = 80


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "_vendor" not in p.parts)


def test_ruff_lint_and_complexity_clean():
    """ruff with the project's rules, incl. C901 <= 15 and PLR0915 <= 60, passes on planner/."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    proc = subprocess.run(
        [ruff, "check", "--no-cache", "--output-format", "concise", "planner", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_function_longer_than_80_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, "\n".join(long)


def test_every_public_module_has_all_and_a_one_line_docstring():
    bad = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        if not doc or "\n" in doc.strip():
            bad.append(f"{path.relative_to(ROOT)}: module docstring must be one line")
        if path.name == "__main__.py":
            continue
        assigned = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
        has_all = any(getattr(t, "id", None) == "__all__" for t in assigned)
        if not has_all:
            bad.append(f"{path.relative_to(ROOT)}: no __all__")
    assert not bad, "\n".join(bad)


def test_no_module_imports_another_modules_private_names():
    bad = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("planner"):
                for alias in node.names:
                    if alias.name.startswith("_") and alias.name != "__version__":
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        bad.append(f"{where} {node.module}.{alias.name}")
    assert not bad, "\n".join(bad)
