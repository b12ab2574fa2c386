"""Get a seeded database ready for the load test and write the accounts locust signs in with.

The demo society leaves few writes to make: its learners miss requirements, its reviews are submitted. So, in
this load database only:
- reviewers get the demo TOTP secret (the site would otherwise send them to set one up) and their reviews of
  the cycle under review go back to draft, so they can score;
- a "Load test" program with open booking, a running term and a new clinic (no requirements) gets every
  cleared demo mentor and adult learner, and each mentor publishes slots for the next four weeks.
Run with the project's Python and the same DATABASE_URL as the site. Needs factory-boy (the test extra).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorfold.settings")
    import django

    django.setup()
    from allauth.mfa.models import Authenticator

    from mentorfold.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET
    from mentorfold.accounts.models import LearnerProfile, User

    def emails(role: str) -> list[str]:
        qs = User.objects.filter(groups__name=role, is_active=True, email__endswith=f"@{DEMO_DOMAIN}")
        return sorted(qs.values_list("email", flat=True))

    program_ready = _load_program()
    adults = [lp.user.email for lp in LearnerProfile.objects.select_related("user") if not lp.is_minor]
    reviewers = emails("reviewer")
    for user in User.objects.filter(email__in=reviewers):
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": DEMO_TOTP_SECRET}}
        )
    accounts = {
        "password": DEMO_PASSWORD,
        "totp_secret": DEMO_TOTP_SECRET,
        "learners": sorted(e for e in adults if e.endswith(f"@{DEMO_DOMAIN}")),
        "mentors": emails("mentor"),
        "reviewers": reviewers,
        "coordinators": [f"coordinator@{DEMO_DOMAIN}"],
    }
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "accounts.json")
    out.write_text(json.dumps(accounts, indent=2))
    print(", ".join(f"{k}: {len(v)}" for k, v in accounts.items() if isinstance(v, list)), "|", program_ready)
    return 0


def _load_program() -> str:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from mentorfold.accounts.models import LearnerProfile, MentorProfile
    from mentorfold.grants.models import GrantCycle, Review
    from mentorfold.programs.tests.factories import MentorTermOptInFactory
    from mentorfold.shadowing import services
    from mentorfold.shadowing.models import Slot
    from mentorfold.shadowing.tests.factories import (
        EnrollmentFactory,
        ProgramFactory,
        SiteFactory,
        TermFactory,
    )

    drafts = Review.objects.filter(cycle__status=GrantCycle.Status.REVIEW).update(status=Review.Status.DRAFT)
    with transaction.atomic():
        program = ProgramFactory(
            name="Load test",
            slug=f"load-test-{timezone.now():%Y%m%d%H%M%S}",
            allows_open_booking=True,
            max_bookings_per_week=50,
            max_hours_per_experience=2000,
        )
        term = TermFactory(program=program)
        site = SiteFactory(name=f"Load test clinic {program.pk}", max_learners_at_once=3)
        learners = [lp for lp in LearnerProfile.objects.select_related("user") if not lp.is_minor]
        for learner in learners:
            EnrollmentFactory(term=term, learner=learner)
        probe = learners[0]
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        mentors = 0
        for mentor in MentorProfile.objects.filter(status=MentorProfile.Status.ACTIVE).order_by("pk"):
            site.mentors.add(mentor)
            MentorTermOptInFactory(term=term, mentor=mentor, capacity=50)
            first = Slot.objects.create(
                mentor=mentor,
                site=site,
                program=program,
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                capacity=2,
            )
            if services.booking_eligibility_errors(learner=probe, slot=first):
                site.mentors.remove(mentor)
                first.delete()
                continue
            mentors += 1
            Slot.objects.bulk_create(
                Slot(
                    mentor=mentor,
                    site=site,
                    program=program,
                    capacity=2,
                    starts_at=start + timedelta(days=d, hours=h),
                    ends_at=start + timedelta(days=d, hours=h + 3),
                )
                for d in range(0, 28)
                for h in (0, 4)
                if (d, h) != (0, 0)
            )
    return f"load program {program.pk}: {mentors} mentors, {len(learners)} learners; {drafts} reviews back to draft"


if __name__ == "__main__":
    sys.exit(main())
