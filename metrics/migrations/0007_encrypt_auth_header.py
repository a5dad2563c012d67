import perfmgmt.encryption
from django.db import migrations


def _convert(schema_editor, convert):
    """Read and written as raw SQL: the model's field would try to decrypt the plain values."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, auth_header FROM metrics_datasource WHERE auth_header <> ''")
        for pk, value in cursor.fetchall():
            cursor.execute(
                "UPDATE metrics_datasource SET auth_header = %s WHERE id = %s", [convert(value), pk]
            )


def encrypt_stored(apps, schema_editor):
    _convert(schema_editor, perfmgmt.encryption.encrypt)


def decrypt_stored(apps, schema_editor):
    _convert(schema_editor, perfmgmt.encryption.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0006_ingestion_run_queued_attempts"),
        ("perfmgmt", "0006_encrypt_webhook"),
    ]

    operations = [
        migrations.AlterField(
            model_name="datasource",
            name="auth_header",
            field=perfmgmt.encryption.EncryptedTextField(
                blank=True, help_text="Sent as the Authorization header; never shown."
            ),
        ),
        migrations.RunPython(encrypt_stored, decrypt_stored),
    ]
