"""Every row tracked from now on gets a baseline event: the first change has a before."""

from django.db import migrations

from perfmgmt.history import baseline_events


def forwards(apps, schema_editor):
    baseline_events(
        apps,
        schema_editor,
        ["perfmgmt.Organization", "perfmgmt.Team", "perfmgmt.Membership", "perfmgmt.ApiKey"],
    )


class Migration(migrations.Migration):
    dependencies = [("perfmgmt", "0008_audit_trail")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
