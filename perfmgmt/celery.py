"""The Celery application; configuration lives in settings under the CELERY_ namespace."""

from __future__ import annotations

import os
from typing import Any

import pghistory
from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfmgmt.settings")

app = Celery("perfmgmt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Writes a task makes are on the audit trail with the task as their actor (perfmgmt.history);
# a pull adds its data source. One context per task run, entered and left around it.
_contexts: dict[str, Any] = {}


@task_prerun.connect
def _enter_audit_context(task_id: str, task: Any, **_: Any) -> None:
    context = pghistory.context(task=task.name)
    context.__enter__()
    _contexts[task_id] = context


@task_postrun.connect
def _leave_audit_context(task_id: str, **_: Any) -> None:
    context = _contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
