"""Create the client application for Mentorfold and the people who can sign in at the test provider."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

PASSWORD = "provider-pass-123"
# e-mail, first name, last name, groups (see validators.ClaimsValidator)
PEOPLE = [
    ("new.mentor@county.example", "Nia", "Okafor", []),
    ("new.learner@county.example", "Lee", "Tran", []),
    ("linked.mentor@county.example", "Lina", "Park", []),
    ("unverified@county.example", "Uma", "Reyes", ["unverified"]),
    ("coordinator@county.example", "Cora", "Diaz", []),
    ("coordinator.mfa@county.example", "Cole", "Ng", ["mfa"]),
    ("outsider@elsewhere.example", "Otto", "Berg", []),
]


class Command(BaseCommand):
    help = "Set up the test provider's client application and users."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--redirect-uri", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        Application.objects.create(
            name="Mentorfold",
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=options["redirect_uri"],
            skip_authorization=True,
            algorithm=Application.RS256_ALGORITHM,
        )
        for email, first, last, groups in PEOPLE:
            user = User.objects.create_user(
                username=email, email=email, password=PASSWORD, first_name=first, last_name=last
            )
            for name in groups:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
