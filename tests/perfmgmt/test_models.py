"""Every tenant model is a TenantModel: it carries its organisation and fails closed."""

from __future__ import annotations

import pytest
from django.apps import apps
from django_scopes import ScopeError

from perfmgmt.models import AuditEvent, Organization, TenantModel
from perfmgmt.tenancy import org_scope

TENANT_APPS = {"perfmgmt", "objectives", "metrics", "reviews", "people"}


def _owned_by_an_organisation() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in TENANT_APPS
        and any(
            f.name == "organization" and f.related_model is Organization for f in model._meta.fields
        )
    ]


def test_every_model_owned_by_an_organisation_is_a_tenant_model():
    owned = _owned_by_an_organisation()
    # 43 tenant models and the audit trail's 14 event tables (scoped the same way).
    assert len(owned) == 57
    assert [m.__name__ for m in owned if not issubclass(m, (TenantModel, AuditEvent))] == []


@pytest.mark.parametrize("model", _owned_by_an_organisation(), ids=lambda m: m.__name__)
def test_a_tenant_model_refuses_to_query_without_a_scope(model, db):
    with pytest.raises(ScopeError):
        list(model.objects.all())


def test_a_tenant_model_reads_only_its_organisations_rows(acme, globex):
    with org_scope(acme.org):
        assert {t.organization_id for t in apps.get_model("perfmgmt", "Team").objects.all()} == {
            acme.org.pk
        }
