"""Consent and legal text per language, and the society's review status of each language.

The English text is binding. A translation is shown when one exists for the requirement's current text version
in the page language; otherwise the page shows English with a one-line note. Every translation (and every
interface catalogue) is "machine-assisted" until a coordinator records who reviewed it and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mentorfold.accounts.models import Role, User
from mentorfold.core import languages
from mentorfold.core.audit import audit
from mentorfold.core.dates import format_date

from .models import LanguageReview, Requirement, RequirementTextTranslation, TranslationStatus

ENGLISH = "en"


@dataclass(frozen=True)
class ShownText:
    text: str
    language: str  # what the reader is shown: a translation's language, or "en"
    version: int
    translation: RequirementTextTranslation | None
    is_fallback: bool  # the page is in another language but no translation of this version exists


def base_language(code: str | None) -> str:
    """``en-us`` -> ``en``; other codes as offered (``zh-hans``)."""
    code = (code or ENGLISH).lower()
    return ENGLISH if code.startswith("en") else code


def requirement_text_for(requirement: Requirement, language: str | None) -> ShownText:
    """The text to show a reader of ``language``: its translation of the current version, else English."""
    language = base_language(language)
    if language != ENGLISH:
        translation = RequirementTextTranslation.objects.filter(
            requirement=requirement, version=requirement.version, language=language
        ).first()
        if translation is not None:
            return ShownText(translation.text, language, requirement.version, translation, is_fallback=False)
    return ShownText(requirement.text, ENGLISH, requirement.version, None, is_fallback=language != ENGLISH)


def status_line(status: str, reviewed_by_name: str, reviewed_on: date | None) -> str:
    if status == TranslationStatus.REVIEWED and reviewed_on is not None:
        return _("Reviewed by %(name)s on %(date)s") % {
            "name": reviewed_by_name,
            "date": format_date(reviewed_on),
        }
    return str(TranslationStatus.MACHINE.label)


def interface_status(language: str | None) -> str:
    """The interface catalogue's review status for ``language`` ("" for English, which is the source)."""
    language = base_language(language)
    if language == ENGLISH:
        return ""
    review = LanguageReview.objects.filter(language=language).first()
    if review is None:
        return str(TranslationStatus.MACHINE.label)
    return status_line(review.status, review.reviewed_by_name, review.reviewed_on)


def _require_coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR):
        raise PermissionDenied


def _check_language(language: str) -> None:
    if language == ENGLISH or language not in languages.BY_CODE:
        raise ValidationError({"language": _("Language: choose one of the languages in the list.")})


def _check_review(reviewed: bool, reviewed_by_name: str, reviewed_on: date | None) -> None:
    if reviewed and (not reviewed_by_name.strip() or reviewed_on is None):
        raise ValidationError(
            _("Reviewed: give the reviewer's name and the date of the review, or untick “Reviewed”.")
        )


@transaction.atomic
def requirement_translation_save(
    *,
    actor: User,
    requirement: Requirement,
    language: str,
    text: str,
    reviewed: bool,
    reviewed_by_name: str = "",
    reviewed_on: date | None = None,
) -> RequirementTextTranslation:
    """Add or change the translation of the requirement's current text version (audited)."""
    _require_coordinator(actor)
    _check_language(language)
    _check_review(reviewed, reviewed_by_name, reviewed_on)
    requirement = Requirement.objects.select_for_update().get(pk=requirement.pk)
    translation, created = RequirementTextTranslation.objects.select_for_update().get_or_create(
        requirement=requirement,
        version=requirement.version,
        language=language,
        defaults={"text": text},
    )
    translation.text = text
    translation.status = TranslationStatus.REVIEWED if reviewed else TranslationStatus.MACHINE
    translation.reviewed_by_name = reviewed_by_name.strip() if reviewed else ""
    translation.reviewed_on = reviewed_on if reviewed else None
    translation.full_clean()
    translation.save()
    audit(
        actor=actor,
        action="requirement_translation.create" if created else "requirement_translation.update",
        target=translation,
        data={
            "requirement": requirement.pk,
            "language": language,
            "version": requirement.version,
            "status": translation.status,
        },
    )
    return translation


@transaction.atomic
def language_review_save(
    *, actor: User, language: str, reviewed: bool, reviewed_by_name: str = "", reviewed_on: date | None = None
) -> LanguageReview:
    """Record whether the society has reviewed the interface translation of ``language`` (audited)."""
    _require_coordinator(actor)
    _check_language(language)
    _check_review(reviewed, reviewed_by_name, reviewed_on)
    review, _created = LanguageReview.objects.select_for_update().get_or_create(language=language)
    review.status = TranslationStatus.REVIEWED if reviewed else TranslationStatus.MACHINE
    review.reviewed_by_name = reviewed_by_name.strip() if reviewed else ""
    review.reviewed_on = reviewed_on if reviewed else None
    review.full_clean()
    review.save(update_fields=["status", "reviewed_by_name", "reviewed_on"])
    audit(
        actor=actor,
        action="language_review.update",
        target=review,
        data={"language": language, "status": review.status},
    )
    return review
