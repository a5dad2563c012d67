"""The one audit trail: what every tenant model tracked with `audited()` (perfmgmt.models)
looked like after each insert, update and delete, and who did it.

The rows are written by PostgreSQL triggers (django-pghistory, statement level: one trigger run
per statement with the changed rows in transition tables), so a bulk upsert, COPY into the table
or raw SQL cannot skip them. Each event table copies the tracked columns, `organization_id`
among them as a plain column (no foreign key: the trail outlives the organisation and its
objects), and is append-only: a trigger refuses UPDATE and DELETE on it.

Who: the metadata of perfmgmt.actor's context, handed to the database with each writing
statement and stored once per request or task in `pghistory_context`: `user` (a person's id),
`api_key` (and `api_key_name`), `source` (and `source_name`: a scheduled pull), `task` (a Celery
task's name) and `url`. Web and API writes get theirs from AuditContextMiddleware (the API key is
added when DRF authenticates it), Celery tasks from AuditedTask in perfmgmt.celery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pghistory.core
from django.contrib.auth.models import User
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse

from perfmgmt.actor import audit_context, audit_note
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope


def record_api_key(key: Any) -> None:
    """Name the API key behind the current request's writes (a no-op outside a context)."""
    audit_note(api_key=str(key.pk), api_key_name=key.name, user=None)


def record_source(source: Any) -> None:
    """Name the scheduled data source behind the current task's writes."""
    audit_note(source=str(source.pk), source_name=source.name)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One event of the trail, read: what happened to which object, when, by whom, and which
    fields moved from what to what (on an insert: the values it started with)."""

    event_id: int
    model: str  # the tracked model's label, e.g. "metrics.Target"
    kind: str  # the tracked model's verbose name
    object_id: str
    action: str  # insert, update, delete
    at: dt.datetime
    actor: str
    actor_kind: str  # person, api key, source, task, system
    data: dict[str, Any]
    fields: tuple[FieldChange, ...]

    @property
    def field_names(self) -> set[str]:
        return {f.name for f in self.fields}


ACTIONS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}
SKIPPED = {"id", "organization", "created_at", "submitted_at"}


def tracked_event_models() -> dict[str, Any]:
    """Every tenant event model by its tracked model's label, e.g. "metrics.Kpi"."""
    found = {}
    model: Any
    for model in pghistory.core.event_models():
        tracked = model.pgh_tracked_model
        if any(f.name == "organization" for f in model._meta.fields):
            found[tracked._meta.label] = model
    return found


def _value(event: Any, field: models.Field) -> Any:
    return getattr(event, field.attname)


def _read(event_model: Any, events: list[Any], actors: dict[int, str]) -> list[Change]:
    """Events with their diff against the previous event of the same object (one query)."""
    prev_ids = [e._prev_id for e in events if e._prev_id]
    previous = {p.pk: p for p in event_model.objects.filter(pk__in=prev_ids)}
    tracked = event_model.pgh_tracked_model
    fields = [
        f
        for f in event_model._meta.fields
        if not f.name.startswith("pgh_") and f.name not in SKIPPED
    ]
    changes = []
    for event in events:
        before = previous.get(event._prev_id)
        moved = []
        for field in fields:
            new = _value(event, field)
            old = _value(before, field) if before is not None else None
            if before is None and event.pgh_label == "update":
                continue
            if event.pgh_label == "delete" or (before is not None and old == new):
                continue
            moved.append(FieldChange(field.name, str(field.verbose_name), old, new))
        context = event.pgh_context
        actor, actor_kind = describe_actor(context.metadata if context else {}, actors)
        changes.append(
            Change(
                event_id=event.pk,
                model=tracked._meta.label,
                kind=str(tracked._meta.verbose_name),
                object_id=str(event.pgh_obj_id),
                action=event.pgh_label,
                at=event.pgh_created_at,
                actor=actor,
                actor_kind=actor_kind,
                data={f.name: _value(event, f) for f in fields},
                fields=tuple(moved),
            )
        )
    return changes


