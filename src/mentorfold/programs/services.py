"""The verbs of programs: create programs, apply and decide, sign and review requirements, upload documents."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile, Role, User
from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.notices import notices_send
from mentorfold.core.uploads import PDF_OR_IMAGE, check_upload, sha256_of

from . import hooks
from .models import (
    Document,
    Enrollment,
    MentorTermOptIn,
    Program,
    Requirement,
    RequirementRecord,
    Term,
)

CONFIDENTIALITY_TEXT = gettext_lazy(
    "I will keep everything I see and hear about patients private. I will not write down, photograph, "
    "record or share any patient's name, face, date of birth, record number or health details — not in "
    "notes, messages or social media. I will leave the room whenever a patient or my mentor asks."
)
CONSENT_TEXT = gettext_lazy(
    "I am the parent or legal guardian of this learner. I have read what they will do in this program, "
    "the clinic rules and the hours limit, and I agree that they may take part and shadow in clinic. "
    "I can withdraw this consent at any time; their future clinic visits will then be cancelled."
)
ORIENTATION_TEXT = gettext_lazy("I attended the program orientation and understood the clinic safety rules.")


def _standard_requirements(program: Program) -> list[Requirement]:
    return [
        Requirement(
            program=program,
            name=_("Confidentiality (HIPAA) agreement"),
            kind=Requirement.Kind.CONFIDENTIALITY,
            applies_to=Requirement.AppliesTo.LEARNER,
            text=str(CONFIDENTIALITY_TEXT),
        ),
        Requirement(
            program=program,
            name=_("Parent or guardian consent"),
            kind=Requirement.Kind.GUARDIAN_CONSENT,
            applies_to=Requirement.AppliesTo.LEARNER,
            text=str(CONSENT_TEXT),
            minors_only=True,
        ),
        Requirement(
            program=program,
            name=_("Orientation"),
            kind=Requirement.Kind.ORIENTATION,
            applies_to=Requirement.AppliesTo.LEARNER,
            text=str(ORIENTATION_TEXT),
        ),
        Requirement(
            program=program,
            name=_("Background check"),
            kind=Requirement.Kind.BACKGROUND_CHECK,
            applies_to=Requirement.AppliesTo.MENTOR,
            requires_document=True,
            valid_for_days=730,
        ),
    ]


@transaction.atomic
def program_standard_requirements_ensure(*, program: Program) -> list[Requirement]:
    """Give a program the usual requirements (idempotent: kinds it already has are kept as they are)."""
    existing = set(program.requirements.values_list("kind", "applies_to"))
    wanted = [r for r in _standard_requirements(program) if (r.kind, r.applies_to) not in existing]
    for requirement in wanted:
        requirement.full_clean()
        requirement.save()
    return wanted


@transaction.atomic
def program_create(*, actor: User | None, name: str, slug: str, description: str, **fields: Any) -> Program:
    """Create a program with its standard requirements (immunization and TB are usually set per site)."""
    if actor is not None and not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    program = Program(name=name.strip(), slug=slug, description=description, **fields)
    program.full_clean()
    program.save()
    program_standard_requirements_ensure(program=program)
    audit(actor=actor, action="program.create", target=program)
    return program


def guardian_consent_requirement(program: Program) -> Requirement | None:
    return program.requirements.filter(kind=Requirement.Kind.GUARDIAN_CONSENT).first()


def _consent_record(learner: LearnerProfile, program: Program) -> RequirementRecord | None:
    requirement = guardian_consent_requirement(program)
    if requirement is None:
        return None
    return (
        RequirementRecord.objects.filter(requirement=requirement, person_id=learner.user_id)
        .order_by("-submitted_at", "-pk")
        .first()
    )


def has_guardian_consent(learner: LearnerProfile, program: Program) -> bool:
    """A signed (waiting for review or approved), not withdrawn consent from a verified guardian."""
    record = _consent_record(learner, program)
    if record is None or record.status not in {
        RequirementRecord.Status.SUBMITTED,
        RequirementRecord.Status.APPROVED,
    }:
        return False
    return GuardianLink.objects.filter(
        learner=learner, guardian_id=record.signed_by_id, status=GuardianLink.Status.VERIFIED
    ).exists()


# --- Enrollment ---------------------------------------------------------------------------------------


@transaction.atomic
def enrollment_apply(
    *,
    learner: LearnerProfile,
    term: Term,
    statement: str,
    interests: str = "",
    availability: list[str] | None = None,
    languages: str = "",
) -> Enrollment:
    """A learner applies to an open term; a minor's verified guardians get a consent link by e-mail."""
    now = timezone.now()
    program = term.program
    if (
        program.archived_at is not None
        or term.status != Term.Status.OPEN
        or not (term.application_opens <= now < term.application_closes)
    ):
        raise ValidationError(_("%(term)s is not taking applications right now.") % {"term": term})
    if learner.stage not in (program.eligible_stages or []):
        raise ValidationError(
            _("%(program)s is not open to learners at your stage (%(stage)s).")
            % {"program": program.name, "stage": learner.get_stage_display()}
        )
    age = learner.age_on(term.starts_on)
    if age < program.min_age:
        raise ValidationError(
            _("You need to be at least %(min)d when the program starts on %(day)s.")
            % {"min": program.min_age, "day": term.starts_on.isoformat()}
        )
    if Enrollment.objects.filter(term=term, learner=learner).exists():
        raise ValidationError(_("You have already applied to %(term)s.") % {"term": term})
    enrollment = Enrollment(
        term=term,
        learner=learner,
        statement=statement.strip(),
        interests=interests.strip(),
        availability=availability or [],
        languages=languages.strip(),
    )
    enrollment.full_clean()
    enrollment.save()
    audit(actor=learner.user, action="enrollment.apply", target=enrollment)
    if learner.age_on(timezone.localdate()) < 18:
        guardian_consent_request(learner=learner, program=program)
    return enrollment


