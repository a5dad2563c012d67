"""Row-level security on the tenant tables made after 0011: the people layer's and the learning
loop's miss reasons (perfmgmt.rls.enable skips tables that have it already)."""

from django.db import migrations

from perfmgmt import rls


def forwards(apps, schema_editor):
    rls.enable(schema_editor, apps.get_models())


class Migration(migrations.Migration):
    dependencies = [
        ("perfmgmt", "0012_audit_indexes"),
        ("objectives", "0005_audit_indexes"),
        ("metrics", "0014_audit_indexes"),
        ("reviews", "0010_miss_reason"),
        ("people", "0003_retention"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
