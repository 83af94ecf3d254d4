"""The house rules, checked on the source: the domain never imports streamlit,
pages hold no SQL, a capability imports only core and the capabilities below
it, nothing imports the tools, no two modules import each other in a circle,
and pages neither catch refusals themselves nor open their own connections
(every write goes through pages.ui.actions.write on the run's one connection)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a capability may import core and any capability before it.
LAYERS = ("core", "registry", "scheduling", "casework", "impact")
# Composition roots: they put the capabilities together, so they may import all of them.
ROOTS = {"caremgmt.setup", "caremgmt.__main__"}
# Who may import caremgmt.tools: the command line's entry point and the first-run page (demo data).
TOOLS_IMPORTERS = {"caremgmt.__main__", "pages/access/setup.py"}
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX))\b|\bdb\.(execute|query|conn)\b"
    r"|\bdb\[",
    re.IGNORECASE,
)


# Pages that may open a connection of their own: a st.cache_data computation runs
# for whichever session asks first, so it cannot use that session's run connection.
OWN_CONNECTIONS = {"pages/impact/impact.py"}


def page_files() -> list[Path]:
    """The pages and the entry point; not the shared helpers in pages/ui/, which
    hold the one write helper and the one per-run connection."""
    return [
        *(p for p in sorted((ROOT / "pages").rglob("*.py")) if not p.is_relative_to(ROOT / "pages" / "ui")),
        ROOT / "streamlit_app.py",
    ]


def page_offences(source: str, name: str) -> list[str]:
    """A page that catches a refusal itself (any try: pages.ui.actions.write shows
    refusals; read_or_stop, reads the domain may refuse) or opens its own connection."""
    found = [
        f"{name}:{node.lineno}: try/except in a page (use pages.ui.actions.write or read_or_stop)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Try | ast.TryStar)
    ]
    opened = {m for m in imports(source, name) if m == "caremgmt.core.db.connect" or m.split(".")[0] == "sqlite3"}
    if opened and name not in OWN_CONNECTIONS:
        found.append(f"{name}: opens a connection of its own (use pages.ui.session.db)")
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, importer: str) -> set[str]:
    """Every module ``source`` imports (also inside functions), as dotted names;
    ``from caremgmt.core import db`` counts as caremgmt.core.db."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def domain_modules() -> dict[str, set[str]]:
    """caremgmt's modules and the caremgmt modules each imports."""
    paths = sorted((ROOT / "caremgmt").rglob("*.py"))
    names = {module_name(p) for p in paths}
    graph = {}
    for path in paths:
        name = module_name(path)
        graph[name] = {m for m in imports(path.read_text(encoding="utf-8"), name) if m in names and m != name}
    return graph


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in graph.items():
        own = layer(module)
        if module in ROOTS or own == "tools":
            continue
        for target in targets:
            other = layer(target)
            if other is None or other == own:
                continue
            if own is None or other == "tools" or other not in LAYERS or LAYERS.index(other) > LAYERS.index(own):
                wrong.append(f"{module} -> {target}")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles between modules (depth-first search for back edges)."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_the_checks_see_what_they_check():
    graph = domain_modules()
    assert len(graph) > 30 and sum(len(t) for t in graph.values()) > 60
    planted = {**graph, "caremgmt.core.db": graph["caremgmt.core.db"] | {"caremgmt.registry.persons"}}
    assert "caremgmt.core.db -> caremgmt.registry.persons" in upward_imports(planted)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert SQL.search('rows = db.execute("SELECT id FROM persons")') and SQL.search("UPDATE persons SET x = 1")
    planted = (
        "from caremgmt.core.db import connect\n"
        "try:\n    persons.give_consent(connect(), me, 1, 'research')\nexcept CareError as e:\n    st.error(e)\n"
    )
    assert len(page_offences(planted, "pages/desk/person.py")) == 2
    assert len(page_files()) > 20


def test_the_domain_never_imports_streamlit():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "caremgmt").rglob("*.py")
        if layer(module_name(path)) != "tools"
        and any(m.split(".")[0] == "streamlit" for m in imports(path.read_text(encoding="utf-8"), module_name(path)))
    ]
    assert offenders == []


def test_capabilities_import_only_core_and_what_lies_below():
    assert upward_imports(domain_modules()) == []


def test_no_import_circles():
    assert cycles(domain_modules()) == []


def test_nothing_imports_the_tools_but_the_entry_points():
    importers = set()
    for path in [*(ROOT / "caremgmt").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "streamlit_app.py"]:
        name = module_name(path) if path.is_relative_to(ROOT / "caremgmt") else str(path.relative_to(ROOT))
        if layer(name) == "tools":
            continue
        if any(m.startswith("caremgmt.tools") for m in imports(path.read_text(encoding="utf-8"), name)):
            importers.add(name)
    assert importers <= TOOLS_IMPORTERS


def test_pages_hold_no_sql():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in [*(ROOT / "pages").rglob("*.py"), ROOT / "streamlit_app.py"]
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line)
    ]
    assert offenders == []


def test_pages_write_through_the_one_helper_on_the_run_connection():
    offenders = [
        offence
        for path in page_files()
        for offence in page_offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert offenders == []
