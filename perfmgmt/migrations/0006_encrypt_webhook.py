import perfmgmt.encryption
from django.db import migrations


def encrypt_stored(apps, schema_editor):
    """Plain webhook URLs stored before become Fernet tokens (read and written as raw SQL: the
    model's field would try to decrypt the plain values)."""
    _convert(schema_editor, perfmgmt.encryption.encrypt)


def decrypt_stored(apps, schema_editor):
    _convert(schema_editor, perfmgmt.encryption.decrypt)


def _convert(schema_editor, convert):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, slack_webhook_url FROM perfmgmt_organization WHERE slack_webhook_url <> ''"
        )
        for pk, value in cursor.fetchall():
            cursor.execute(
                "UPDATE perfmgmt_organization SET slack_webhook_url = %s WHERE id = %s",
                [convert(value), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('perfmgmt', '0005_apikey_owner'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organization',
            name='slack_webhook_url',
            field=perfmgmt.encryption.EncryptedTextField(blank=True, help_text='Slack-compatible incoming webhook for reminders.'),
        ),
        migrations.RunPython(encrypt_stored, decrypt_stored),
    ]
