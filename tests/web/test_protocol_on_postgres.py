"""The protocol's tests once more, with the server on PostgreSQL (``database_url``)."""

from pathlib import Path

import pytest

from licmon.config import Settings
from tests.web.test_protocol import *  # noqa: F403 (every test of the protocol, collected here)


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", catalog_poll_seconds=0.05, database_url=pg_url)


# These read the SQLite file itself; on PostgreSQL the contract suite (tests/store) and the
# backend's tests check the connection log.
del test_every_checkin_writes_one_connection_row_per_machine_address_and_day  # noqa: F821
del test_network_precision_keeps_only_the_network  # noqa: F821
del test_denied_checkins_are_logged_as_denials  # noqa: F821
