"""The engine imports no Qt, SQL, network or storage and reads no clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "cashier_app" / "engine"
FORBIDDEN_MODULES = ("PySide6", "sqlalchemy", "alembic", "requests", "phonenumbers", "cashier_app.storage",
                     "cashier_app.service", "cashier_app.ui", "cashier_app.sync", "random", "uuid", "os", "time")  # fmt: skip
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}
FORBIDDEN_BUILTINS = {"float", "open", "input", "print"}


def test_engine_imports_nothing_impure():
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN_MODULES), f"{path.name} imports {name}"


def test_engine_reads_no_clock_and_uses_no_float():
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute):
                    assert func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads a clock"
                else:
                    name = getattr(func, "id", "")
                    assert name not in FORBIDDEN_BUILTINS, (
                        f"{path.name}:{node.lineno} calls {name}()"
                    )


def test_import_linter_contract_holds():
    tool = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(tool)], capture_output=True, text=True, check=False, cwd=ENGINE.parent.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ", 0 broken." in done.stdout  # every contract, the engine's purity among them
    assert "The engine is pure" in done.stdout
