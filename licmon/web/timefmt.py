import time


def iso(epoch: int) -> str:
    """UTC ISO 8601 with a Z, as the protocol writes every time."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
