from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from metrics.models import Kpi, KpiLink, Rag, Target
from metrics.rag import rag_status
from metrics.selectors import target_moves
from metrics.services import kpi_create, kpi_update, target_set
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory, ObjectiveFactory


def kpi_fields(world, objective, **overrides):
    return {
        "key": "win-rate",
        "name": "Win rate",
        "unit": "%",
        "kind": "lag",
        "cadence": "monthly",
        "direction": "higher",
        "aggregation": "last",
        "objective": objective,
        "outcome_owner": world.lead.user,
        "data_owner": world.member.user,
        "is_key": True,
        **overrides,
    }


def test_a_lead_defines_a_kpi_for_their_teams_objective(acme, acme_cascade):
    kpi = kpi_create(org=acme.org, actor=acme.lead, **kpi_fields(acme, acme_cascade.objective))
    assert kpi.organization == acme.org and kpi.is_key


def test_a_lead_cannot_define_kpis_for_another_teams_objective(acme):
    other = ObjectiveFactory(organization=acme.org, team=acme.support, owner=acme.admin.user)
    with pytest.raises(PermissionDenied):
        kpi_create(org=acme.org, actor=acme.lead, **kpi_fields(acme, other))


def test_kpi_keys_are_unique_within_an_organisation_only(
    acme, globex, acme_cascade, globex_cascade
):
    kpi_create(org=acme.org, actor=acme.admin, **kpi_fields(acme, acme_cascade.objective))
    with pytest.raises(ValidationError) as error:
        kpi_create(org=acme.org, actor=acme.admin, **kpi_fields(acme, acme_cascade.objective))
    assert "key" in str(error.value) or "__all__" in error.value.message_dict
    # The same key in another organisation is fine.
    kpi_create(org=globex.org, actor=globex.admin, **kpi_fields(globex, globex_cascade.objective))


def test_a_kpi_cannot_link_to_another_organisations_objective(acme, globex_cascade):
    with pytest.raises(ValidationError) as error:
        kpi_create(org=acme.org, actor=acme.admin, **kpi_fields(acme, globex_cascade.objective))
    assert "objective" in error.value.message_dict


def test_a_lead_kpi_drives_lag_kpis(acme, acme_cascade):
    lag = acme_cascade.kpi
    lead = kpi_create(
        org=acme.org,
        actor=acme.admin,
        drives=[lag],
        **kpi_fields(acme, acme_cascade.objective, key="pipeline", kind="lead"),
    )
    with org_scope(acme.org):
        assert list(lead.drives.all()) == [lag]
        assert list(lag.driven_by.all()) == [lead]


def test_only_lead_kpis_drive_and_only_lag_kpis_are_driven(acme, acme_cascade):
    with pytest.raises(ValidationError):
        kpi_create(
            org=acme.org,
            actor=acme.admin,
            drives=[acme_cascade.kpi],
            **kpi_fields(acme, acme_cascade.objective, key="also-lag", kind="lag"),
        )
    other_lead = KpiFactory(organization=acme.org, kind="lead", objective=acme_cascade.objective)
    with pytest.raises(ValidationError):
        kpi_create(
            org=acme.org,
            actor=acme.admin,
            drives=[other_lead],
            **kpi_fields(acme, acme_cascade.objective, key="lead-2", kind="lead"),
        )
    with org_scope(acme.org):
        assert not KpiLink.objects.exists()
        assert not Kpi.objects.filter(key__in=["also-lag", "lead-2"]).exists()


def test_a_kpi_cannot_drive_another_organisations_kpi(acme, acme_cascade, globex_cascade):
    with pytest.raises(ValidationError):
        kpi_create(
            org=acme.org,
            actor=acme.admin,
            drives=[globex_cascade.kpi],
            **kpi_fields(acme, acme_cascade.objective, key="lead-x", kind="lead"),
        )


def test_a_lead_cannot_edit_another_teams_kpi_even_by_moving_it(acme, acme_cascade):
    other = ObjectiveFactory(organization=acme.org, team=acme.support, owner=acme.admin.user)
    theirs = KpiFactory(organization=acme.org, objective=other)
    theirs.objective = acme_cascade.objective  # as a form would have set it before saving
    with pytest.raises(PermissionDenied):
        kpi_update(org=acme.org, actor=acme.lead, kpi=theirs, objective=acme_cascade.objective)


