"""The display_name filter, available in every template without a load."""

from __future__ import annotations

from django.template import engines

from tests.factories import UserFactory


def _render(user) -> str:
    return engines["django"].from_string("{{ user|display_name }}").render({"user": user})


def test_a_person_is_named_by_full_name(db):
    assert _render(UserFactory(username="ada", first_name="Ada", last_name="Lovelace")) == (
        "Ada Lovelace"
    )


def test_a_person_without_a_name_is_named_by_username(db):
    assert _render(UserFactory(username="ada", first_name="", last_name="")) == "ada"