ENROLLMENT_DECISIONS = {
    "accept": Enrollment.Status.ACCEPTED,
    "waitlist": Enrollment.Status.WAITLISTED,
    "decline": Enrollment.Status.DECLINED,
}
# Only an application still waiting (applied, or waitlisted) can be decided; a final decision stays final.
DECIDABLE = {Enrollment.Status.APPLIED, Enrollment.Status.WAITLISTED}


@transaction.atomic
def enrollment_decide(*, enrollment: Enrollment, actor: User, decision: str, reason: str = "") -> Enrollment:
    """A coordinator accepts, waitlists or declines; a minor is accepted only with a guardian's consent."""
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    if decision not in ENROLLMENT_DECISIONS:
        raise ValidationError({"decision": _("Decision: choose accept, waitlist or decline.")})
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("term__program", "learner__user")
        .get(pk=enrollment.pk)
    )
    learner, program = enrollment.learner, enrollment.term.program
    new_status = ENROLLMENT_DECISIONS[decision]
    if enrollment.status not in DECIDABLE or enrollment.status == new_status:
        # Two coordinators (or a double click) deciding the same application: the second one is told.
        raise ValidationError(
            _(
                "%(name)s's application is already %(status)s (decided %(when)s). Reload the list to see "
                "the current decisions."
            )
            % {
                "name": learner.user.full_name,
                "status": enrollment.get_status_display().lower(),
                "when": formats.date_format(timezone.localtime(enrollment.decided_at), "j F Y H:i")
                if enrollment.decided_at
                else "-",
            },
            code="already_decided",
        )
    if decision == "decline" and not reason.strip():
        raise ValidationError({"reason": _("Reason: say why, so the learner knows what to do next.")})
    if (
        decision == "accept"
        and learner.age_on(timezone.localdate()) < 18
        and not has_guardian_consent(learner, program)
    ):
        raise ValidationError(
            _(
                "%(name)s is under 18 and a parent or guardian has not signed consent for %(program)s yet. "
                "Waitlist the application until they sign."
            )
            % {"name": learner.user.full_name, "program": program.name}
        )
    enrollment.status = new_status
    enrollment.decision_reason = reason.strip()
    enrollment.decided_by = actor
    enrollment.decided_at = timezone.now()
    enrollment.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    audit(
        actor=actor,
        action=f"enrollment.{decision}",
        target=enrollment,
        reason=enrollment.decision_reason,
    )
    if new_status == Enrollment.Status.ACCEPTED:
        hooks.notify_enrollment_accepted(enrollment=enrollment, actor=actor)
    text = _("%(term)s: your application is now %(status)s.") % {
        "term": enrollment.term,
        "status": enrollment.get_status_display().lower(),
    }
    transaction.on_commit(lambda: notices_send(users=[learner.user], text=text, url=reverse("dashboard")))
    return enrollment


@transaction.atomic
def mentor_opt_in(
    *, mentor: MentorProfile, term: Term, capacity: int, availability: list[str] | None = None
) -> MentorTermOptIn:
    """A mentor takes part in a term (or changes their capacity for it)."""
    if term.status in {Term.Status.CLOSED, Term.Status.DRAFT}:
        raise ValidationError(_("%(term)s is not taking mentors right now.") % {"term": term})
    opt_in = MentorTermOptIn.objects.filter(term=term, mentor=mentor).first() or MentorTermOptIn(
        term=term, mentor=mentor
    )
    opt_in.capacity = capacity
    opt_in.availability = availability or opt_in.availability or []
    opt_in.full_clean()
    opt_in.save()
    audit(actor=mentor.user, action="term.opt_in", target=opt_in, data={"capacity": capacity})
    return opt_in