def test_a_target_gets_default_thresholds_and_is_audited(acme, acme_cascade):
    kpi = acme_cascade.kpi
    target = target_set(
        org=acme.org,
        actor=acme.finance,
        kpi=kpi,
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 3, 31),
        value=200,
    )
    assert (target.green_threshold, target.amber_threshold) == (200, 180)
    [move] = [
        m for m in target_moves(org=acme.org, kpi_ids=[kpi.pk]) if m.period_start.year == 2027
    ]
    assert move.change.action == "insert" and move.new_value == 200
    assert move.change.actor == display_name(acme.finance.user)


def test_moving_a_running_target_is_recorded_as_mid_period(acme, acme_cascade):
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=10), today + dt.timedelta(days=10)
    fresh = KpiFactory(organization=acme.org, objective=acme_cascade.objective)
    kwargs = {"org": acme.org, "actor": acme.admin, "kpi": fresh}
    target_set(**kwargs, period_start=start, period_end=end, value=100)
    target_set(**kwargs, period_start=start, period_end=end, value=80)
    target_set(**kwargs, period_start=start, period_end=end, value=80)  # no change, no entry
    changes = list(reversed(target_moves(org=acme.org, kpi_ids=[fresh.pk])))
    assert [c.change.action for c in changes] == ["insert", "update"]
    assert changes[1].old_value == 100 and changes[1].new_value == 80
    assert changes[1].mid_period is True
    assert changes[0].mid_period is False


def test_targets_of_one_kpi_cannot_overlap(acme, acme_cascade):
    # acme_cascade already has a 2026 target.
    with pytest.raises(ValidationError) as error:
        target_set(
            org=acme.org,
            actor=acme.admin,
            kpi=acme_cascade.kpi,
            period_start=dt.date(2026, 4, 1),
            period_end=dt.date(2026, 6, 30),
            value=1,
        )
    assert "period_start" in error.value.message_dict


def test_thresholds_must_point_the_kpis_way(acme, acme_cascade):
    with pytest.raises(ValidationError) as error:
        target_set(
            org=acme.org,
            actor=acme.admin,
            kpi=acme_cascade.kpi,
            period_start=dt.date(2027, 1, 1),
            period_end=dt.date(2027, 3, 31),
            value=100,
            green_threshold=100,
            amber_threshold=120,
        )
    assert "amber_threshold" in error.value.message_dict


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_do_not_set_targets(acme, acme_cascade, role):
    with pytest.raises(PermissionDenied):
        target_set(
            org=acme.org,
            actor=getattr(acme, role),
            kpi=acme_cascade.kpi,
            period_start=dt.date(2027, 1, 1),
            period_end=dt.date(2027, 3, 31),
            value=1,
        )
    with org_scope(acme.org):
        assert Target.objects.count() == 1


def test_a_target_for_another_organisations_kpi_is_refused(acme, globex_cascade):
    with pytest.raises(ValidationError):
        target_set(
            org=acme.org,
            actor=acme.admin,
            kpi=globex_cascade.kpi,
            period_start=dt.date(2027, 1, 1),
            period_end=dt.date(2027, 3, 31),
            value=1,
        )


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (100, "higher", Rag.GREEN),
        (95, "higher", Rag.AMBER),
        (89.9, "higher", Rag.RED),
        (100, "lower", Rag.GREEN),
        (105, "lower", Rag.AMBER),
        (111, "lower", Rag.RED),
        (None, "higher", Rag.NONE),
    ],
)
def test_rag_follows_the_thresholds_and_direction(value, direction, expected):
    if direction == "higher":
        target = Target(value=100, green_threshold=100, amber_threshold=90)
    else:
        target = Target(value=100, green_threshold=100, amber_threshold=110)
    assert rag_status(value, target, direction) == expected


def test_a_kpi_key_cannot_read_as_an_id(acme, acme_cascade):
    fields = kpi_fields(acme, acme_cascade.objective, key="0b7c3a56-1f0e-4a53-9a5e-6d3f8e7b2c11")
    with pytest.raises(ValidationError) as error:
        kpi_create(org=acme.org, actor=acme.admin, **fields)
    assert "key" in error.value.message_dict
