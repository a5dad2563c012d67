"""The Celery application; configuration lives in settings under the CELERY_ namespace."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task

from perfmgmt.actor import audit_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfmgmt.settings")


class AuditedTask(Task):
    """Writes a task makes are on the audit trail with the task as their actor
    (perfmgmt.history); a pull adds its data source. The context is entered and left around
    each run, in the worker and when a task runs eagerly."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with audit_context(task=self.name):
            return super().__call__(*args, **kwargs)


app = Celery("perfmgmt", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
