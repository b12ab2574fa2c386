"""Learning pages. Thin: parse the request with a form, call a service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role
from mentorfold.core.forms import PageForm
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

from . import selectors, services
from .forms import (
    AnswerForm,
    AskForm,
    CardForm,
    GlossaryForm,
    MomentForm,
    ProgramGlossaryForm,
    RateForm,
    ReflectionForm,
    SearchForm,
)
from .models import GlossaryEntry, Question, Reflection

GLOSSARY_PER_PAGE = 50


def _learner(request: HttpRequest) -> LearnerProfile:
    learner = getattr(request.user, "learner_profile", None)
    if learner is None or not request.user.has_role(Role.LEARNER):
        raise PermissionDenied
    return learner


def _mentor(request: HttpRequest) -> MentorProfile:
    mentor = getattr(request.user, "mentor_profile", None)
    if mentor is None or not request.user.has_role(Role.MENTOR):
        raise PermissionDenied
    return mentor


def _member(request: HttpRequest) -> None:
    if not (request.user.role_names & {"learner", "mentor", "coordinator"}):
        raise PermissionDenied


def _mentorship(request: HttpRequest, pk: int) -> Mentorship:
    """The mentorship, 404 for anyone who may not see it (another learner's never shows that it exists)."""
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("mentor__user", "learner__user", "term__program"), pk=pk
    )
    if not request.user.has_perm("matching.view_mentorship", mentorship):
        raise Http404
    return mentorship


def _question(request: HttpRequest, pk: int) -> Question:
    question = get_object_or_404(
        Question.objects.select_related(
            "asked_by__user",
            "mentorship__mentor__user",
            "mentorship__learner__user",
            "program",
            "answered_by",
        ),
        pk=pk,
    )
    if not request.user.has_perm("learning.view_question", question):
        raise Http404
    return question


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    _member(request)
    return render(request, "learning/home.html", selectors.home_for(request.user))


