"""Who is behind the writes of this request or task, for the audit trail (perfmgmt.history).

`audit_context(**metadata)` opens one context (an id and its metadata: `user`, `api_key`,
`source`, `task`, `url`); nested calls add to the open one, and `audit_note(**metadata)` adds to
it without opening one. The statement wrapper in perfmgmt.rls hands the open context to the
database with each writing statement (transaction-local `pghistory.context_id` and
`pghistory.context_metadata`), where django-pghistory's triggers record it once per context in
`pghistory_context` and link every event to it.

pghistory's own `context` keeps its state per thread but installs its wrapper on the connection
object of the thread that entered it; where threads share a connection (the live server of the
browser tests) another thread's statement then fails. A context variable read by a wrapper
installed on every connection has neither problem.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar[tuple[uuid.UUID, dict[str, Any]] | None] = ContextVar(
    "audit_context", default=None
)


@contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """Group the writes inside under one actor context (or add to the open one)."""
    current = _current.get()
    if current is not None:
        current[1].update(metadata)
        yield
        return
    token = _current.set((uuid.uuid4(), dict(metadata)))
    try:
        yield
    finally:
        _current.reset(token)


def audit_note(**metadata: Any) -> None:
    """Add to the open context's metadata; a no-op outside one."""
    current = _current.get()
    if current is not None:
        current[1].update(metadata)


def current_audit_settings() -> tuple[str, str] | None:
    """The open context as the (id, metadata JSON) pghistory's triggers read, if any."""
    current = _current.get()
    if current is None:
        return None
    return str(current[0]), json.dumps(current[1], default=str)
