"""Dependencies point one way, and importing a module starts nothing."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["archives_domain", "archives_cli", "seeds", "pipelines", "ops_app", "dq_rules", "reports",
            "warehouse_models", "synth"]
# What each package may import from this project (besides itself).
ALLOWED = {
    "archives_domain": {"seeds"},  # data-file paths only (seeds/__init__ imports nothing)
    "seeds": {"archives_domain"},
    "pipelines": {"archives_domain", "seeds", "dq_rules", "reports", "warehouse_models"},
    "dq_rules": {"archives_domain"},
    "reports": {"archives_domain", "dq_rules"},
    "warehouse_models": {"archives_domain"},
    "ops_app": {"archives_domain", "seeds"},
    "archives_cli": set(PACKAGES),
    "synth": {"archives_domain", "seeds"},  # the generator is a client of the domain, never the other way
}


def _project_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES}
    return found


def test_dependency_direction():
    offences = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for imported in _project_imports(path) - {pkg} - ALLOWED[pkg]:
                offences.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert offences == []


def test_seeds_package_itself_imports_nothing_of_the_project():
    assert _project_imports(ROOT / "seeds" / "__init__.py") == set()


def test_importing_every_module_connects_to_nothing_and_writes_nothing(tmp_path):
    modules = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic's env.py runs migrations by design when Alembic loads it
            rel = path.relative_to(ROOT).with_suffix("")
            modules.append(".".join(rel.parts).removesuffix(".__init__"))
    code = ("import importlib, sys\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "import gc, sqlalchemy\n"
            "engines = [o for o in gc.get_objects() if isinstance(o, sqlalchemy.Engine)]\n"
            "assert not engines, engines\n")
    env = {"ARCHIVES_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": "mysql+pymysql://nobody@127.0.0.1:9/none",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var").exists()
