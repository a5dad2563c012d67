"""Row-level security: the database's own line behind the scoped managers.

Every tenant table (a column `organization_id`) has RLS enabled and one policy, `tenant`:
a row is visible, and may be written, only when its `organization_id` is the transaction's
`app.org_id`, or when `app.org_id` is `all` (the deliberate cross-organisation paths:
django-scopes' `scopes_disabled()` — beat dispatchers, sign-in, the org picker, API key lookup,
the operator's admin). With no `app.org_id` nothing is visible: it fails closed, like the
scoped managers.

The policies bind `APP_ROLE` (`perfmgmt_app`: no superuser, no BYPASSRLS, owns nothing). The
owner role that runs migrations owns the tables and is not bound (RLS is not FORCEd), so
migrations, the data migrations and `createorg` see every row.

`app.org_id` is set per statement, transaction-local (`set_config(..., true)`, never a
session-level SET that would outlive the transaction on a pooled connection): `install()` adds
an execute wrapper to each new connection that prefixes each statement with the set_config of
the active django-scopes scope, and each writing statement with the actor of perfmgmt.actor.
A COPY (psycopg2's copy_expert) does not pass the wrapper; the ingestion COPYs into a temporary
staging table only (no RLS), then upserts with a statement that does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django_scopes.state import get_scope

from perfmgmt.actor import current_audit_settings

APP_ROLE = "perfmgmt_app"
# psycopg2.extensions.TRANSACTION_STATUS_INERROR: a failed transaction takes no more statements
# until it is rolled back (to a savepoint), so nothing is put before that ROLLBACK.
TRANSACTION_STATUS_INERROR = 3
ALL = "all"

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION app_current_org() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('app.org_id', true) ~ '^[0-9]+$'
                THEN current_setting('app.org_id', true)::bigint END
$$;
CREATE OR REPLACE FUNCTION app_all_orgs() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.org_id', true) = 'all', false)
$$;
"""

# CREATE ROLE is cluster-wide: two test databases migrating at once may race to create it.
ROLE_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
"""

GRANTS_SQL = f"""
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};
"""


def policy_sql(table: str) -> str:
    """RLS on and the `tenant` policy for `table`, each only if missing: a migration run again
    (after one back) leaves a table that has them alone."""
    rule = "(organization_id = app_current_org() OR app_all_orgs())"
    return f"""
DO $$
BEGIN
    IF NOT (SELECT relrowsecurity FROM pg_class WHERE oid = '"{table}"'::regclass) THEN
        ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_policies WHERE tablename = '{table}' AND policyname = 'tenant'
    ) THEN
        CREATE POLICY tenant ON "{table}" TO {APP_ROLE} USING {rule} WITH CHECK {rule};
    END IF;
END
$$;
"""


def tenant_tables(models: Iterable[Any]) -> list[str]:
    """The tables of the given models that carry an `organization_id`."""
    return sorted(
        {
            model._meta.db_table
            for model in models
            if model._meta.managed
            and not model._meta.proxy
            and any(f.column == "organization_id" for f in model._meta.concrete_fields)
        }
    )


def enable(schema_editor: Any, models: Iterable[Any]) -> None:
    """The role, its grants, the functions and a policy on each tenant table (idempotent)."""
    schema_editor.execute(ROLE_SQL)
    schema_editor.execute(FUNCTIONS_SQL)
    for table in tenant_tables(models):
        schema_editor.execute(policy_sql(table))
    schema_editor.execute(GRANTS_SQL)


def current_org_setting() -> str:
    """What `app.org_id` is for the active scope: an id, `all`, or empty (nothing visible)."""
    scope = get_scope()
    if not scope:
        return ""
    if not scope.get("_enabled", True):
        return ALL
    org = scope.get("organization")
    return str(org.pk) if org is not None and org.pk is not None else ""


PREFIX = "/* tenant */ SELECT set_config('app.org_id', %s, true); "
SET_ORG = "SELECT set_config('app.org_id', %s, true)"
# Who is behind a write (perfmgmt.actor), read by django-pghistory's triggers.
SET_ACTOR = (
    "SELECT set_config('pghistory.context_id', %s, true), "
    "set_config('pghistory.context_metadata', %s, true)"
)
ACTOR_PREFIX = SET_ACTOR + "; "
ROW_STATEMENTS = ("select", "insert", "update", "delete", "with", "merge", "values", "table")


def _reads_or_writes_rows(sql: str | bytes) -> bool:
    text = sql.decode() if isinstance(sql, bytes) else sql
    return text.lstrip().lower().startswith(ROW_STATEMENTS)


def _is_select(sql: str | bytes) -> bool:
    text = sql.decode() if isinstance(sql, bytes) else sql
    return text.lstrip()[:6].lower() == "select"


def _set_org(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    cursor = context["cursor"]
    if (
        getattr(cursor, "name", None)  # a named cursor cannot take a prefix
        or not _reads_or_writes_rows(sql)  # DDL, savepoints, CREATE DATABASE...
        or cursor.connection.get_transaction_status() == TRANSACTION_STATUS_INERROR
    ):
        return execute(sql, params, many, context)
    setting = current_org_setting()
    if many:
        # executemany cannot take a prefix: the settings go first, for the transaction.
        cursor.execute(SET_ORG, [setting])
        audit = current_audit_settings()
        if audit is not None:
            cursor.execute(SET_ACTOR, list(audit))
        return execute(sql, params, many, context)
    values = [setting]
    prefix = PREFIX
    audit = current_audit_settings()
    if audit is not None and not _is_select(sql):
        prefix += ACTOR_PREFIX
        values += list(audit)
    if isinstance(params, dict):
        names = {f"app_set_{i}": v for i, v in enumerate(values)}
        params = {**params, **names}
        for name in names:
            prefix = prefix.replace("%s", f"%({name})s", 1)
    else:
        params = (*values, *(params or ()))
    return execute(prefix + sql, params, many, context)


def install(sender: Any, connection: BaseDatabaseWrapper, **_: Any) -> None:
    """`connection_created` receiver: every statement of the connection carries the scope's
    organisation."""
    if _set_org not in connection.execute_wrappers:
        connection.execute_wrappers.append(_set_org)
