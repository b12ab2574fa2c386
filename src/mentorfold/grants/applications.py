"""Applying for a grant: cycles, eligibility, drafts, attachments, submit and withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, Organization
from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.uploads import PDF, check_upload, sha256_of

from . import letters as letter_render
from .models import Application, Assignment, GrantAttachment, GrantCycle, LetterTemplate, Review
from .money import money
from .state import lock_cycle, lock_unfrozen_cycle
from .state import refuse_if_frozen as _refuse_if_frozen


def word_count(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------- cycles


@transaction.atomic
def cycle_save(*, cycle: GrantCycle, actor: Any) -> GrantCycle:
    """Create or update a cycle (with default letters); refused once the decision is frozen."""
    if cycle.pk:
        lock_unfrozen_cycle(cycle.pk)
    cycle.full_clean()
    created = cycle.pk is None
    cycle.save()
    for kind, (subject, body) in letter_render.DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.get_or_create(
            cycle=cycle, kind=kind, defaults={"subject": subject, "body": body}
        )
    audit(actor=actor, action="grants.cycle_created" if created else "grants.cycle_changed", target=cycle)
    return cycle


# --------------------------------------------------------------------------- applications


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    problems: list[str]


def eligibility_check(
    *, cycle: GrantCycle, applicant: LearnerProfile, answers: dict[str, bool] | None = None
) -> Eligibility:
    """Who may apply: medical students at a medical school in the cycle's state who answer the questions right."""
    problems = []
    if applicant.stage != LearnerProfile.Stage.MEDICAL_STUDENT:
        problems.append(
            _("These grants are for medical students. Your profile says you are at another stage.")
        )
    school = applicant.school
    if school is None or school.kind != Organization.Kind.MEDICAL_SCHOOL or school.state != cycle.state:
        problems.append(
            _("You must be enrolled in a medical school in %(state)s. Add your school to your profile.")
            % {"state": cycle.state}
        )
    if answers is not None:
        for q in cycle.eligibility_questions:
            if q.get("required") and answers.get(q["key"]) is not True:
                problems.append(_("Eligibility: you answered “no” to “%(q)s”.") % {"q": q["text"]})
    return Eligibility(ok=not problems, problems=problems)


@transaction.atomic
def application_start(
    *, cycle: GrantCycle, applicant: LearnerProfile, answers: dict[str, bool], now: datetime | None = None
) -> Application:
    """Open a draft (or return the existing one) after the eligibility check."""
    now = now or timezone.now()
    cycle = lock_cycle(cycle.pk)
    if not cycle.is_open(now):
        raise ValidationError(_("This grant cycle is not open for applications."))
    result = eligibility_check(cycle=cycle, applicant=applicant, answers=answers)
    if not result.ok:
        raise ValidationError(result.problems)
    application, _created = Application.objects.get_or_create(
        cycle=cycle, applicant=applicant, defaults={"eligibility_answers": answers}
    )
    return application


EDITABLE_FIELDS = (
    "personal_statement",
    "financial_need",
    "need_level",
    "community_involvement",
    "amount_requested",
    "budget_purpose",
    "topics",
    "is_first_year",
    "is_rural",
    "mailing_address",
)


def amount_problem(cycle: GrantCycle, amount: int | None) -> str | None:
    """The amount must lie within the cycle's smallest and largest award."""
    if amount is None or cycle.award_min <= amount <= cycle.award_max:
        return None
    return _("Amount requested: ask for %(lo)s to %(hi)s.") % {
        "lo": money(cycle.award_min),
        "hi": money(cycle.award_max),
    }


def _lock_application(pk: int) -> Application:
    """Lock the cycle row, then the application row (always in this order), with the cycle re-read."""
    cycle_id = Application.objects.values_list("cycle_id", flat=True).get(pk=pk)
    cycle = lock_cycle(cycle_id)
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("applicant__user").get(pk=pk)
    )
    application.cycle = cycle
    return application


def _require_editable(application: Application, now: datetime) -> None:
    cycle = application.cycle
    _refuse_if_frozen(cycle)
    if now > cycle.closes_at:
        raise ValidationError(_("The deadline has passed: applications can no longer change."))
    if application.status != Application.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can change. This application is %(s)s.") % {"s": application.get_status_display()}
        )


@transaction.atomic
def application_save(
    *, application: Application, data: dict[str, Any], now: datetime | None = None
) -> Application:
    """Save a draft (also used by autosave). Word limits are checked on submit, so nothing typed is lost;
    the amount must lie within the cycle's limits."""
    now = now or timezone.now()
    application = _lock_application(application.pk)
    _require_editable(application, now)
    changed = [field for field in EDITABLE_FIELDS if field in data]
    for field in changed:
        setattr(application, field, data[field])
    if "amount_requested" in data:
        problem = amount_problem(application.cycle, application.amount_requested)
        if problem:
            raise ValidationError({"amount_requested": problem})
    application.full_clean(exclude=["applicant", "cycle"])
    application.save(update_fields=[*changed, "updated_at"])
    return application


