"""The audit trail takes over: the rows of TargetChange and MetricValueRevision become events
of the trail, the old value trigger goes, and every row tracked from now on gets a baseline."""

import uuid

from django.db import migrations

from perfmgmt.history import baseline_events

# The trigger as metrics.0009 left it, for a migration back.
OLD_TRIGGER = """
CREATE OR REPLACE FUNCTION metrics_value_revision() RETURNS trigger AS $$
BEGIN
    INSERT INTO metrics_metricvaluerevision
        (organization_id, kpi_id, period_date, old_value, new_value,
         old_confidence, new_confidence, source, changed_at, changed_by_id, changed_by_key_id)
    VALUES (NEW.organization_id, NEW.kpi_id, NEW.period_date, OLD.value, NEW.value,
            OLD.confidence, NEW.confidence, NEW.source, NEW.updated_at,
            NEW.recorded_by_id, NEW.recorded_by_key_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER metrics_value_revision
AFTER UPDATE ON metrics_metricvalue
FOR EACH ROW
WHEN (OLD.value IS DISTINCT FROM NEW.value OR OLD.confidence IS DISTINCT FROM NEW.confidence)
EXECUTE FUNCTION metrics_value_revision();
"""

DROP_OLD_TRIGGER = """
DROP TRIGGER IF EXISTS metrics_value_revision ON metrics_metricvalue;
DROP FUNCTION IF EXISTS metrics_value_revision();
"""


def _context(Context, when, **metadata):
    metadata = {k: v for k, v in metadata.items() if v is not None}
    return Context.objects.create(
        id=uuid.uuid4(), metadata=metadata, created_at=when, updated_at=when
    )


def target_changes_to_events(apps, schema_editor):
    Context = apps.get_model("pghistory", "Context")
    TargetChange = apps.get_model("metrics", "TargetChange")
    Target = apps.get_model("metrics", "Target")
    Event = apps.get_model("metrics", "TargetAuditEvent")
    # The event keeps the time of the change it stands for, not the migration's.
    Event._meta.get_field("pgh_created_at").auto_now_add = False
    targets = {(t.kpi_id, t.period_start): t for t in Target.objects.all()}
    seen = set()
    for change in TargetChange.objects.order_by("changed_at", "pk"):
        target = targets.get((change.kpi_id, change.period_start))
        obj_id = target.pk if target else -change.pk  # a deleted target's id is lost
        created = target.created_at if target else change.changed_at
        context = _context(
            Context, change.changed_at, user=change.changed_by_id, migrated_from="TargetChange"
        )

        def event(label, state, when, ctx):
            Event.objects.create(
                pgh_created_at=when,
                pgh_label=label,
                pgh_obj_id=obj_id,
                pgh_context=ctx,
                id=obj_id,
                organization_id=change.organization_id,
                kpi_id=change.kpi_id,
                period_start=change.period_start,
                period_end=state.get("period_end") or change.period_end,
                value=state["value"],
                green_threshold=state["green_threshold"],
                amber_threshold=state["amber_threshold"],
                created_at=created,
            )

        if change.action != "created" and change.old and obj_id not in seen:
            event("insert", change.old, created, None)
        seen.add(obj_id)
        if change.action == "deleted":
            event("delete", change.old or change.new, change.changed_at, context)
        else:
            event(
                "insert" if change.action == "created" else "update",
                change.new,
                change.changed_at,
                context,
            )


def value_revisions_to_events(apps, schema_editor):
    Context = apps.get_model("pghistory", "Context")
    Revision = apps.get_model("metrics", "MetricValueRevision")
    MetricValue = apps.get_model("metrics", "MetricValue")
    Event = apps.get_model("metrics", "MetricValueAuditEvent")
    # The event keeps the time of the change it stands for, not the migration's.
    Event._meta.get_field("pgh_created_at").auto_now_add = False
    seen = set()
    for revision in Revision.objects.order_by("changed_at", "pk").iterator():
        value = MetricValue.objects.filter(
            kpi_id=revision.kpi_id, period_date=revision.period_date
        ).first()
        if value is None:
            continue  # the value went with its KPI; so did its revisions' meaning

        def event(label, number, confidence, when, ctx):
            Event.objects.create(
                pgh_created_at=when,
                pgh_label=label,
                pgh_obj_id=value.pk,
                pgh_context=ctx,
                id=value.pk,
                organization_id=value.organization_id,
                kpi_id=value.kpi_id,
                period_date=value.period_date,
                value=number,
                confidence=confidence,
                source=revision.source,
                note=value.note,
                measured_at=value.measured_at,
                recorded_by_id=value.recorded_by_id,
                recorded_by_key_id=value.recorded_by_key_id,
                created_at=value.created_at,
            )

        if value.pk not in seen:
            event("insert", revision.old_value, revision.old_confidence, value.created_at, None)
            seen.add(value.pk)
        context = _context(
            Context,
            revision.changed_at,
            user=revision.changed_by_id,
            api_key=str(revision.changed_by_key_id) if revision.changed_by_key_id else None,
            migrated_from="MetricValueRevision",
        )
        event("update", revision.new_value, revision.new_confidence, revision.changed_at, context)


def forwards(apps, schema_editor):
    target_changes_to_events(apps, schema_editor)
    value_revisions_to_events(apps, schema_editor)
    baseline_events(
        apps,
        schema_editor,
        [
            "metrics.Kpi",
            "metrics.KpiLink",
            "metrics.Target",
            "metrics.MetricValue",
            "metrics.DataSource",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0011_audit_trail"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunSQL(DROP_OLD_TRIGGER, OLD_TRIGGER),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="MetricValueRevision",
        ),
        migrations.DeleteModel(
            name="TargetChange",
        ),
    ]
