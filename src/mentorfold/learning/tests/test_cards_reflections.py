"""Flashcards (FSRS review page, chart), reflections after visits, and the weekly digest e-mail."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mentorfold.engine import srs
from mentorfold.learning import services
from mentorfold.learning.models import DigestSent, Flashcard, FlashcardReview, Question, Reflection

from .factories import FlashcardFactory, GlossaryEntryFactory, QuestionFactory, ReflectionFactory

pytestmark = pytest.mark.django_db


def test_learner_makes_cards_from_a_glossary_entry_and_an_answered_question(
    client: Any, mentorship: Any
) -> None:
    entry = GlossaryEntryFactory(mentorship=mentorship)
    question = QuestionFactory(mentorship=mentorship)
    client.force_login(mentorship.learner.user)
    client.post(reverse("learning:card_add"), {"glossary_entry": entry.pk})
    client.post(reverse("learning:card_add"), {"glossary_entry": entry.pk})  # a double click
    client.post(reverse("learning:card_add"), {"question": question.pk})  # not answered yet
    assert Flashcard.objects.filter(owner=mentorship.learner.user).count() == 1
    services.question_answer(question_id=question.pk, user=mentorship.mentor.user, answer_markdown="Safety.")
    client.post(reverse("learning:card_add"), {"question": question.pk})
    assert Flashcard.objects.filter(owner=mentorship.learner.user).count() == 2


def test_learner_cannot_make_a_card_from_another_mentorships_entry(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    entry = GlossaryEntryFactory(mentorship=other_mentorship)
    client.force_login(mentorship.learner.user)
    assert client.post(reverse("learning:card_add"), {"glossary_entry": entry.pk}).status_code == 404
    assert client.post(reverse("learning:card_add"), {"glossary_entry": "x"}).status_code == 302
    assert not Flashcard.objects.exists()


def test_review_shows_the_most_overdue_card_first_and_rating_good_moves_it_forward(
    client: Any, mentorship: Any
) -> None:
    now = timezone.now()
    recent = FlashcardFactory(
        glossary_entry=GlossaryEntryFactory(mentorship=mentorship, term="Recent"), due=now
    )
    oldest = FlashcardFactory(
        glossary_entry=GlossaryEntryFactory(mentorship=mentorship, term="Oldest"), due=now - timedelta(days=3)
    )
    FlashcardFactory(
        glossary_entry=GlossaryEntryFactory(mentorship=mentorship, term="Future"), due=now + timedelta(days=3)
    )
    client.force_login(mentorship.learner.user)
    page = client.get(reverse("learning:review")).content.decode()
    assert "Oldest" in page.split('id="card-front"', 1)[1].split("</h2>", 1)[0]
    assert "2 cards due now (of 3)." in page
    cards = list(Flashcard.objects.filter(owner=mentorship.learner.user).order_by("pk"))
    engine_first = cards[srs.due_order([c.due for c in cards], now)[0]]
    assert engine_first == oldest  # the page's database order agrees with the engine's due_order

    client.post(reverse("learning:review_rate", args=[oldest.pk]), {"rating": "3"})
    oldest.refresh_from_db()
    assert oldest.due > timezone.now() and oldest.stability and oldest.stability > 0
    assert FlashcardReview.objects.get().rating == 3
    page = client.get(reverse("learning:review")).content.decode()
    assert recent.glossary_entry.term in page.split('id="card-front"', 1)[1].split("</h2>", 1)[0]


def test_rating_again_brings_a_card_back_soon(client: Any, mentorship: Any) -> None:
    card = FlashcardFactory(glossary_entry=GlossaryEntryFactory(mentorship=mentorship))
    client.force_login(mentorship.learner.user)
    client.post(reverse("learning:review_rate", args=[card.pk]), {"rating": "4"})
    card.refresh_from_db()
    easy_due = card.due
    later = easy_due + timedelta(minutes=1)
    services.flashcard_review(card_id=card.pk, owner=mentorship.learner.user, rating=1, now=later)
    card.refresh_from_db()
    assert card.due < later + timedelta(hours=1) and card.phase == 3


def test_rating_rejects_hostile_values_and_other_peoples_cards(
    client: Any, mentorship: Any, other_learner: Any
) -> None:
    card = FlashcardFactory(glossary_entry=GlossaryEntryFactory(mentorship=mentorship))
    client.force_login(mentorship.learner.user)
    for bad in ("5", "0", "good", "", "3.5"):
        assert (
            client.post(reverse("learning:review_rate", args=[card.pk]), {"rating": bad}).status_code == 400
        )
    client.force_login(other_learner.user)
    assert client.post(reverse("learning:review_rate", args=[card.pk]), {"rating": "3"}).status_code == 404
    assert not FlashcardReview.objects.exists()


def test_review_page_works_without_script_and_loads_only_the_static_script(
    client: Any, mentorship: Any
) -> None:
    FlashcardFactory(glossary_entry=GlossaryEntryFactory(mentorship=mentorship))
    client.force_login(mentorship.learner.user)
    page = client.get(reverse("learning:review")).content.decode()
    assert '<details id="card-back">' in page
    assert page.count('type="submit" name="rating"') == 4
    assert "learning/review.js" in page
    body = page.split("<body", 1)[1]
    assert "<script>" not in body and "onclick" not in body


def test_review_chart_counts_reviews_per_day_and_retention(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    card = FlashcardFactory(glossary_entry=GlossaryEntryFactory(mentorship=mentorship))
    user = mentorship.learner.user
    now = timezone.now()
    FlashcardReview.objects.bulk_create(
        [
            FlashcardReview(card=card, owner=user, rating=rating, reviewed_at=now - timedelta(minutes=n))
            for n, rating in enumerate([3, 3, 1, 4])
        ]
    )
    client.force_login(user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("learning:review")).content.decode()
    assert "4 reviews." in page
    assert "You remembered 75% of the cards you reviewed." in page
    assert 'height="100"' in page  # today's bar is the tallest


def test_review_page_query_count_is_constant_with_many_cards(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    user = mentorship.learner.user
    now = timezone.now()
    entries = [GlossaryEntryFactory(mentorship=mentorship) for _ in range(30)]
    Flashcard.objects.bulk_create(
        Flashcard(owner=user, glossary_entry=e, due=now - timedelta(hours=i)) for i, e in enumerate(entries)
    )
    client.force_login(user)
    with django_assert_max_num_queries(12):
        assert "30 cards due now" in client.get(reverse("learning:review")).content.decode()


def test_learner_writes_a_reflection_the_mentor_reads_it_and_coordinators_only_see_it_exists(
    client: Any, mentorship: Any, past_visit: Any, coordinator: Any
) -> None:
    client.force_login(mentorship.learner.user)
    assert "Reflect on your visits" in client.get(reverse("dashboard")).content.decode()
    client.post(
        reverse("learning:reflection_write", args=[past_visit.pk]),
        {"surprised": "Patients asked the doctor about cost.", "still_wondering": "How are prices set?"},
    )
    reflection = Reflection.objects.get()
    assert not reflection.shared_with_coordinators
    url = reverse("learning:reflection", args=[reflection.pk])

    client.force_login(mentorship.mentor.user)
    assert "Patients asked the doctor about cost." in client.get(url).content.decode()

    client.force_login(coordinator)
    assert client.get(url).status_code == 404
    page = client.get(reverse("learning:mentorship", args=[mentorship.pk])).content.decode()
    assert "A reflection was written" in page and "about cost" not in page

    reflection.shared_with_coordinators = True
    reflection.save(update_fields=["shared_with_coordinators"])
    assert "about cost" in client.get(url).content.decode()


def test_other_learner_and_other_mentor_cannot_read_or_write_a_reflection(
    client: Any, mentorship: Any, past_visit: Any, other_learner: Any, other_mentor: Any, guardian: Any
) -> None:
    reflection = ReflectionFactory(booking=past_visit)
    url = reverse("learning:reflection", args=[reflection.pk])
    for user in (other_learner.user, other_mentor.user, guardian):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(other_learner.user)
    assert client.get(reverse("learning:reflection_write", args=[past_visit.pk])).status_code == 404


def test_reflection_page_query_count_is_bounded(
    client: Any, past_visit: Any, django_assert_max_num_queries: Any
) -> None:
    reflection = ReflectionFactory(booking=past_visit)
    client.force_login(past_visit.learner.user)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("learning:reflection", args=[reflection.pk])).status_code == 200


def test_no_reflection_before_the_visit(client: Any, past_visit: Any) -> None:
    slot = past_visit.slot
    slot.starts_at = timezone.now() + timedelta(days=1)
    slot.ends_at = slot.starts_at + timedelta(hours=2)
    slot.save(update_fields=["starts_at", "ends_at"])
    client.force_login(past_visit.learner.user)
    client.post(reverse("learning:reflection_write", args=[past_visit.pk]), {"surprised": "Too early"})
    assert not Reflection.objects.exists()


def test_weekly_digest_mails_each_mentor_once_per_week(mentorship: Any, other_mentorship: Any) -> None:
    old = timezone.now() - timedelta(days=8)
    for ms in (mentorship, mentorship, other_mentorship):
        question = QuestionFactory(mentorship=ms)
        Question.objects.filter(pk=question.pk).update(created_at=old)
    QuestionFactory(mentorship=other_mentorship)  # fresh: not in the digest
    answered = QuestionFactory(mentorship=other_mentorship)
    Question.objects.filter(pk=answered.pk).update(created_at=old, answered_at=timezone.now())

    out = io.StringIO()
    call_command("send_learning_digest", stdout=out)
    assert "Sent 2 digest(s)." in out.getvalue()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [mentorship.mentor.user.email, other_mentorship.mentor.user.email]
    )
    rivera = next(m for m in mail.outbox if m.to == [mentorship.mentor.user.email])
    assert "2 questions have waited a week" in rivera.body

    call_command("send_learning_digest", stdout=io.StringIO())
    assert len(mail.outbox) == 2
    assert DigestSent.objects.count() == 2


def test_digest_failure_leaves_no_sent_log_so_a_retry_sends(
    mentorship: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = QuestionFactory(mentorship=mentorship)
    Question.objects.filter(pk=question.pk).update(created_at=timezone.now() - timedelta(days=9))

    def broken(**kwargs: Any) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_templated_mail", broken)
    with pytest.raises(OSError):
        services.digest_send_all()
    assert not DigestSent.objects.exists()
    monkeypatch.undo()
    assert services.digest_send_all() == 1
    assert len(mail.outbox) == 1
