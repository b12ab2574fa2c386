"""Reads for messaging pages: visible threads with unread counts, a thread's messages, meetings, reports."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from mentorfold.accounts.models import GuardianLink
from mentorfold.matching.models import Mentorship

from .models import EPOCH, Meeting, Message, MessageReport, Thread, ThreadParticipant


def _children(user: Any) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(guardian=user, status=GuardianLink.Status.VERIFIED).values(
        "learner_id"
    )


def mentorships_for(user: Any) -> QuerySet[Mentorship]:
    """Mentorships this person takes part in: as mentor, as learner, or as a verified guardian of the learner."""
    if not user.is_authenticated:
        return Mentorship.objects.none()
    q = Q(mentor__user=user) | Q(learner__user=user)
    if user.has_role("guardian"):
        q |= Q(learner_id__in=_children(user))
    return (
        Mentorship.objects.filter(q)
        .select_related("mentor__user", "learner__user", "term")
        .order_by("-created_at", "-pk")
    )


def visible_threads(user: Any) -> QuerySet[Thread]:
    """Threads this person may read: their mentorships' threads; coordinators read every thread."""
    if user.has_role("coordinator"):
        return Thread.objects.all()
    return Thread.objects.filter(mentorship__in=mentorships_for(user).values("pk"))


def with_unread(threads: QuerySet[Thread], user: Any) -> QuerySet[Thread]:
    """Annotate ``unread``: messages by others after this person's last visit (one query, any number of threads)."""
    last_read = ThreadParticipant.objects.filter(thread=OuterRef("thread"), user=user).values("last_read_at")[
        :1
    ]
    unread = (
        Message.objects.filter(thread=OuterRef("pk"))
        .exclude(author=user)
        .annotate(read_until=Coalesce(Subquery(last_read), Value(EPOCH)))
        .filter(created_at__gt=F("read_until"))
        .order_by()
        .values("thread")
        .annotate(c=Count("pk"))
        .values("c")
    )
    return threads.annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))


def thread_list(user: Any, *, mentorship: Mentorship | None = None, limit: int = 100) -> list[Thread]:
    threads = visible_threads(user)
    if mentorship is not None:
        threads = threads.filter(mentorship=mentorship)
    threads = threads.select_related("mentorship__mentor__user", "mentorship__learner__user").order_by(
        "-last_message_at", "-pk"
    )
    return list(with_unread(threads, user)[:limit])


def thread_page(user: Any, *, page: int, per_page: int) -> Page:
    """One page of the threads this person may read, newest first, with unread counts (two queries)."""
    threads = visible_threads(user).select_related("mentorship__mentor__user", "mentorship__learner__user")
    threads = with_unread(threads.order_by("-last_message_at", "-pk"), user)
    page_obj = Paginator(threads, per_page).get_page(page)
    page_obj.object_list = list(page_obj.object_list)
    return page_obj


def unread_total(user: Any) -> int:
    return sum(t.unread for t in thread_list(user, limit=500) if t.unread)


def thread_messages(thread: Thread, *, limit: int = 200) -> list[Message]:
    """The latest ``limit`` messages, oldest first."""
    newest = list(thread.messages.select_related("author").order_by("-created_at", "-pk")[:limit])
    return newest[::-1]


def participants(thread: Thread) -> list[ThreadParticipant]:
    return list(thread.participants.select_related("user").order_by("side", "pk"))


def meetings_of(mentorship: Mentorship) -> list[Meeting]:
    return list(
        mentorship.meetings.select_related("proposed_by", "responded_by", "logged_by")
        .prefetch_related("guardians")
        .order_by("-starts_at", "-pk")[:50]
    )


def upcoming_meetings(user: Any, *, now: Any, limit: int = 10) -> list[Meeting]:
    return list(
        Meeting.objects.filter(
            mentorship__in=mentorships_for(user).values("pk"),
            starts_at__gte=now,
            status__in=[Meeting.Status.PROPOSED, Meeting.Status.ACCEPTED],
        )
        .select_related("mentorship__mentor__user", "mentorship__learner__user")
        .order_by("starts_at")[:limit]
    )


def open_reports(*, limit: int = 100) -> list[MessageReport]:
    return list(
        MessageReport.objects.select_related("message__thread", "message__author", "reporter")
        .filter(message__thread__is_locked=False)
        .order_by("-created_at")[:limit]
    )


def guardians_of(mentorship: Mentorship) -> list[Any]:
    """Verified guardians of the learner (names shown on the youth-protection notice)."""
    links = GuardianLink.objects.filter(
        learner_id=mentorship.learner_id, status=GuardianLink.Status.VERIFIED, guardian__isnull=False
    ).select_related("guardian")
    return [link.guardian for link in links.order_by("pk")]
