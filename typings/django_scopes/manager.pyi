from typing import Any, Self, TypeVar, overload

from django.db import models

_T = TypeVar("_T", bound=models.Model)
_M = TypeVar("_M", bound=models.Manager[Any])

class DisabledQuerySet(models.QuerySet[_T]): ...

# Stub-only name for the class `ScopedManager()` builds inside itself at run time (there it is
# a local class called `Manager`, derived from `_manager_class`).
class _ScopedManager(models.Manager[_T]):
    def with_scope(self, **scope: Any) -> Self: ...
    def with_scopes_disabled(self) -> Self: ...

@overload
def ScopedManager(**scopes: str) -> _ScopedManager[Any]: ...
@overload
def ScopedManager(_manager_class: type[_M], **scopes: str) -> _M: ...
