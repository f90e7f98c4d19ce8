"""Import rules and module size, checked with ast (CONVENTIONS.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
# federation/ modules allowed to do I/O (import aiohttp or asyncpg): the edges
FEDERATION_EDGES = {"fetch/client.py", "delivery/worker.py", "delivery/pgqueue.py"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", _modules("federation"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_federation_never_imports_node(path: Path) -> None:
    assert not any(n == "node" or n.startswith("node.") for n in _imports(path))


@pytest.mark.parametrize(
    "path", _modules("federation"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_federation_core_does_no_io(path: Path) -> None:
    rel = path.relative_to(ROOT / "federation").as_posix()
    if rel in FEDERATION_EDGES:
        return
    io = {n for n in _imports(path) if n.split(".")[0] in ("aiohttp", "asyncpg")}
    assert not io, f"{rel} imports {io}; only edges {sorted(FEDERATION_EDGES)} may"


@pytest.mark.parametrize(
    "path",
    _modules("federation") + _modules("node"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_module_is_at_most_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
