"""Every row tracked from now on gets a baseline event: the first change has a before."""

from django.db import migrations

from perfmgmt.history import baseline_events


def forwards(apps, schema_editor):
    baseline_events(apps, schema_editor, ["objectives.StrategicPriority", "objectives.Objective"])


class Migration(migrations.Migration):
    dependencies = [("objectives", "0003_audit_trail")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
