"""The one audit trail: written by the database whatever the write path, append-only, scoped
to its organisation and kept after the organisation is gone."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from metrics.models import MetricValue, Target
from objectives.models import StrategicPriority
from perfmgmt.actor import audit_context
from perfmgmt.history import audit_log, object_history
from perfmgmt.models import Organization
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope

pytestmark = pytest.mark.django_db


def test_raw_sql_cannot_skip_the_trail(acme, acme_cascade):
    value = acme_cascade.value
    with connection.cursor() as cursor:
        cursor.execute("UPDATE metrics_metricvalue SET value = value + 1 WHERE id = %s", [value.pk])
    latest = object_history(org=acme.org, model=MetricValue, object_id=value.pk)[0]
    assert latest.action == "update"
    assert [(f.old, f.new) for f in latest.fields if f.name == "value"] == [
        (value.value, value.value + 1)
    ]
    assert (latest.actor, latest.actor_kind) == ("System", "system")


def test_a_delete_is_on_record_with_what_was_deleted(acme, acme_cascade):
    target = acme_cascade.target
    with org_scope(acme.org):
        Target.objects.filter(pk=target.pk).delete()
    deleted = object_history(org=acme.org, model=Target, object_id=target.pk)[0]
    assert deleted.action == "delete" and deleted.data["value"] == target.value


def test_the_person_behind_a_page_write_is_on_record(acme, acme_cascade, client_for):
    priority = acme_cascade.priority
    response = client_for(acme.admin).post(
        f"/o/acme/priorities/{priority.pk}/edit/",
        {
            "title": "Grow revenue faster",
            "description": "",
            "perspective": priority.perspective,
            "owner": priority.owner_id,
            "rank": priority.rank,
            "horizon_start": priority.horizon_start.isoformat(),
            "horizon_end": priority.horizon_end.isoformat(),
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    changes = object_history(org=acme.org, model=StrategicPriority, object_id=priority.pk)
    assert changes[0].actor == display_name(acme.admin.user)
    assert {f.name: f.new for f in changes[0].fields}["title"] == "Grow revenue faster"


def test_event_rows_cannot_be_changed_or_deleted(acme, acme_cascade):
    for sql in (
        "UPDATE metrics_targetauditevent SET value = 0",
        "DELETE FROM metrics_targetauditevent",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert object_history(org=acme.org, model=Target, object_id=acme_cascade.target.pk)


def test_the_trail_is_read_inside_its_organisation_only(acme, globex, acme_cascade):
    kinds = ["metrics.Target"]
    assert audit_log(org=acme.org, kinds=kinds)
    assert audit_log(org=globex.org, kinds=kinds) == []


def test_the_trail_outlives_its_organisation(acme, acme_cascade):
    org_id = acme.org.pk
    with scopes_disabled():
        Organization.objects.filter(pk=org_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pgh_label FROM metrics_targetauditevent WHERE organization_id = %s", [org_id]
        )
        labels = [row[0] for row in cursor.fetchall()]
    assert "insert" in labels and "delete" in labels


def test_a_task_is_the_actor_of_what_it_writes(acme, acme_cascade):
    with audit_context(task="metrics.tasks.source_pull_task"), org_scope(acme.org):
        MetricValue.objects.filter(pk=acme_cascade.value.pk).update(value=123)
    latest = object_history(org=acme.org, model=MetricValue, object_id=acme_cascade.value.pk)[0]
    assert latest.actor_kind == "task"


def test_the_audit_log_filters_by_person_kind_and_day(acme, acme_cascade):
    with audit_context(user=acme.finance.user.pk), org_scope(acme.org):
        Target.objects.filter(pk=acme_cascade.target.pk).update(value=1)
    mine = audit_log(org=acme.org, user_id=acme.finance.user.pk)
    assert [(c.model, c.action) for c in mine] == [("metrics.Target", "update")]
    today = mine[0].at.date()
    assert audit_log(org=acme.org, kinds=["metrics.Kpi"], start=today, end=today)
    assert (
        audit_log(
            org=acme.org,
            start=today.replace(year=today.year - 1),
            end=today.replace(year=today.year - 1),
        )
        == []
    )


def test_the_kpi_history_page_shows_who_moved_its_target(acme, acme_cascade, client_for):
    with audit_context(user=acme.finance.user.pk), org_scope(acme.org):
        Target.objects.filter(pk=acme_cascade.target.pk).update(value=12345)
    page = client_for(acme.viewer).get(f"/o/acme/kpis/{acme_cascade.kpi.pk}/history/")
    assert page.status_code == 200
    assert display_name(acme.finance.user) in page.content.decode()
    assert "12345" in page.content.decode()


def test_objective_and_priority_pages_have_a_history(acme, acme_cascade, client_for):
    client = client_for(acme.admin)
    for url in (
        f"/o/acme/objectives/{acme_cascade.objective.pk}/history/",
        f"/o/acme/priorities/{acme_cascade.priority.pk}/history/",
    ):
        assert client.get(url).status_code == 200
    edit = client.get(f"/o/acme/priorities/{acme_cascade.priority.pk}/edit/").content.decode()
    assert f"/o/acme/priorities/{acme_cascade.priority.pk}/history/" in edit


def test_another_organisations_object_has_no_history_page(acme, globex, acme_cascade, client_for):
    url = f"/o/globex/kpis/{acme_cascade.kpi.pk}/history/"
    assert client_for(globex.admin).get(url).status_code == 404


def test_only_admins_read_the_audit_log_and_it_downloads(acme, acme_cascade, client_for):
    assert client_for(acme.executive).get("/o/acme/audit/").status_code == 403
    admin = client_for(acme.admin)
    page = admin.get("/o/acme/audit/?kind=metrics.Target&from=2000-01-01&to=garbage&who=x")
    assert page.status_code == 200
    for fmt, magic in (("csv", "\ufeffWhen".encode()), ("xlsx", b"PK")):
        download = admin.get(f"/o/acme/audit/?format={fmt}")
        assert download.status_code == 200 and download.content.startswith(magic)


def test_the_saved_views_find_a_moved_target_and_a_revised_value(acme, acme_cascade, client_for):
    from reviews.audit import AuditFilters, audit_entries
    from reviews.models import ReviewMeeting

    value = acme_cascade.value
    with org_scope(acme.org):
        ReviewMeeting.objects.create(
            organization=acme.org,
            kind="monthly",
            held_on=value.period_date,
            created_by=acme.executive.user,
        )
        MetricValue.objects.filter(pk=value.pk).update(value=value.value + 5)
        Target.objects.filter(pk=acme_cascade.target.pk).update(value=1)
    revised = audit_entries(org=acme.org, filters=AuditFilters(view="values-revised"))
    assert [c.object_id for c in revised] == [str(value.pk)]
    moved = audit_entries(org=acme.org, filters=AuditFilters(view="targets-moved"))
    target = acme_cascade.target
    running = target.period_start <= moved[0].at.date() <= target.period_end if moved else False
    assert bool(moved) == running


def test_the_audit_demo_fills_the_revised_values_view(acme, acme_cascade):
    from reviews.audit import AuditFilters, audit_entries
    from reviews.audit_demo import seed_audit_demo
    from reviews.models import ReviewMeeting

    with org_scope(acme.org):
        ReviewMeeting.objects.create(
            organization=acme.org,
            kind="monthly",
            held_on=acme_cascade.value.period_date,
            created_by=acme.executive.user,
        )
    seed_audit_demo(acme.org)
    revised = audit_entries(org=acme.org, filters=AuditFilters(view="values-revised"))
    assert [c.actor_kind for c in revised] == ["person"]
