"""Row-level security on every tenant table, for the app's role (perfmgmt.rls says how)."""

from django.db import migrations

from perfmgmt import rls


def forwards(apps, schema_editor):
    rls.enable(schema_editor, apps.get_models())


class Migration(migrations.Migration):
    # After every app's latest migration: the policies cover all tenant tables there are.
    dependencies = [
        ("perfmgmt", "0010_unique_per_org"),
        ("objectives", "0004_audit_baseline"),
        ("metrics", "0013_unique_per_org"),
        ("reviews", "0008_unique_per_org"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