# --- Signatures, documents, review ---------------------------------------------------------------------


def _check_signed_name(signed_name: str, expected: str) -> str:
    typed = " ".join(signed_name.split())
    if typed.casefold() != " ".join(expected.split()).casefold():
        raise ValidationError(
            {"signed_name": _("Typed name: type your full name exactly as %(name)s.") % {"name": expected}}
        )
    return typed


@transaction.atomic
def attestation_sign(
    *, requirement: Requirement, person: User, signed_name: str, ip: str | None
) -> RequirementRecord:
    """The person reads the text and signs with their typed name (confidentiality, orientation)."""
    if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT:
        raise PermissionDenied
    if requirement.requires_document:
        raise ValidationError(_("%(name)s needs an uploaded document.") % {"name": requirement.name})
    typed = _check_signed_name(signed_name, person.full_name)
    record = RequirementRecord(
        requirement=requirement,
        person=person,
        status=RequirementRecord.Status.SUBMITTED,
        signed_name=typed,
        signed_by=person,
        signed_at=timezone.now(),
        signed_ip=ip,
        text_version=requirement.version,
        expires_on=(
            timezone.localdate() + timedelta(days=requirement.valid_for_days)
            if requirement.valid_for_days
            else None
        ),
    )
    record.full_clean()
    record.save()
    audit(actor=person, action="requirement.sign", target=record, data={"version": requirement.version})
    return record


def document_validate(upload: UploadedFile) -> str:
    """Refuse files that are too big (checked before reading) or are not really PDF/JPEG/PNG."""
    try:
        return check_upload(upload, allowed=PDF_OR_IMAGE, kinds=_("PDF, JPEG or PNG"))
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None


@transaction.atomic
def document_upload(*, owner: User, upload: UploadedFile, uploaded_by: User) -> Document:
    mime = document_validate(upload)
    document = Document(
        owner=owner,
        uploaded_by=uploaded_by,
        original_name=(upload.name or "upload")[:200],
        content_type=mime,
        size=upload.size or 0,
        sha256=sha256_of(upload),
    )
    # The stored name is random and its extension comes from the sniffed type, never from the user.
    document.file.save(f"upload.{PDF_OR_IMAGE[mime]}", upload, save=False)
    document.save()
    audit(actor=uploaded_by, action="document.upload", target=document, data={"type": mime})
    return document


@transaction.atomic
def requirement_document_submit(
    *,
    requirement: Requirement,
    person: User,
    upload: UploadedFile,
    done_on: date | None = None,
    expires_on: date | None = None,
) -> RequirementRecord:
    """Upload a record (immunizations, TB test, background check) for review; the expiry date is kept."""
    if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT:
        raise PermissionDenied
    today = timezone.localdate()
    if expires_on is None and requirement.valid_for_days:
        if done_on is None:
            raise ValidationError(
                {"done_on": _("Date done: enter the date of the test or record, e.g. 2026-09-15.")}
            )
        expires_on = done_on + timedelta(days=requirement.valid_for_days)
    if done_on is not None and done_on > today:
        raise ValidationError({"done_on": _("Date done: this date is in the future.")})
    if expires_on is not None and expires_on < today:
        raise ValidationError(
            {
                "expires_on": _("Expires on: this record expired on %(day)s — upload a newer one.")
                % {"day": expires_on.isoformat()}
            }
        )
    document = document_upload(owner=person, upload=upload, uploaded_by=person)
    record = RequirementRecord(
        requirement=requirement,
        person=person,
        status=RequirementRecord.Status.SUBMITTED,
        document=document,
        expires_on=expires_on,
        text_version=requirement.version,
    )
    record.full_clean()
    record.save()
    audit(actor=person, action="requirement.submit", target=record)
    return record


@transaction.atomic
def requirement_record_review(
    *, record: RequirementRecord, actor: User, approve: bool, note: str = ""
) -> RequirementRecord:
    """A coordinator approves or rejects a submission (rejections need a note the person can act on)."""
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied
    record = (
        RequirementRecord.objects.select_for_update(of=("self",))
        .select_related("requirement")
        .get(pk=record.pk)
    )
    if record.status != RequirementRecord.Status.SUBMITTED:
        raise ValidationError(
            _("This submission was already reviewed or withdrawn (now: %(status)s). Reload the queue.")
            % {"status": record.get_status_display().lower()},
            code="already_reviewed",
        )
    if not approve and not note.strip():
        raise ValidationError({"note": _("Note: say what is wrong so the person can fix it.")})
    record.status = RequirementRecord.Status.APPROVED if approve else RequirementRecord.Status.REJECTED
    record.review_note = note.strip()
    record.reviewed_by = actor
    record.reviewed_at = timezone.now()
    record.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    audit(
        actor=actor,
        action="requirement.approve" if approve else "requirement.reject",
        target=record,
        reason=record.review_note,
    )
    requirement_name = record.requirement.name
    text = (
        _("%(name)s: approved.") % {"name": requirement_name}
        if approve
        else _("%(name)s: not accepted — %(note)s") % {"name": requirement_name, "note": record.review_note}
    )
    person_id = record.person_id
    transaction.on_commit(
        lambda: notices_send(
            users=User.objects.filter(pk=person_id), text=text, url=reverse("programs:my_requirements")
        )
    )
    return record


