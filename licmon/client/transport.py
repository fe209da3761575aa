"""HTTP for the client: time-outs on every call, answers sorted into grant, denial or trouble.

Anything but a well-formed grant (200) or denial (403) is *trouble*: the program keeps working
on its last lease until grace ends. Trouble never carries the server's address or the key.
"""

import email.utils
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from licmon.errors import LicmonError

MAX_ANSWER_BYTES = 64 * 1024
MAX_RETRY_AFTER = 24 * 3600.0


class ClientError(LicmonError):
    """The program asked for something that cannot work (a mistyped key, a bad address)."""

    status = 400
    code = "client_error"


class KeyTypo(ClientError):
    code = "key_typo"


class ServerTrouble(Exception):
    """No usable answer: the server cannot be reached, failed, throttled us or spoke nonsense."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


@dataclass(frozen=True)
class Timing:
    """Every wait of the client, in seconds. Defaults suit a desktop program."""

    timeout: float = 10.0  # each HTTP call, connection included
    attempts: int = 3  # tries of a foreground check-in
    max_wait: float = 20.0  # most a foreground check-in sleeps between tries, in all
    backoff_base: float = 2.0  # first retry delay (before jitter)
    backoff_cap: float = 600.0  # longest retry delay
    heartbeat_fraction: float = 0.5  # renew after this fraction of the lease
    min_heartbeat: float = 30.0  # never renew more often than this
    leeway: float = 120.0  # clock skew tolerated between server and client
    release_timeout: float = 3.0  # releasing at exit must not hold the program up

    def __post_init__(self) -> None:
        if self.attempts < 1 or min(self.timeout, self.release_timeout) <= 0:
            raise ValueError("Timing needs at least one attempt and positive time-outs")

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Exponential with "equal jitter": half fixed, half random, so clients spread out."""
        ceiling = min(self.backoff_cap, self.backoff_base * float(2 ** max(0, failures - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def heartbeat(self, lease_seconds: int) -> float:
        return max(self.min_heartbeat, lease_seconds * self.heartbeat_fraction)


@dataclass(frozen=True)
class Grant:
    lease: str


@dataclass(frozen=True)
class Denial:
    reason: object
    seats: object = None


def check_server_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError("The license server address must be an http:// or https:// URL.")
    return url.rstrip("/")


class Transport:
    def __init__(
        self, base_url: str, timeout: float, session: aiohttp.ClientSession | None = None
    ) -> None:
        self._base = check_server_url(base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    async def checkin(self, body: Mapping[str, Any], path: str = "/v1/checkin") -> Grant | Denial:
        status, answer = await self._call("POST", path, body)
        if status == 200 and answer.get("status") == "granted":
            lease = answer.get("lease")
            if isinstance(lease, str) and lease:
                return Grant(lease)
        if status == 403 and answer.get("status") == "denied":
            return Denial(answer.get("reason"), answer.get("seats"))
        raise ServerTrouble("The license server's answer is not understood")

    async def release(self, body: Mapping[str, Any], timeout: float) -> bool:
        status, answer = await self._call("POST", "/v1/release", body, timeout)
        return status == 200 and answer.get("status") == "released"

    async def jwks(self) -> dict[str, Any]:
        status, answer = await self._call("GET", "/.well-known/jwks.json")
        if status != 200:
            raise ServerTrouble("The license server did not publish its keys")
        return answer

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, dict[str, Any]]:
        limit = aiohttp.ClientTimeout(total=timeout) if timeout else self._timeout
        try:
            async with self._http().request(
                method, self._base + path, json=body, allow_redirects=False, timeout=limit
            ) as response:
                raw = await _read_capped(response.content)
                return _sorted(response.status, response.headers, raw)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ServerTrouble(_network_problem(exc)) from None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session


async def _read_capped(stream: aiohttp.StreamReader) -> bytes:
    """The body, or its first bytes past the cap (then refused as too large)."""
    body = bytearray()
    async for chunk in stream.iter_chunked(16384):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            break
    return bytes(body)


def _sorted(status: int, headers: Mapping[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
    if status == 429 or (status == 503 and "Retry-After" in headers):
        raise ServerTrouble(
            "The license server asked us to wait", retry_after(headers.get("Retry-After"))
        )
    if status >= 500:
        raise ServerTrouble(f"The license server failed (HTTP {status})")
    if len(raw) > MAX_ANSWER_BYTES:
        raise ServerTrouble("The license server's answer is too large")
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ServerTrouble(f"The license server's answer is not understood (HTTP {status})")
    return status, answer


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date); None when absent."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return min(max(0.0, moment - now), MAX_RETRY_AFTER)


def _network_problem(exc: BaseException) -> str:
    """Plain words for a network failure; never the library's text, which names the host."""
    if isinstance(exc, TimeoutError):  # aiohttp's time-outs included
        return "The license server did not answer in time"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "The license server's TLS certificate was refused"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "The license server cannot be reached"
    return "The connection to the license server broke off"
