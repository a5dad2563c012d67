"""The audit trail takes over: each CheckInRevision and KpiCommentaryRevision (a before state
and who replaced it) becomes events of the trail, and every tracked row gets a baseline."""

import uuid

from django.db import migrations

from perfmgmt.history import baseline_events


def _row(model, obj):
    return {
        f.attname: getattr(obj, f.attname)
        for f in model._meta.concrete_fields
        if f.name != "updated_at"
    }


def _revisions_to_events(apps, *, revision_model, fk, event_model, tracked_model, fields):
    Context = apps.get_model("pghistory", "Context")
    Revision = apps.get_model("reviews", revision_model)
    Tracked = apps.get_model("reviews", tracked_model)
    Event = apps.get_model("reviews", event_model)
    # The event keeps the time of the change it stands for, not the migration's.
    Event._meta.get_field("pgh_created_at").auto_now_add = False
    by_object = {}
    for revision in Revision.objects.order_by("changed_at", "pk"):
        by_object.setdefault(getattr(revision, f"{fk}_id"), []).append(revision)
    for obj in Tracked.objects.filter(pk__in=list(by_object)):
        revisions = by_object[obj.pk]
        # Revision i holds the state before edit i; the state it replaced was written at the
        # previous edit (or at creation), and edit i was made by revision i's person.
        written_at = obj.created_at if hasattr(obj, "created_at") else obj.submitted_at
        ctx = None
        for index, revision in enumerate(revisions):
            state = {name: getattr(obj, name) for name in fields} | revision.before
            Event.objects.create(
                pgh_created_at=written_at,
                pgh_label="insert" if index == 0 else "update",
                pgh_obj_id=obj.pk,
                pgh_context=ctx,
                **(_row(Tracked, obj) | {k: v for k, v in state.items() if k in fields}),
            )
            written_at = revision.changed_at
            ctx = Context.objects.create(
                id=uuid.uuid4(),
                metadata={"user": revision.changed_by_id, "migrated_from": revision_model},
                created_at=written_at,
                updated_at=written_at,
            )
        Event.objects.create(
            pgh_created_at=written_at,
            pgh_label="update",
            pgh_obj_id=obj.pk,
            pgh_context=ctx,
            **_row(Tracked, obj),
        )


def forwards(apps, schema_editor):
    _revisions_to_events(
        apps,
        revision_model="CheckInRevision",
        fk="checkin",
        event_model="CheckInAuditEvent",
        tracked_model="CheckIn",
        fields={"status", "progress", "confidence", "reason", "blockers", "next_steps"},
    )
    _revisions_to_events(
        apps,
        revision_model="KpiCommentaryRevision",
        fk="commentary",
        event_model="KpiCommentaryAuditEvent",
        tracked_model="KpiCommentary",
        fields={"analysis", "next_step"},
    )
    baseline_events(
        apps,
        schema_editor,
        ["reviews.CheckIn", "reviews.Decision", "reviews.ActionItem", "reviews.KpiCommentary"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0006_audit_trail"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="CheckInRevision",
        ),
        migrations.DeleteModel(
            name="KpiCommentaryRevision",
        ),
    ]
