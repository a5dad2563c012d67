from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from perfmgmt.models import ApiKeyScope
from perfmgmt.services import api_key_create


@pytest.fixture
def key_client():
    """An API client holding a fresh key of the given organisation's world."""

    def make(world, scope: str = ApiKeyScope.READ_WRITE, **kwargs) -> APIClient:
        _, secret = api_key_create(
            org=world.org, actor=world.admin, name="warehouse", scope=scope, **kwargs
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.secret = secret
        return client

    return make
