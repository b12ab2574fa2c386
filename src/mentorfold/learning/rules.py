"""Who may see and change what in learning (django-rules predicates over questions, programs, reflections)."""

from __future__ import annotations

from typing import Any

import rules

from mentorfold.accounts.rules import is_coordinator
from mentorfold.matching.models import Mentorship
from mentorfold.matching.rules import is_mentorship_learner, is_mentorship_mentor
from mentorfold.programs.models import Program

from .models import Question, Reflection


def program_mentorships(user: Any, program: Program) -> Any:
    """Mentorships of ``user`` (as mentor or learner) in any term of ``program``."""
    from django.db.models import Q

    return Mentorship.objects.filter(
        Q(mentor__user_id=user.pk) | Q(learner__user_id=user.pk), term__program=program
    )


@rules.predicate
def is_program_member(user: Any, program: Program | None) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return program_mentorships(user, program).exists()


@rules.predicate
def is_active_program_mentor(user: Any, program: Program | None) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return Mentorship.objects.filter(
        mentor__user_id=user.pk, term__program=program, status=Mentorship.Status.ACTIVE
    ).exists()


@rules.predicate
def is_current_program_learner(user: Any, program: Program | None) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return Mentorship.objects.filter(
        learner__user_id=user.pk,
        term__program=program,
        status__in=[Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED],
    ).exists()


@rules.predicate
def can_view_question(user: Any, question: Question | None) -> bool:
    if question is None or not user.is_authenticated:
        return False
    if question.mentorship_id is not None:
        return bool(user.has_perm("matching.view_mentorship", question.mentorship))
    return bool(is_coordinator(user) or is_program_member(user, question.program))


@rules.predicate
def can_answer_question(user: Any, question: Question | None) -> bool:
    if question is None or not user.is_authenticated:
        return False
    if question.mentorship_id is not None:
        return bool(is_mentorship_mentor(user, question.mentorship))
    return bool(is_active_program_mentor(user, question.program))


@rules.predicate
def is_asker(user: Any, question: Question | None) -> bool:
    return question is not None and question.asked_by.user_id == user.pk


@rules.predicate
def can_view_reflection(user: Any, reflection: Reflection | None) -> bool:
    if reflection is None or not user.is_authenticated:
        return False
    if reflection.learner.user_id == user.pk or reflection.booking.slot.mentor.user_id == user.pk:
        return True
    return bool(reflection.shared_with_coordinators and is_coordinator(user))


rules.add_perm("learning.view_question", can_view_question)
rules.add_perm("learning.answer_question", can_answer_question)
rules.add_perm("learning.mark_helpful", is_asker)
rules.add_perm("learning.promote", is_coordinator)
rules.add_perm("learning.contribute", is_mentorship_mentor | is_mentorship_learner)
rules.add_perm("learning.ask_mentor", is_mentorship_learner)
rules.add_perm("learning.view_program", is_coordinator | is_program_member)
rules.add_perm("learning.ask_program", is_current_program_learner)
rules.add_perm("learning.view_reflection", can_view_reflection)
