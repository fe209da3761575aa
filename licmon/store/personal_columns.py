"""Which columns hold personal data: the one list both backends protect.

SQLite hides them with its authorizer (``licmon.store.sqlite.personal``); PostgreSQL with
column privileges (``licmon.store.postgres.roles``): licmon's normal role may not SELECT them,
only the purpose gateway's role may.
"""

PERSONAL_COLUMNS: dict[str, frozenset[str]] = {
    "connections": frozenset(
        {"address", "city", "latitude", "longitude", "accuracy_km", "asn", "anonymizer"}
    ),
    "flags": frozenset({"evidence", "source_network"}),
    "login_attempts": frozenset({"address"}),
    "restrictions": frozenset({"address"}),
}
