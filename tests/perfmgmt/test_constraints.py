"""Every unique constraint of a tenant table includes the organisation, so the schema can be
sharded by organisation (Citus distributes a table by a column that every unique index must
contain). Primary keys are the exception the README's sharding paragraph deals with."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

UNIQUE_WITHOUT_ORG = """
SELECT t.relname, i.relname, pg_get_indexdef(ix.indexrelid)
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
WHERE ix.indisunique AND NOT ix.indisprimary
  AND t.relname = ANY(%s)
  AND NOT EXISTS (
      SELECT 1 FROM pg_attribute a
      WHERE a.attrelid = t.oid AND a.attname = 'organization_id' AND a.attnum = ANY(ix.indkey)
  )
"""


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if any(f.column == "organization_id" for f in model._meta.concrete_fields)
    )


def test_the_census_finds_the_tenant_tables():
    tables = tenant_tables()
    assert {"metrics_metricvalue", "perfmgmt_membership", "metrics_targetauditevent"} <= set(tables)
    assert len(tables) >= 40


def test_every_unique_index_of_a_tenant_table_includes_the_organisation():
    with connection.cursor() as cursor:
        cursor.execute(UNIQUE_WITHOUT_ORG, [tenant_tables()])
        offenders = cursor.fetchall()
    assert offenders == []


def test_every_unique_constraint_declared_in_the_models_includes_the_organisation():
    offenders = []
    for model in apps.get_models():
        if not any(f.column == "organization_id" for f in model._meta.concrete_fields):
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", None)
            is_unique = constraint.__class__.__name__ == "UniqueConstraint"
            if is_unique and fields is not None and "organization" not in fields:
                offenders.append(f"{model._meta.label}.{constraint.name}")
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                offenders.append(f"{model._meta.label}.{field.name}")
    assert offenders == []
