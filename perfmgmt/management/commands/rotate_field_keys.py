"""Re-encrypt every stored secret under the first of FIELD_ENCRYPTION_KEYS (key rotation)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Field

from perfmgmt.encryption import EncryptedTextField, rotate


def _column(field: Field[Any, Any]) -> str:
    if field.column is None:  # only a field without a column of its own; ours all have one
        raise TypeError(f"{field} has no column")
    return field.column


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, run this, then drop the old key."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(_column(model._meta.pk))
            for field in fields:
                column = connection.ops.quote_name(_column(field))
                # Raw SQL: tokens are rotated as tokens (the plain text never reaches a model),
                # across every organisation without entering each one's scope.
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")
                    rows = cursor.fetchall()
                    for row_pk, token in rows:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",
                            [rotate(token), row_pk],
                        )
                total += len(rows)
                self.stdout.write(f"{model._meta.label}.{field.name}: {len(rows)} re-encrypted")
        self.stdout.write(f"{total} secrets now under the first key.")
