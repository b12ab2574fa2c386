"""Issue 11 #8: the learner's dashboard shows one matching state and one next step per term."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.matching.models import Preference
from mentorfold.programs.models import Term

from .factories import MentorshipFactory


@pytest.mark.parametrize("status", [Term.Status.OPEN, Term.Status.MATCHING])
def test_a_matched_learner_is_not_also_told_they_are_ready_to_be_matched(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, status: str, django_assert_max_num_queries: Any
) -> None:
    Term.objects.filter(pk=ranked_term.pk).update(status=status)
    MentorshipFactory(term=ranked_term, learner=learner, mentor=mentor)
    client.force_login(learner.user)
    with django_assert_max_num_queries(40):
        body = client.get(reverse("dashboard")).content.decode()
    assert body.count("You are matched with Dr. Maria Rivera") == 1
    assert "Ready to be matched" not in body
    assert "Rank mentors" not in body


def test_an_unranked_learner_in_an_open_term_gets_one_next_step(
    client: Any, ranked_term: Any, learner: Any
) -> None:
    Preference.objects.filter(learner=learner).delete()
    client.force_login(learner.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "choose the mentors you would like" in body
    assert "You are matched" not in body


def test_a_learner_who_ranked_sees_their_list_is_sent(client: Any, ranked_term: Any, learner: Any) -> None:
    client.force_login(learner.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "You ranked 2 mentors" in body and "Change your list" in body
    assert "choose the mentors you would like" not in body
