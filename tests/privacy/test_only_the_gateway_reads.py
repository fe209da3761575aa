"""Proof by reading the source: only the gateway and the retention job read personal columns."""

import ast
import re
from pathlib import Path

from licmon.store.sqlite.personal import PERSONAL_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "licmon"
GATEWAY = {
    "store/sqlite/vault.py",
    "store/sqlite/dsr_sql.py",
    "store/sqlite/dsr_find.py",  # where a data subject appears, for its own request (purpose dsr)
    "store/sqlite/dsr_correct.py",  # rectification (purpose dsr): moved rows meet on their address
    "store/sqlite/org_data.py",
    "store/sqlite/retention_sql.py",
    # restriction markers: an address marker is matched (never returned) at check-in
    "store/sqlite/restriction_sql.py",
    # finds erased subjects again after a restore (issue 19)
    "store/sqlite/ledger_sql.py",
    # PostgreSQL's counterparts: they run as the gateway role (``_gateway``), the only one
    # with SELECT on the personal columns
    *(f"store/postgres/{name}.py" for name in ("vault", "dsr_sql", "dsr_find", "dsr_correct")),
    *(f"store/postgres/{name}.py" for name in ("org_data", "retention_sql", "ledger_sql")),
    "store/postgres/restriction_sql.py",
}
# Writers of personal columns: INSERT, and an UPDATE that matches its row by key (below).
INGEST = {
    "store/sqlite/seats.py",  # writes the connection log (and counts a day's row seen again)
    "store/sqlite/login_sql.py",  # writes the staff login-attempt log (security.authn): INSERT only
    # raises abuse flags: evidence and source_network are written by one upsert (INSERT ...
    # ON CONFLICT DO UPDATE; its conflict target names source_network, hence the privilege).
    # Reading them back is the gateway's (vault.read_flag); an UPDATE here would fail this.
    "store/sqlite/flags_sql.py",
    "store/postgres/login_sql.py",
    "store/postgres/flags_sql.py",
}
# PostgreSQL's schema: its SECURITY DEFINER functions write the connection log and match
# restriction markers as the owner role; the normal role has no SELECT on these columns.
SCHEMA = {
    "store/sqlite/migrations.py",
    "store/postgres/schema_core.py",
    "store/postgres/schema_more.py",
}
PRIVILEGE_USERS = GATEWAY | INGEST | {"store/sqlite/store.py", "store/sqlite/personal.py"}
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
PERSONAL = sorted({column for columns in PERSONAL_COLUMNS.values() for column in columns})
STAR = re.compile(r"SELECT\s+(?:DISTINCT\s+)?(?:\w+\.)?\*", re.IGNORECASE)
PERSONAL_TABLE = re.compile(r"\b(" + "|".join(PERSONAL_COLUMNS) + r")\b", re.IGNORECASE)
MENTION = re.compile(r"\b(" + "|".join(PERSONAL) + r")\b", re.IGNORECASE)


def sql_mentions(source: str) -> list[tuple[str, str, str]]:
    """(statement kind, column, statement) for every SQL string literal naming a personal
    column."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            kind = SQL.search(node.value)
            for column in MENTION.findall(node.value) if kind else []:
                found.append((kind.group(1).upper(), column, node.value))  # type: ignore[union-attr]
            if kind and STAR.search(node.value) and PERSONAL_TABLE.search(node.value):
                found.append(("SELECT", "*", node.value))
    return found


# Whatever could read, hide or return a column: no sub-select, RETURNING, literal or comment.
NOT_PLAIN = re.compile(r"\b(SELECT|RETURNING)\b|'|\"|--|/\*", re.IGNORECASE)
KEY_EQUALITY = re.compile(r"\w+ = \?")


def matched_by_key(sql: str) -> bool:
    """An UPDATE that writes no personal column and whose WHERE is only ``column = ?``
    equalities joined by AND: it finds its row as an upsert's conflict target does and hands
    nothing back."""
    parts = re.split(r"\bWHERE\b", sql, flags=re.IGNORECASE)
    if NOT_PLAIN.search(sql) or len(parts) != 2 or MENTION.search(parts[0]):
        return False
    conjuncts = re.split(r"\s+AND\s+", parts[1].strip(), flags=re.IGNORECASE)
    return all(KEY_EQUALITY.fullmatch(term) for term in conjuncts)


def offences(relative: str, source: str) -> list[str]:
    if relative in GATEWAY | SCHEMA:
        return []
    ingest = relative in INGEST
    found = [
        f"{relative}: {kind} names {column}"
        for kind, column, sql in sql_mentions(source)
        if not (ingest and (kind == "INSERT" or (kind == "UPDATE" and matched_by_key(sql))))
    ]
    if "privileged(" in source and relative not in PRIVILEGE_USERS:
        found.append(f"{relative}: takes the gateway's privilege")
    return found


def test_no_module_outside_the_gateway_reads_personal_columns() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        problems += offences(relative, path.read_text())
    assert not problems, "\n".join(problems)


def test_the_scanner_catches_a_stray_read() -> None:
    stray = 'rows = conn.execute("SELECT address, day FROM connections")\n'
    assert offences("web/console.py", stray) == ["web/console.py: SELECT names address"]
    assert offences("store/sqlite/seats.py", stray)
    assert offences("store/sqlite/vault.py", stray) == []
    assert offences("web/x.py", "with privileged(conn): pass\n")
    assert offences("web/x.py", 'conn.execute("SELECT f.* FROM flags f")\n')
    for spelling in ("select address from connections", "SELECT Address FROM connections"):
        assert offences("web/x.py", f'rows = conn.execute("{spelling}")\n'), spelling
    assert offences("web/x.py", 'conn.execute("select * from connections")\n')


def test_an_ingest_update_may_match_its_row_by_key_and_nothing_more() -> None:
    keyed = (
        'TOUCH = "UPDATE connections SET checkins = checkins + 1 WHERE id = ? AND address = ?"\n'
    )
    assert offences("store/sqlite/seats.py", keyed) == []
    assert offences("web/console.py", keyed) == ["web/console.py: UPDATE names address"]
    for stray in (
        "UPDATE connections SET address = ? WHERE id = ?",  # writes it
        "UPDATE connections SET checkins = 1 WHERE address LIKE ?",  # probes it
        "UPDATE connections SET checkins = 1 WHERE address = ? OR address > ?",
        "UPDATE connections SET checkins = 1 WHERE address = ? OR 1",
        "UPDATE connections SET checkins = 1 WHERE ? < address = ?",
        "UPDATE connections SET checkins = 1 WHERE address = ? COLLATE NOCASE",
        "UPDATE connections SET checkins = 1 WHERE address = ?1 OR address = ?2",
        "UPDATE connections SET checkins = 1 WHERE id = ? AND address = ? RETURNING *",
        "UPDATE connections SET checkins = 1 WHERE id = ? AND Address = ? returning address",
        "UPDATE connections SET day = (select address FROM connections) WHERE address = ?",
        "UPDATE connections SET day = 'WHERE', asn = ? WHERE id = ?",
        "UPDATE connections SET /* WHERE */ asn = ? WHERE id = ?",
        "UPDATE flags SET evidence = evidence || ? WHERE id = ?",
    ):
        assert offences("store/sqlite/seats.py", f'S = "{stray}"\n'), stray


def test_the_gateway_modules_exist() -> None:
    for relative in GATEWAY | INGEST:
        assert (PACKAGE / relative).exists(), relative