# --- Guardian consent ----------------------------------------------------------------------------------


def consent_url(learner: LearnerProfile, program: Program) -> str:
    return reverse("programs:consent", args=[learner.pk, program.slug])


def guardian_consent_request(*, learner: LearnerProfile, program: Program) -> int:
    """E-mail each verified guardian a link to the consent page for this program; returns how many."""
    links = list(
        GuardianLink.objects.filter(learner=learner, status=GuardianLink.Status.VERIFIED).select_related(
            "guardian"
        )
    )
    emails = [link.guardian.email for link in links if link.guardian is not None]
    if emails:
        url = consent_url(learner, program)
        transaction.on_commit(
            lambda: send_templated_mail(
                to=emails,
                subject=lambda: (
                    _("Please review and sign consent for %(name)s") % {"name": learner.user.full_name}
                ),
                template="programs/email/consent_request.txt",
                context={"learner": learner, "program": program, "url": url},
            )
        )
    return len(emails)


@transaction.atomic
def guardian_consent_sign(
    *,
    learner: LearnerProfile,
    program: Program,
    guardian: User,
    signed_name: str,
    ip: str | None,
    text_language: str = "en",
) -> RequirementRecord:
    """A verified guardian signs consent for their child in a program (typed name, time, IP, text version).

    ``text_language`` is the language of the consent text the guardian was shown (English is binding).
    """
    if not GuardianLink.objects.filter(
        learner=learner, guardian=guardian, status=GuardianLink.Status.VERIFIED
    ).exists():
        raise PermissionDenied
    requirement = guardian_consent_requirement(program)
    if requirement is None:
        raise ValidationError(_("%(program)s does not ask for guardian consent.") % {"program": program.name})
    typed = _check_signed_name(signed_name, guardian.full_name)
    current = _consent_record(learner, program)
    if current is not None and current.status in {
        RequirementRecord.Status.SUBMITTED,
        RequirementRecord.Status.APPROVED,
    }:
        raise ValidationError(
            _("You have already signed consent for %(program)s.") % {"program": program.name}
        )
    record = RequirementRecord(
        requirement=requirement,
        person_id=learner.user_id,
        status=RequirementRecord.Status.SUBMITTED,
        signed_name=typed,
        signed_by=guardian,
        signed_at=timezone.now(),
        signed_ip=ip,
        text_version=requirement.version,
        text_language=text_language,
    )
    record.full_clean()
    record.save()
    audit(
        actor=guardian,
        action="consent.sign",
        target=record,
        data={
            "learner": learner.pk,
            "program": program.pk,
            "version": requirement.version,
            "language": text_language,
        },
    )
    return record


@transaction.atomic
def guardian_consent_revoke(*, record: RequirementRecord, actor: User, reason: str = "") -> int:
    """Withdraw consent; other apps cancel the learner's future bookings. Returns how many were cancelled."""
    record = (
        RequirementRecord.objects.select_for_update(of=("self",))
        .select_related("requirement__program")
        .get(pk=record.pk)
    )
    requirement = record.requirement
    if requirement.kind != Requirement.Kind.GUARDIAN_CONSENT or requirement.program is None:
        raise ValidationError(_("Only a guardian's consent can be withdrawn here."))
    learner = LearnerProfile.objects.select_related("user").get(user_id=record.person_id)
    is_guardian = GuardianLink.objects.filter(
        learner=learner, guardian=actor, status=GuardianLink.Status.VERIFIED
    ).exists()
    if not (is_guardian or actor.has_role(Role.COORDINATOR)):
        raise PermissionDenied
    if record.status == RequirementRecord.Status.REVOKED:
        raise ValidationError(_("This consent was already withdrawn."))
    record.status = RequirementRecord.Status.REVOKED
    record.revoked_at = timezone.now()
    record.review_note = reason.strip()
    record.save(update_fields=["status", "revoked_at", "review_note"])
    audit(actor=actor, action="consent.revoke", target=record, reason=reason.strip())
    return hooks.notify_consent_revoked(
        learner=learner, program=requirement.program, actor=actor, reason=reason.strip()
    )
