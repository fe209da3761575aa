"""Store faults told once per episode: the first write refused starts one, the first write
that commits again ends it (with the count of refusals in between). Readiness stays failing
until no write failed for ``HOLD_SECONDS``, so /readyz does not flap."""

import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)
HOLD_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5


@dataclass
class FaultEpisodes:
    began: str  # the warning that starts an episode
    ended: str  # the warning that ends it
    context: dict[str, str]  # what names the store in both lines (never a secret)
    refused: int = 0
    episodes: int = 0
    _in_episode: bool = False
    _episode_start: int = 0
    _last_failure: float = -1e9

    def failed(self, cause: str) -> None:
        """``cause``: words that name no secret, address or host."""
        self._last_failure = time.monotonic()
        self.refused += 1
        if not self._in_episode:
            self._in_episode = True
            self._episode_start = self.refused - 1
            self.episodes += 1
            log.warning(self.began, extra={**self.context, "cause": cause})

    def succeeded(self) -> None:
        if self._in_episode:
            self._in_episode = False
            log.warning(self.ended, extra={"refused_writes": self.refused - self._episode_start})

    @property
    def failing(self) -> bool:
        return self._in_episode or time.monotonic() - self._last_failure < HOLD_SECONDS
