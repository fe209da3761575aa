"""What a personal API token may do. A token carries scopes; every request through a token
asks ``require_scope`` (the one check, also used by the CLI and the admin API), which
answers 403 when the token lacks the scope, whatever its owner's roles allow."""

from licmon.errors import BadRequest, Forbidden

READ = "read"
LICENSES_WRITE = "licenses:write"
WEBHOOKS_WRITE = "webhooks:write"
PERSONAL_DATA = "personal-data"
SCOPES = (READ, LICENSES_WRITE, WEBHOOKS_WRITE, PERSONAL_DATA)
DEFAULT_SCOPES = frozenset({READ})


def parse_scopes(text: str) -> frozenset[str]:
    """``read,licenses:write`` -> the set; an unknown scope is a clear 400."""
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - set(SCOPES))
    if unknown:
        raise BadRequest(f"Unknown scope {unknown[0][:40]!r}; scopes are {', '.join(SCOPES)}.")
    if not names:
        raise BadRequest(f"A token needs at least one scope ({', '.join(SCOPES)}).")
    return names


def scopes_text(scopes: frozenset[str]) -> str:
    """The stored form, in a stable order."""
    return ",".join(name for name in SCOPES if name in scopes)


def require_scope(granted: frozenset[str], needed: str) -> None:
    if needed not in granted:
        raise Forbidden(f"This API token lacks the scope {needed!r}.")
