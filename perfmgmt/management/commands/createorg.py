"""Create an organisation and its first admin (production has no demo data)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from perfmgmt.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation with an admin user (created if missing, password printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", default="")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--fiscal-year-start-month", type=int, default=1)
        parser.add_argument("--admin", required=True, help="Username of the first admin.")
        parser.add_argument("--admin-email", default="")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(username=options["admin"]).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_user(
                username=options["admin"], email=options["admin_email"], password=password
            )
        try:
            org = organization_create(
                name=options["name"],
                slug=options["slug"],
                timezone=options["timezone"],
                fiscal_year_start_month=options["fiscal_year_start_month"],
                admin=user,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {org.name} at /o/{org.slug}/"))
        if password:
            self.stdout.write(f"Admin {user.username} password (shown once): {password}")
