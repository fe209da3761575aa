"""What a backend-neutral group of store methods (``*_methods``) relies on: the backend's
clock, writer and readers. Each group calls its backend's SQL modules through them."""

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from licmon.domain.access import ReadContext

T = TypeVar("T")


class BackendMethods(abc.ABC):
    @abc.abstractmethod
    def _now(self) -> int: ...

    @abc.abstractmethod
    async def _write(self, operation: Callable[[Any], T], *, bulk: bool = False) -> T: ...

    @abc.abstractmethod
    async def _read(self, operation: Callable[[Any], T]) -> T: ...


class PersonalDataMethods(BackendMethods):
    """A group that also names personal columns: through the backend's purpose gateway."""

    if TYPE_CHECKING:  # the backend's plumbing has them (declared here, they would shadow it)

        async def _gateway(self, operation: Callable[[Any], T], *, bulk: bool = False) -> T: ...

        def _count_read(self, ctx: ReadContext) -> None: ...
