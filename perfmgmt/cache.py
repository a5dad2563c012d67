"""A Redis cache that fails open: with Redis stopped or hung the site keeps working uncached.

The cache holds nothing that must survive (throttle counters, memoised reads), so losing it for
a while costs some accuracy, never an answer. Without this, Django's RedisCache raises on every
call when Redis is down, and the DRF throttle (which reads the default cache first thing) turns
that into a 500 for every API request; a hung Redis costs each request a full socket timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Only an unreachable or silent server is a reason to go on without the cache; any other Redis
# error (a wrong type, a full memory) is a bug or a configuration to hear about.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


class CircuitBreaker:
    """After a failure, skip the server for `seconds`, then let one call find out if it is back.

    Shared by every thread of a process (Django builds one cache object per thread), so a hung
    Redis costs one socket timeout per process per window, not one per request.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, name: str, exc: Exception) -> None:
        with self._lock:
            if self.is_open():
                return  # another thread already tripped it and said so
            self._open_until = time.monotonic() + self.seconds
        # One warning per window: a down Redis must not flood the log one line per request.
        logger.warning(
            "Cache %s unavailable (%s: %s); going on without it for %.0f s",
            name,
            type(exc).__name__,
            exc,
            self.seconds,
        )

    def reset(self) -> None:
        self._open_until = 0.0


_breakers: dict[tuple[str, ...], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers: Iterable[str], seconds: float) -> CircuitBreaker:
    key = tuple(servers)
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(seconds)
        return _breakers[key]


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache where an unreachable Redis reads as a miss and a write as a no-op.

    `CIRCUIT_SECONDS` (next to `LOCATION`) sets how long Redis is skipped after a failure.
    Give it short `socket_connect_timeout` / `socket_timeout` in `OPTIONS`.
    """

    _servers: list[str]  # set by RedisCache.__init__; the stubs leave it out

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = {**params.get("OPTIONS", {})}
        # redis-py's default is no retry today; say so, since a retried timeout doubles the wait.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})
        self.breaker = breaker_for(self._servers, float(params.get("CIRCUIT_SECONDS", 5)))

    def _guard(self, fallback: T, call: Callable[[], T]) -> T:
        if self.breaker.is_open():
            return fallback
        try:
            return call()
        except UNAVAILABLE as exc:
            self.breaker.trip(",".join(self._servers), exc)
            return fallback

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._guard(
            False, lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version)
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guard(
            default, lambda: super(FailOpenRedisCache, self).get(key, default, version)
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guard(None, lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._guard(
            False, lambda: super(FailOpenRedisCache, self).touch(key, timeout, version)
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._guard(False, lambda: super(FailOpenRedisCache, self).delete(key, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._guard({}, lambda: super(FailOpenRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._guard(False, lambda: super(FailOpenRedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        def call() -> int:
            return super(FailOpenRedisCache, self).incr(key, delta, version)

        value = self._guard(None, call)
        if value is None:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")  # as a miss does
        return value

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return self._guard(
            list(data), lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version)
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._guard(None, lambda: super(FailOpenRedisCache, self).delete_many(keys, version))

    def clear(self) -> None:
        self._guard(None, lambda: super(FailOpenRedisCache, self).clear())
