"""Issue 11 #10, #16: the ranking page keeps focus, refreshes both lists, tells the truth, shows profiles."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from mentorfold.accounts.tests.factories import MentorProfileFactory
from mentorfold.programs.tests.factories import RequirementFactory

from .factories import OptInFactory, SiteFactory


def htmx_post(client: Any, url: str, data: dict[str, Any]) -> str:
    return client.post(url, data, HTTP_HX_REQUEST="true").content.decode()


def button(body: str, action: str, mentor: Any) -> str:
    """The <button> tag of ``action`` inside the form of ``mentor``."""
    form = re.search(rf'name="mentor" value="{mentor.pk}">(.*?)</form>', body, re.S)
    assert form, body
    tag = re.search(rf'<button[^>]*value="{action}"[^>]*>', form.group(1))
    assert tag
    return tag.group(0)


def test_focus_stays_on_the_moved_mentors_button_after_move_up(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    body = htmx_post(client, url, {"action": "up", "mentor": other_mentor.pk})
    # other_mentor is now first: "Move up" is disabled, so the focus goes to its "Move down".
    assert "autofocus" in button(body, "down", other_mentor)
    assert "autofocus" not in button(body, "up", other_mentor)
    body = htmx_post(client, url, {"action": "down", "mentor": other_mentor.pk})
    assert "autofocus" in button(body, "up", other_mentor)
    assert body.count("autofocus") == 1


def test_removing_a_mentor_puts_the_focus_on_the_list(
    client: Any, ranked_term: Any, learner: Any, mentor: Any
) -> None:
    client.force_login(learner.user)
    body = htmx_post(
        client,
        reverse("matching:preferences", args=[ranked_term.pk]),
        {"action": "remove", "mentor": mentor.pk},
    )
    assert re.search(r'<div id="ranking"[^>]*autofocus', body)


def test_adding_and_removing_refreshes_the_list_of_mentors_to_choose(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, third_mentor: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    page = client.get(url).content.decode()
    choices = page[page.index('id="mentor-choices"') :]
    assert f"Add {third_mentor} to my list" in choices
    body = htmx_post(client, url, {"action": "add", "mentor": third_mentor.pk})
    assert 'id="mentor-choices" hx-swap-oob="true"' in body
    oob = body[body.index('id="mentor-choices"') :]
    assert f"Add {third_mentor} to my list" not in oob
    body = htmx_post(client, url, {"action": "remove", "mentor": mentor.pk})
    oob = body[body.index('id="mentor-choices"') :]
    assert f"Add {mentor} to my list" in oob


def test_filters_survive_an_htmx_change(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, third_mentor: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    page = client.get(url, {"specialty": "Cardio"}).content.decode()
    assert f'hx-post="{url}?specialty=Cardio"' in page
    body = htmx_post(client, f"{url}?specialty=Cardio", {"action": "remove", "mentor": mentor.pk})
    oob = body[body.index('id="mentor-choices"') :]
    assert f"Add {third_mentor} to my list" in oob and f"Add {mentor} to my list" not in oob


def test_empty_list_says_the_true_state_when_requirements_are_approved(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any, third_mentor: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    htmx_post(client, url, {"action": "add", "mentor": third_mentor.pk})
    body = client.get(url).content.decode()
    assert "You have added every mentor you can choose" in body
    assert "Finish your program requirements" not in body
    assert "finish your clinic requirements" not in body
    filtered = client.get(url, {"language": "xx"}).content.decode()
    assert (
        "No mentor matches these filters" in filtered and "Finish your program requirements" not in filtered
    )


def test_empty_list_asks_for_requirements_only_when_some_are_unfinished(
    client: Any, ranked_term: Any, learner: Any
) -> None:
    RequirementFactory(program=ranked_term.program, applies_to="learner", name="Confidentiality")
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    from mentorfold.matching.models import Preference

    Preference.objects.filter(learner=learner).delete()
    body = client.get(url).content.decode()
    assert "Finish your program requirements first" in body
    assert "Add to my list" not in body


def test_learner_reads_the_profile_of_mentors_they_may_rank_only(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, third_mentor: Any
) -> None:
    from mentorfold.matching.models import Preference

    Preference.objects.filter(learner=learner).delete()
    type(third_mentor).objects.filter(pk=third_mentor.pk).update(
        bio="I love teaching in the ER.", hosting_weekdays=["mon", "wed"]
    )
    hidden = MentorProfileFactory(bio="Secret bio of a mentor at another clinic")
    OptInFactory(term=ranked_term, mentor=hidden)
    SiteFactory(min_age=30).mentors.add(hidden)  # learner is 20: not cleared there
    client.force_login(learner.user)
    body = client.get(reverse("matching:preferences", args=[ranked_term.pk])).content.decode()
    assert "I love teaching in the ER." in body
    assert "Monday, Wednesday" in body and "Monday morning" in body
    assert "What a visit looks like" in body
    assert "Secret bio" not in body


def test_ranking_and_requests_pages_link_back_to_matching(
    client: Any, ranked_term: Any, learner: Any, mentor: Any
) -> None:
    back = f'<a href="{reverse("matching:home")}">Back to matching</a>'
    client.force_login(learner.user)
    assert back in client.get(reverse("matching:preferences", args=[ranked_term.pk])).content.decode()
    client.force_login(mentor.user)
    assert back in client.get(reverse("matching:mentor_requests", args=[ranked_term.pk])).content.decode()


def test_mentor_choices_are_cards_not_a_wide_table(client: Any, ranked_term: Any, learner: Any) -> None:
    client.force_login(learner.user)
    body = client.get(reverse("matching:preferences", args=[ranked_term.pk])).content.decode()
    choices = body[body.index('id="mentor-choices"') :]
    assert 'class="mentor-cards"' in choices and "<table" not in choices.split("</section>")[0]


def test_an_htmx_change_re_renders_both_lists_in_a_bounded_number_of_queries(
    client: Any,
    ranked_term: Any,
    learner: Any,
    mentor: Any,
    other_mentor: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    # Both lists, the service's eligibility check and the write: a fixed number, not one per ranked mentor.
    with django_assert_max_num_queries(36):
        htmx_post(client, url, {"action": "up", "mentor": other_mentor.pk})
