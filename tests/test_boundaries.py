"""Dependency rules (style.md §8.5) and explicit public surfaces, checked on the source tree."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "pki": {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "websockets", "httpx", "ocsp",
            "ocpp_bridge", "iso15118", "ca_store", "api", "psycopg"},
    "ca_store": {"ocsp", "ocpp_bridge", "api", "fastapi", "starlette", "websockets", "iso15118"},
    "iso15118": {"ocpp_bridge", "ocsp", "ca_store", "fastapi", "sqlalchemy", "api"},
    "ocsp": {"ocpp_bridge", "iso15118", "api"},
}
# Composition roots may wire everything together.
EXEMPT = ("pki/cli/", "ca_store/services.py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_rules(package: str) -> None:
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT) or "/migrations/" in rel:
            continue
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            problems.append(f"{rel} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_pki_core_never_reads_the_clock() -> None:
    for path in sorted((ROOT / "pki").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT):
            continue
        text = path.read_text()
        assert "datetime.now(" not in text and "utcnow(" not in text and "time.time(" not in text, rel


def _modules() -> list[str]:
    out = []
    for package in ("pki", "ca_store"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or rel.name == "__main__.py":
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out.append(".".join(parts))
    return out


@pytest.mark.parametrize("module", _modules())
def test_every_module_declares_all(module: str) -> None:
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    assert isinstance(names, list | tuple), f"{module} has no __all__"
    for name in names:
        assert hasattr(mod, name), f"{module}.__all__ names missing {name}"
