"""TenantModelForm: a ModelForm over a tenant model, for one organisation."""

from __future__ import annotations

from perfmgmt.forms import TenantModelForm, scoped_formfield
from perfmgmt.models import Team
from perfmgmt.selectors import org_members, team_list


class TeamForm(TenantModelForm):  # defined at import, outside any scope: nothing is queried
    class Meta:
        model = Team
        fields = ["name", "slug", "parent", "lead"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = team_list(org=self.org)
        self.fields["lead"].queryset = org_members(self.org)


def test_a_tenant_form_gets_scoped_relation_fields_without_saying_so():
    assert TeamForm._meta.formfield_callback is scoped_formfield


def test_a_tenant_form_offers_only_the_organisations_own_objects(acme, globex):
    form = TeamForm(org=acme.org)
    assert set(form.fields["parent"].queryset) == {acme.sales, acme.support}
    assert globex.lead.user not in form.fields["lead"].queryset
    foreign = TeamForm({"name": "Ops", "slug": "ops", "parent": globex.sales.pk}, org=acme.org)
    assert not foreign.is_valid() and "parent" in foreign.errors


def test_a_tenant_form_leaves_uniqueness_to_the_service(acme):
    form = TeamForm({"name": "Sales again", "slug": "sales"}, org=acme.org)
    assert form.is_valid()
    assert form.service_fields() == {
        "name": "Sales again",
        "slug": "sales",
        "parent": None,
        "lead": None,
    }