def _scan_hook() -> Any:
    path = getattr(settings, "GRANTS_UPLOAD_SCAN", "")
    return import_string(path) if path else None


@transaction.atomic
def attachment_add(
    *, application: Application, label: str, upload: UploadedFile, now: datetime | None = None
) -> GrantAttachment:
    """Add a PDF: the content is sniffed (not the name), the size capped and an optional virus-scan hook run.

    Idempotent: the same file sent twice (a double click, a retried request) is stored once; the
    application row is locked so two uploads at once cannot both pass the check.
    """
    now = now or timezone.now()
    application = _lock_application(application.pk)
    _require_editable(application, now)
    check_upload(upload, allowed=PDF, kinds="PDF")
    labels = application.cycle.required_attachments or []
    if label not in labels and label != "Other":
        raise ValidationError(_("Document type: choose one from the list."))
    upload.seek(0)
    digest = sha256_of(upload)
    existing = GrantAttachment.objects.filter(application=application, sha256=digest).first()
    if existing is not None:
        return existing
    scan = _scan_hook()
    if scan is not None and not scan(upload):
        raise ValidationError(_("File: the virus scan did not accept this file. Upload a clean copy."))
    upload.seek(0)
    attachment = GrantAttachment(
        application=application,
        label=label,
        original_name=(upload.name or "document.pdf")[-200:],
        size=upload.size,
        sha256=digest,
    )
    attachment.file.save("upload.pdf", upload, save=False)
    stored = attachment.file.name
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:
        # Another request stored the same file first (only possible without the row lock, e.g. SQLite).
        attachment.file.storage.delete(stored)
        return GrantAttachment.objects.get(application=application, sha256=digest)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: GrantAttachment, now: datetime | None = None) -> None:
    _require_editable(_lock_application(attachment.application_id), now or timezone.now())
    attachment.file.delete(save=False)
    attachment.delete()


def application_problems(application: Application) -> list[str]:
    """What still stops this draft from being submitted, in words an applicant can act on."""
    cycle = application.cycle
    problems = []
    if not application.personal_statement.strip():
        problems.append(_("Personal statement: write a few paragraphs about your path to medicine."))
    elif word_count(application.personal_statement) > cycle.statement_word_limit:
        problems.append(
            _("Personal statement: it has %(n)s words; shorten it to %(limit)s or fewer.")
            % {"n": word_count(application.personal_statement), "limit": cycle.statement_word_limit}
        )
    if not application.financial_need.strip():
        problems.append(_("Financial need: tell us briefly about your costs and other support."))
    elif word_count(application.financial_need) > cycle.need_word_limit:
        problems.append(
            _("Financial need: shorten it to %(limit)s words or fewer.") % {"limit": cycle.need_word_limit}
        )
    if word_count(application.community_involvement) > cycle.community_word_limit:
        problems.append(
            _("Community involvement: shorten it to %(limit)s words or fewer.")
            % {"limit": cycle.community_word_limit}
        )
    if not application.amount_requested:
        problems.append(_("Amount requested: enter the amount in dollars, for example 2500."))
    elif amount_problem(cycle, application.amount_requested):
        problems.append(amount_problem(cycle, application.amount_requested))
    if not application.budget_purpose.strip():
        problems.append(_("Budget: say what the money is for."))
    have = {a.label for a in application.attachments.all()}
    for label in cycle.required_attachments or []:
        if label not in have:
            problems.append(_("Attachments: upload your %(label)s as a PDF.") % {"label": label})
    return problems


@transaction.atomic
def application_submit(*, application: Application, now: datetime | None = None) -> Application:
    """Submit before the deadline (server time); a confirmation e-mail follows."""
    now = now or timezone.now()
    application = _lock_application(application.pk)
    _require_editable(application, now)
    problems = application_problems(application)
    if problems:
        raise ValidationError(problems)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at", "updated_at"])
    user = application.applicant.user
    transaction.on_commit(
        lambda: send_templated_mail(
            to=[user.email],
            subject=lambda: _("We received your grant application"),
            template="grants/email/submitted.txt",
            context={"name": user.get_short_name(), "application": application, "cycle": application.cycle},
        )
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, now: datetime | None = None) -> Application:
    """Withdraw (until the decision is frozen); open assignments and draft reviews go with it."""
    application = _lock_application(application.pk)
    _refuse_if_frozen(application.cycle)
    if application.status == Application.Status.WITHDRAWN:
        return application
    application.status = Application.Status.WITHDRAWN
    application.withdrawn_at = now or timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    Assignment.objects.filter(application=application).delete()
    Review.objects.filter(application=application).delete()
    return application
