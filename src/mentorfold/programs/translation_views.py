"""Coordinator pages: the review status of each interface language, and consent text translations (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorfold.core import languages
from mentorfold.core.forms import add_validation_errors

from . import text_translations
from .models import LanguageReview, Requirement, RequirementTextTranslation
from .translation_forms import (
    LanguagePickForm,
    LanguageReviewForm,
    RequirementLanguageForm,
    RequirementTranslationForm,
)
from .workspace import _require_coordinator


def _overview_context() -> dict[str, Any]:
    reviews = {review.language: review for review in LanguageReview.objects.all()}
    offered = set(languages.listed_codes())
    rows = []
    for language in languages.KNOWN:
        if language.code == "en":
            continue
        review = reviews.get(language.code)
        rows.append(
            {
                "language": language,
                "offered": language.code in offered,
                "status": text_translations.status_line(
                    review.status, review.reviewed_by_name, review.reviewed_on
                )
                if review
                else text_translations.status_line("machine", "", None),
                "form": LanguageReviewForm(
                    initial={
                        "reviewed": bool(review and review.status == "reviewed"),
                        "reviewed_by_name": review.reviewed_by_name if review else "",
                        "reviewed_on": review.reviewed_on if review else None,
                    },
                    prefix=language.code,
                ),
            }
        )
    texts = []
    requirements = (
        Requirement.objects.filter(program__isnull=False, kind=Requirement.Kind.GUARDIAN_CONSENT)
        .exclude(text="")
        .select_related("program")
        .prefetch_related(
            Prefetch("translations", queryset=RequirementTextTranslation.objects.order_by("language"))
        )
        .order_by("program__name")
    )
    for requirement in requirements:
        current = {t.language: t for t in requirement.translations.all() if t.version == requirement.version}
        texts.append(
            {
                "requirement": requirement,
                "languages": [
                    {
                        "language": language,
                        "translation": current.get(language.code),
                        "status": text_translations.status_line(
                            current[language.code].status,
                            current[language.code].reviewed_by_name,
                            current[language.code].reviewed_on,
                        )
                        if language.code in current
                        else "",
                    }
                    for language in languages.KNOWN
                    if language.code != "en"
                ],
            }
        )
    return {"rows": rows, "texts": texts}


@login_required
@require_GET
def translations(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    return render(request, "programs/translations.html", _overview_context())


@login_required
@require_POST
def language_review(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    pick = LanguagePickForm(request.POST)
    if not pick.is_valid():
        return HttpResponseBadRequest(_("Choose a language from the list."))
    code = pick.cleaned_data["language"]
    form = LanguageReviewForm(request.POST, prefix=code)
    if form.is_valid():
        try:
            text_translations.language_review_save(
                actor=request.user,
                language=code,
                reviewed=form.cleaned_data["reviewed"],
                reviewed_by_name=form.cleaned_data["reviewed_by_name"],
                reviewed_on=form.cleaned_data["reviewed_on"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The review status is saved."))
            return redirect("programs:translations")
    context = _overview_context()
    for row in context["rows"]:
        if row["language"].code == code:
            row["form"] = form
    return render(request, "programs/translations.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def requirement_translation(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    target = RequirementLanguageForm(request.GET)
    if not target.is_valid():
        raise Http404
    requirement: Requirement = target.cleaned_data["requirement"]
    code: str = target.cleaned_data["language"]
    current = RequirementTextTranslation.objects.filter(
        requirement=requirement, version=requirement.version, language=code
    ).first()
    initial = {"text": current.text} if current else {}
    if current is not None:
        initial.update(
            reviewed=current.status == "reviewed",
            reviewed_by_name=current.reviewed_by_name,
            reviewed_on=current.reviewed_on,
        )
    form = RequirementTranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            text_translations.requirement_translation_save(
                actor=request.user,
                requirement=requirement,
                language=code,
                text=form.cleaned_data["text"],
                reviewed=form.cleaned_data["reviewed"],
                reviewed_by_name=form.cleaned_data["reviewed_by_name"],
                reviewed_on=form.cleaned_data["reviewed_on"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("The translation is saved."))
            return redirect(reverse("programs:translations"))
    return render(
        request,
        "programs/translation_edit.html",
        {"form": form, "requirement": requirement, "language": languages.BY_CODE[code], "current": current},
    )