def _ask_form(request: HttpRequest, learner: LearnerProfile, data: Any = None) -> AskForm:
    mentorships = [
        m for m in selectors.user_mentorships(request.user) if m.learner_id == learner.pk and m.is_current
    ]
    programs = list({m.term.program_id: m.term.program for m in mentorships}.values())
    bookings = Booking.objects.filter(learner=learner, status__in=Booking.ACTIVE).select_related("slot")
    return AskForm(data, mentorships=mentorships, programs=programs, bookings=bookings)


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    form = _ask_form(request, learner, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        mentorship, program = form.target()
        try:
            question = services.question_ask(
                learner=learner,
                mentorship=mentorship,
                program=program,
                booking=form.cleaned_data["booking"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Your question was sent."))
            return redirect("learning:question", pk=question.pk)
    return render(request, "learning/ask.html", {"form": form})


@login_required
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    user = request.user
    can_answer = user.has_perm("learning.answer_question", question)
    initial = {
        "answer_markdown": question.answer_markdown,
        "sent_back_to_books": question.sent_back_to_books,
        "reviewed_what": question.reviewed_what,
    }
    context = {
        "question": question,
        "asker_name": selectors.display_name(question.asked_by, user),
        "can_answer": can_answer,
        "answer_form": AnswerForm(initial=initial) if can_answer else None,
        "is_asker": question.asked_by.user_id == user.pk,
        "can_promote": question.program_id is not None and user.has_perm("learning.promote"),
        "has_card": question.flashcards.filter(owner=user).exists(),
    }
    return render(request, "learning/question.html", context)


@login_required
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("learning:question", pk=question.pk)
    try:
        services.question_answer(question_id=question.pk, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Your answer was saved."))
    return redirect("learning:question", pk=question.pk)


@login_required
@require_POST
def question_helpful(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    try:
        services.question_mark_helpful(question_id=question.pk, user=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Thank you. Your mentor will see that the answer helped."))
    return redirect("learning:question", pk=question.pk)


@login_required
@require_POST
def question_promote(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    try:
        services.question_promote(question_id=question.pk, user=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Added to the program's knowledge base."))
    return redirect("learning:question", pk=question.pk)


@login_required
@require_GET
def mentorship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mentorship = _mentorship(request, pk)
    context = selectors.mentorship_page(mentorship=mentorship, viewer=request.user)
    can_contribute = request.user.has_perm("learning.contribute", mentorship)
    context.update(
        {
            "can_contribute": can_contribute,
            "is_coordinator": request.user.has_role(Role.COORDINATOR),
            # Both forms have a "direction" field: distinct ids keep each label tied to its own control.
            "glossary_form": GlossaryForm(auto_id="glossary_%s") if can_contribute else None,
            "moment_form": MomentForm(auto_id="moment_%s") if can_contribute else None,
            "viewer_is_mentor": mentorship.mentor.user_id == request.user.pk,
            "viewer_is_learner": mentorship.learner.user_id == request.user.pk,
        }
    )
    return render(request, "learning/mentorship.html", context)


@login_required
@require_POST
def glossary_add(request: HttpRequest, pk: int) -> HttpResponse:
    mentorship = _mentorship(request, pk)
    form = GlossaryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("learning:mentorship", pk=mentorship.pk)
    try:
        services.glossary_add(user=request.user, mentorship=mentorship, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Added to your glossary."))
    return redirect("learning:mentorship", pk=mentorship.pk)


@login_required
@require_POST
def moment_add(request: HttpRequest, pk: int) -> HttpResponse:
    mentorship = _mentorship(request, pk)
    form = MomentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("learning:mentorship", pk=mentorship.pk)
    try:
        services.moment_record(mentorship=mentorship, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Teaching moment saved."))
    return redirect("learning:mentorship", pk=mentorship.pk)


@login_required
@require_GET
def glossary(request: HttpRequest) -> HttpResponse:
    _member(request)
    form = SearchForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Search: use at most 100 characters."))
    page_form = PageForm(request.GET)
    if not page_form.is_valid():
        return HttpResponseBadRequest(_("Page: use a whole number from 1."))
    query = form.cleaned_data["q"]
    # One page at a time: a coordinator's glossary holds every mentorship's terms.
    page = Paginator(selectors.glossary_search(user=request.user, query=query), GLOSSARY_PER_PAGE).get_page(
        page_form.cleaned_data["page"] or 1
    )
    entries = list(page.object_list)
    is_coordinator = request.user.has_role(Role.COORDINATOR)
    context = {
        "form": form,
        "entries": entries,
        "page": page,
        "query": query,
        "is_coordinator": is_coordinator,
        "program_form": ProgramGlossaryForm() if is_coordinator else None,
    }
    return render(request, "learning/glossary.html", context)


@login_required
@require_POST
def glossary_program_add(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("learning.promote"):
        raise PermissionDenied
    form = ProgramGlossaryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("learning:glossary")
    try:
        services.glossary_add(user=request.user, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Added to the program glossary."))
    return redirect("learning:glossary")


@login_required
@require_POST
def glossary_promote(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(GlossaryEntry.objects.select_related("mentorship", "program"), pk=pk)
    if not selectors.can_view_glossary_entry(user=request.user, entry=entry):
        raise Http404
    try:
        services.glossary_promote(entry_id=entry.pk, user=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Added to the program glossary."))
    return redirect("learning:glossary")


@login_required
@require_GET
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_object_or_404(Program, slug=slug)
    if not request.user.has_perm("learning.view_program", program):
        raise Http404
    context = selectors.program_page(program=program, viewer=request.user)
    return render(request, "learning/program.html", context)


@login_required
@require_GET
def learned(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    form = PageForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Page: use a whole number from 1."))
    page = selectors.learned_page(mentor=mentor, page_number=form.cleaned_data["page"] or 1)
    this_year = timezone.localdate().year
    return render(
        request, "learning/learned.html", {"page": page, "years": range(this_year, this_year - 5, -1)}
    )


@login_required
@require_GET
def learned_year(request: HttpRequest, year: int) -> HttpResponse:
    mentor = _mentor(request)
    if not 2000 <= year <= 2100:
        raise Http404
    return render(request, "learning/learned_year.html", selectors.learned_year(mentor=mentor, year=year))


@login_required
@require_POST
def card_add(request: HttpRequest) -> HttpResponse:
    _member(request)
    form = CardForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("learning:review")
    question = form.cleaned_data["question"]
    entry = form.cleaned_data["glossary_entry"]
    visible = (
        request.user.has_perm("learning.view_question", question)
        if question
        else selectors.can_view_glossary_entry(user=request.user, entry=entry)
    )
    if not visible:
        raise Http404
    try:
        services.flashcard_create(owner=request.user, question=question, glossary_entry=entry)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Flashcard added. It is ready to review now."))
    if question:
        return redirect("learning:question", pk=question.pk)
    return redirect("learning:glossary")


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    _member(request)
    context = selectors.review_page(owner=request.user)
    context["rate_form"] = RateForm()
    return render(request, "learning/review.html", context)


@login_required
@require_POST
def review_rate(request: HttpRequest, pk: int) -> HttpResponse:
    _member(request)
    form = RateForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Rating: choose 1, 2, 3 or 4."))
    try:
        services.flashcard_review(card_id=pk, owner=request.user, rating=form.cleaned_data["rating"])
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        _errors(request, error)
    return redirect("learning:review")


@login_required
@require_http_methods(["GET", "POST"])
def reflection_write(request: HttpRequest, booking_pk: int) -> HttpResponse:
    learner = _learner(request)
    booking = get_object_or_404(
        Booking.objects.select_related("slot__mentor__user", "slot__site"), pk=booking_pk, learner=learner
    )
    existing = Reflection.objects.filter(booking=booking).first()
    form = ReflectionForm(request.POST if request.method == "POST" else None, instance=existing)
    if request.method == "POST" and form.is_valid():
        try:
            reflection = services.reflection_save(booking=booking, learner=learner, **form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Your reflection was saved. Your mentor can read it."))
            return redirect("learning:reflection", pk=reflection.pk)
    return render(request, "learning/reflection_form.html", {"form": form, "booking": booking})


@login_required
@require_GET
def reflection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reflection = get_object_or_404(
        Reflection.objects.select_related("booking__slot__mentor__user", "learner__user"), pk=pk
    )
    if not request.user.has_perm("learning.view_reflection", reflection):
        raise Http404
    context = {"reflection": reflection, "is_learner": reflection.learner.user_id == request.user.pk}
    return render(request, "learning/reflection.html", context)
