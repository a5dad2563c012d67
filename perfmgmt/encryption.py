"""Secrets at rest: values encrypted with Fernet under keys from the environment.

FIELD_ENCRYPTION_KEYS is a comma-separated list of Fernet keys. The first encrypts; every one
of them decrypts (MultiFernet), so a key is rotated by putting a new one first, running
`manage.py rotate_field_keys` (every stored secret re-encrypted under the first key), and then
dropping the old one. Without the keys, the database alone gives away no secret.

`EncryptedTextField` stores a Fernet token and hands the model the plain text; nothing else in
the code sees a token. A token no key opens is an error that names the setting, never a silent
empty value.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class UndecryptableSecret(ImproperlyConfigured):
    """A stored secret that none of FIELD_ENCRYPTION_KEYS opens."""


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise UndecryptableSecret(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was the key it was "
            "written with removed before `manage.py rotate_field_keys` ran?"
        ) from exc


def rotate(token: str) -> str:
    """The same secret, encrypted under the first key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database; the empty string stays empty (nothing to hide, and
    "is one set?" stays a plain query)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(str(value))