def describe_actor(metadata: dict[str, Any], people: dict[int, str]) -> tuple[str, str]:
    """Who an event's context names, in words, and what kind of actor that is."""
    if metadata.get("api_key"):
        return f"API key {metadata.get('api_key_name') or metadata['api_key']}", "api key"
    if metadata.get("source"):
        return f"Source {metadata.get('source_name') or metadata['source']}", "source"
    if metadata.get("user"):
        return people.get(int(metadata["user"]), "former member"), "person"
    if metadata.get("task"):
        return f"Task {metadata['task']}", "task"
    return "System", "system"


def _people(events: list[Any]) -> dict[int, str]:
    ids = {
        int(e.pgh_context.metadata["user"])
        for e in events
        if e.pgh_context and e.pgh_context.metadata.get("user")
    }
    return {u.pk: (u.get_full_name() or u.username) for u in User.objects.filter(pk__in=ids)}


def _events(event_model: Any, query: QuerySet, limit: int) -> list[Any]:
    prev = (
        event_model.objects.filter(pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id"))
        .order_by("-pgh_id")
        .values("pgh_id")[:1]
    )
    return list(
        query.exclude(pgh_label="baseline")
        .select_related("pgh_context")
        .annotate(_prev_id=Subquery(prev))
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )


def object_history(
    *, org: Organization, model: type[models.Model], object_id: object, limit: int = 100
) -> list[Change]:
    """The trail of one object, newest first."""
    event_model = tracked_event_models()[model._meta.label]
    with org_scope(org):
        events = _events(event_model, event_model.objects.filter(pgh_obj_id=object_id), limit)
        return _read(event_model, events, _people(events))


def history_of(
    *,
    org: Organization,
    model: type[models.Model],
    filters: dict[str, Any] | None = None,
    limit: int = 500,
) -> list[Change]:
    """The trail of one model's objects that match `filters` (on the event's columns)."""
    event_model = tracked_event_models()[model._meta.label]
    with org_scope(org):
        events = _events(event_model, event_model.objects.filter(**(filters or {})), limit)
        return _read(event_model, events, _people(events))


def audit_log(
    *,
    org: Organization,
    kinds: list[str] | None = None,
    user_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int = 200,
) -> list[Change]:
    """The organisation's trail across every tracked model, newest first, filtered by the
    kinds of object (tracked model labels), the person behind the change and the day range."""
    found: list[Change] = []
    for label, event_model in tracked_event_models().items():
        if kinds and label not in kinds:
            continue
        with org_scope(org):
            query = event_model.objects.all()
            if user_id is not None:
                query = query.filter(pgh_context__metadata__user=user_id)
            if start is not None:
                query = query.filter(pgh_created_at__date__gte=start)
            if end is not None:
                query = query.filter(pgh_created_at__date__lte=end)
            events = _events(event_model, query, limit)
            found.extend(_read(event_model, events, _people(events)))
    found.sort(key=lambda c: (c.at, c.event_id), reverse=True)
    return found[:limit]


def baseline_events(apps: Any, schema_editor: Any, labels: list[str]) -> None:
    """For a data migration: one `baseline` event per existing row of the tracked models
    (`app.Model` labels), so the first change after tracking began has a before to diff with.
    Baseline events are read as the previous state only, never listed."""
    for label in labels:
        app_label, name = label.split(".")
        tracked = apps.get_model(app_label, name)
        suffix = "Event" if label == "perfmgmt.Organization" else "AuditEvent"
        event = apps.get_model(app_label, f"{name}{suffix}")
        tracked_columns = {f.column for f in tracked._meta.concrete_fields}
        columns = [
            f.column
            for f in event._meta.concrete_fields
            if not f.name.startswith("pgh_") and f.column in tracked_columns
        ]
        cols = ", ".join(f'"{c}"' for c in columns)
        pk = tracked._meta.pk.column
        schema_editor.execute(
            f'INSERT INTO "{event._meta.db_table}" ({cols}, pgh_obj_id, pgh_created_at, pgh_label) '
            f'SELECT {cols}, "{pk}", now(), \'baseline\' FROM "{tracked._meta.db_table}"'
        )


def actor_context(actor: Any) -> AbstractContextManager[None]:
    """A service's writes on the trail as its actor's (a Membership), whoever calls it: a
    page, the API, a task or a test."""
    return audit_context(user=actor.user_id)


class AuditContextMiddleware:
    """The person behind a request's writes (or, once DRF has authenticated one, the API key):
    one actor context per writing request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with audit_context(user=user_id, url=request.path):
            return self.get_response(request)
