"""Create the society's first coordinator from the command line, so setting up needs no admin site."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from mentorfold.accounts.models import Role, User
from mentorfold.core.audit import audit


class Command(BaseCommand):
    help = (
        "Create (or promote) a coordinator and print a one-time link where they choose their password. "
        "On first sign-in they must set up an authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="full name, e.g. 'Casey Morgan'")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        email = email.strip().lower()
        name = name.strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"--email: {email!r} is not an e-mail address") from exc
        if not name or len(name) > 150:
            raise CommandError("--name: give the person's full name (at most 150 characters)")
        with transaction.atomic():
            user = User.objects.select_for_update().filter(email__iexact=email).first()
            created = user is None
            if user is None:
                user = User.objects.create_user(email=email, password=None, full_name=name)
            user.grant_role(Role.COORDINATOR)
            # The address is confirmed by whoever runs this command on the server; the link below proves it too.
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            audit(actor=None, action="accounts.coordinator_created", target=user, data={"created": created})
        key = default_token_generator.make_token(user)
        path = reverse(
            "account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key}
        )
        verb = "Created" if created else "Gave the coordinator role to"
        self.stdout.write(f"{verb} {name} <{email}>.")
        self.stdout.write(f"Send them this one-time link to choose a password:\n  {settings.SITE_URL}{path}")
        self.stdout.write("On first sign-in they will be asked to set up an authenticator app.")
