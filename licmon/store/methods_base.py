"""What a backend-neutral group of store methods (``*_methods``) relies on: the backend's
clock, writer and readers. Each group calls its backend's SQL modules through them."""

import abc
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BackendMethods(abc.ABC):
    @abc.abstractmethod
    def _now(self) -> int: ...

    @abc.abstractmethod
    async def _write(self, operation: Callable[[Any], T], *, bulk: bool = False) -> T: ...

    @abc.abstractmethod
    async def _read(self, operation: Callable[[Any], T]) -> T: ...
