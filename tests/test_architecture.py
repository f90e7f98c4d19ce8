"""Import rules and module size, checked with ast (CONVENTIONS.md)."""

import ast
import subprocess
import sys
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


SQL_METHODS = {"execute", "fetch", "fetchrow", "fetchval", "executemany"}
# where SQL may be written: the node's storage, and the delivery queue's own edge
SQL_HOMES = ("node/storage/", "federation/delivery/pgqueue.py")


def _sql_calls(path: Path) -> list[str]:
    """`x.execute(…)`-shaped calls (asyncpg's query methods), as `line: name`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (node.func.attr in SQL_METHODS or node.func.attr.startswith("copy_"))
        ):
            found.append(f"{node.lineno}: .{node.func.attr}()")
    return found


@pytest.mark.parametrize(
    "path",
    _modules("federation") + _modules("node"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_sql_lives_only_in_storage(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith(SQL_HOMES):
        return
    assert not _sql_calls(path), f"{rel} runs SQL; move it to node/storage"


@pytest.mark.parametrize(
    "path",
    _modules("node/web") + _modules("node/cli"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_web_and_cli_never_import_asyncpg(path: Path) -> None:
    driver = {n for n in _imports(path) if n.split(".")[0] == "asyncpg"}
    assert not driver, f"{path.relative_to(ROOT)} imports {driver}"


@pytest.mark.parametrize(
    "path", _modules("node/storage"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_storage_never_imports_the_layers_above(path: Path) -> None:
    above = (
        "node.services",
        "node.web",
        "node.cli",
        "node.runtime",
        "node.confederation",
    )
    upward = {n for n in _imports(path) if n.startswith(above)}
    assert not upward, f"{path.relative_to(ROOT)} imports {upward}"


def test_the_sql_rule_sees_a_query() -> None:
    """The rule's detector finds a query call in a snippet (so it can fail)."""
    snippet = ROOT / "tests" / "data" / "architecture_sql_example.py.txt"
    assert _sql_calls(snippet) == ["2: .fetchval()", "3: .copy_records_to_table()"]


def test_federation_surface_is_pure() -> None:
    """`import federation` gives the public surface without loading an I/O library."""
    code = (
        "import sys, federation\n"
        "assert all(hasattr(federation, n) for n in federation.__all__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'asyncpg')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.strip() == "[]"
