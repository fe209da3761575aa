"""Background rounds that tell a failure once, not at every round: the first failure is
logged (with its traceback unless the store said it is unavailable), the recovery once."""

import logging
from dataclasses import dataclass

from licmon.errors import Unavailable


@dataclass
class Episode:
    log: logging.Logger
    failed_message: str  # "detector events not shared; retrying"
    recovered_message: str
    failing: bool = False

    def failed(self, exc: BaseException, **fields: str) -> None:
        if not self.failing:
            traceback = not isinstance(exc, Unavailable)
            self.log.warning(self.failed_message, exc_info=traceback, extra=fields)
        self.failing = True

    def succeeded(self) -> None:
        if self.failing:
            self.log.info(self.recovered_message)
        self.failing = False
