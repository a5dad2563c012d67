"""Secrets at rest: stored as Fernet tokens, read back as plain text, rotated to a new key, and
the plain values stored before the migration encrypted by it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from perfmgmt.encryption import UndecryptableSecret
from perfmgmt.models import Organization

WEBHOOK = "https://hooks.example.com/services/T0/B0/very-secret-token"


def stored(org: Organization) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slack_webhook_url FROM perfmgmt_organization WHERE id = %s", [org.pk]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def one_key(settings) -> str:
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def test_a_webhook_is_stored_encrypted_and_read_back_plain(acme, one_key):
    acme.org.slack_webhook_url = WEBHOOK
    acme.org.save()
    token = stored(acme.org)
    assert "very-secret-token" not in token and "hooks.example.com" not in token
    assert Fernet(one_key.encode()).decrypt(token.encode()).decode() == WEBHOOK
    assert Organization.objects.get(pk=acme.org.pk).slack_webhook_url == WEBHOOK


def test_an_empty_secret_stays_empty_and_queryable(acme, one_key):
    assert stored(acme.org) == ""
    assert Organization.objects.filter(pk=acme.org.pk, slack_webhook_url="").exists()


def test_rotation_moves_every_secret_to_the_new_key(acme, globex, one_key, settings):
    for org in (acme.org, globex.org):
        org.slack_webhook_url = f"{WEBHOOK}-{org.slug}"
        org.save()
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, one_key]  # the new key first, the old one still known
    call_command("rotate_field_keys")
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key dropped
    assert Organization.objects.get(pk=acme.org.pk).slack_webhook_url == f"{WEBHOOK}-acme"
    assert Organization.objects.get(pk=globex.org.pk).slack_webhook_url == f"{WEBHOOK}-globex"


def test_a_secret_without_its_key_is_an_error_naming_the_setting(acme, one_key, settings):
    acme.org.slack_webhook_url = WEBHOOK
    acme.org.save()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableSecret, match="FIELD_ENCRYPTION_KEYS"):
        Organization.objects.get(pk=acme.org.pk)


def test_the_settings_page_never_shows_the_stored_webhook(acme, one_key, client_for):
    acme.org.slack_webhook_url = WEBHOOK
    acme.org.save()
    page = client_for(acme.admin).get("/o/acme/settings/").content.decode()
    assert "A Slack webhook is configured" in page and "very-secret-token" not in page


def test_the_migration_encrypts_values_stored_in_plain_text(acme, one_key):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app: unmigrating reaches them too
    with connection.cursor() as cursor:
        # The fixtures' rows are checked now, not at commit: PostgreSQL refuses to alter a
        # table with deferred foreign-key checks pending, and unmigrating alters tables.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor.migrate([("perfmgmt", "0005_apikey_owner")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE perfmgmt_organization SET slack_webhook_url = %s WHERE id = %s",
                [WEBHOOK, acme.org.pk],
            )
        MigrationExecutor(connection).migrate([("perfmgmt", "0006_encrypt_webhook")])
        assert stored(acme.org) != WEBHOOK
    finally:
        MigrationExecutor(connection).migrate(latest)  # the schema the other tests expect
    assert Organization.objects.get(pk=acme.org.pk).slack_webhook_url == WEBHOOK


def test_a_data_sources_credentials_are_stored_encrypted(acme, one_key):
    from metrics.models import DataSource
    from perfmgmt.tenancy import org_scope

    with org_scope(acme.org):
        source = DataSource.objects.create(
            organization=acme.org,
            name="Warehouse",
            kind="json",
            url="https://warehouse.example.com/kpis.json",
            auth_header="Token s3cret-value",
            data_owner=acme.admin.user,
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_header FROM metrics_datasource WHERE id = %s", [source.pk])
        raw = cursor.fetchone()[0]
    assert "s3cret" not in raw
    assert Fernet(one_key.encode()).decrypt(raw.encode()).decode() == "Token s3cret-value"
    with org_scope(acme.org):
        assert DataSource.objects.get(pk=source.pk).auth_header == "Token s3cret-value"
