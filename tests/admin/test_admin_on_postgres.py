"""The admin API's tests once more, with the server on PostgreSQL (``database_url``)."""

from pathlib import Path

import pytest

from licmon.config import Settings
from tests.admin.test_access import *  # noqa: F403 (every test, collected here again)
from tests.admin.test_idempotency import *  # noqa: F403
from tests.admin.test_lifecycle import *  # noqa: F403
from tests.admin.test_pagination import *  # noqa: F403


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        catalog_poll_seconds=0.05,
        database_url=pg_url,
        staff_second_factor_required=False,
    )


# It reads the SQLite file itself; the contract suite checks what the store keeps.
del test_the_stored_answer_does_not_hold_the_key_in_clear  # noqa: F821
