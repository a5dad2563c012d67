"""Row-level security, the second line: run as the app's role, a query with the organisation
filter removed finds no other organisation's rows, and a row for another organisation cannot
be written. (As `postgres`, a superuser, every policy is bypassed: the tests switch role.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from metrics.models import Kpi
from perfmgmt import rls
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory

pytestmark = pytest.mark.django_db


@contextmanager
def as_app_role() -> Iterator[None]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
        yield
        cursor.execute("RESET ROLE")


def kpi_orgs() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT organization_id FROM metrics_kpi")  # no organisation filter
        return {row[0] for row in cursor.fetchall()}


def test_the_app_role_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [rls.APP_ROLE]
        )
        assert cursor.fetchone() == (False, False)


def test_every_tenant_table_has_row_level_security_and_its_policy(db):
    tables = rls.tenant_tables(apps.get_models())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policies p "
            "ON p.tablename = c.relname AND p.policyname = 'tenant' "
            "WHERE c.relrowsecurity AND %s = ANY(p.roles)",
            [rls.APP_ROLE],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert len(tables) >= 40
    assert [t for t in tables if t not in protected] == []


def test_a_query_without_the_organisation_filter_finds_only_its_own_rows(
    acme, globex, acme_cascade
):
    with scopes_disabled():
        assert kpi_orgs() >= {acme.org.pk}  # as the owner, every row
    with as_app_role():
        with org_scope(acme.org):
            assert kpi_orgs() == {acme.org.pk}
        with org_scope(globex.org):
            assert acme.org.pk not in kpi_orgs()
        assert kpi_orgs() == set()  # no scope: nothing


def test_the_deliberate_cross_organisation_path_sees_every_organisation(acme, globex, acme_cascade):
    with as_app_role(), scopes_disabled():
        assert acme.org.pk in kpi_orgs()


def refused(sql: str, params: list) -> None:
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_a_row_for_another_organisation_is_refused_by_the_database(acme, globex, acme_cascade):
    theirs = KpiFactory(organization=globex.org)
    with as_app_role(), org_scope(globex.org):
        refused(
            "INSERT INTO metrics_metricvalue (organization_id, kpi_id, period_date, value,"
            " confidence, source, note, created_at, updated_at)"
            " VALUES (%s, %s, '2026-01-05', 1, 'estimate', 'manual', '', now(), now())",
            [acme.org.pk, acme_cascade.kpi.pk],
        )
        refused(
            "UPDATE metrics_kpi SET organization_id = %s WHERE id = %s", [acme.org.pk, theirs.pk]
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM metrics_kpi WHERE organization_id = %s", [acme.org.pk])
            assert cursor.rowcount == 0  # another organisation's rows are not there to delete


def test_the_app_works_through_the_orm_as_the_app_role(acme, acme_cascade):
    with as_app_role(), org_scope(acme.org):
        kpi = Kpi.objects.get(pk=acme_cascade.kpi.pk)
        kpi.name = "Renamed as the app role"
        kpi.save()
        assert Kpi.objects.filter(name="Renamed as the app role").count() == 1
