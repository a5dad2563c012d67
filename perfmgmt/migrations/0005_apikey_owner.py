import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def owner_is_maker(apps, schema_editor):
    """Every existing key is owned by the admin who made it."""
    ApiKey = apps.get_model("perfmgmt", "ApiKey")
    ApiKey.objects.filter(owner__isnull=True).update(owner=F("created_by"))


class Migration(migrations.Migration):

    dependencies = [
        ('perfmgmt', '0004_slack_webhook'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='owner',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_api_keys', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(owner_is_maker, migrations.RunPython.noop),
    ]
