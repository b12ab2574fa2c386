"""About and privacy pages, the society in header and footer, flash messages, activity labels and plurals."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from mentorfold.core.audit import action_label, audit

pytestmark = pytest.mark.django_db


def test_about_page_names_the_society_and_how_to_reach_it(
    client: Any, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.SOCIETY_NAME = "King County Medical Society"
    settings.SOCIETY_CONTACT_EMAIL = "hello@kcms.example.org"
    settings.SOCIETY_ADDRESS = "200 W Mercer St\nSeattle, WA 98119"
    settings.SOCIETY_LOGO_URL = "/static/core/favicon.svg"
    with django_assert_max_num_queries(2):
        response = client.get(reverse("about"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>About King County Medical Society</h1>" in html
    assert 'href="mailto:hello@kcms.example.org"' in html
    assert "200 W Mercer St<br>Seattle, WA 98119" in html
    assert 'alt="Logo of King County Medical Society"' in html
    assert reverse("programs:list") in html


def test_the_society_is_named_in_the_footer_of_every_page(client: Any, settings: Any) -> None:
    settings.SOCIETY_NAME = "Spokane County Medical Society"
    html = client.get(reverse("become_mentor")).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert "Mentorfold is run by Spokane County Medical Society." in footer
    for name in ("about", "privacy", "programs:list"):
        assert f'href="{reverse(name)}"' in footer


def test_without_settings_the_society_reads_as_a_neutral_name(client: Any, settings: Any) -> None:
    for name in ("SOCIETY_NAME", "SOCIETY_CONTACT_EMAIL", "SOCIETY_ADDRESS", "SOCIETY_LOGO_URL"):
        if hasattr(settings, name):
            delattr(settings, name)
    settings.DEFAULT_FROM_EMAIL = "Mentorfold <team@mentorfold.example.org>"
    html = client.get(reverse("about")).content.decode()
    assert "About the county medical society" in html
    assert 'href="mailto:team@mentorfold.example.org"' in html
    assert "<img" not in html


def test_privacy_page_says_what_is_kept_who_sees_it_and_nothing_about_patients(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(reverse("privacy"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "We keep nothing about patients" in html
    assert "We never store a patient's name, health information or medical records." in html
    for heading in (
        "Learners",
        "Questions, word lists and reflections",
        "Parents and guardians",
        "Mentors",
        "Grant applicants and reviewers",
    ):
        assert f">{heading}</h2>" in html
    assert "Who can see your information" in html


def test_home_page_links_to_programs_about_and_privacy(client: Any) -> None:
    html = client.get(reverse("home")).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    for name in ("programs:list", "about", "privacy"):
        assert f'href="{reverse(name)}"' in main


def test_flash_messages_are_a_list_inside_a_status_region(learner: Any) -> None:
    """axe's ``listitem`` rule: a list with role=status is no longer a list, so its items were orphans."""
    request = RequestFactory().get("/")
    request.user = learner.user
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    messages.success(request, "Your booking is confirmed.")
    html = render_to_string("core/about.html", request=request)
    region = re.search(
        r'<div class="messages" role="status" aria-live="polite">\s*<ul>(.*?)</ul>', html, re.S
    )
    assert region is not None
    assert '<li class="message success">Your booking is confirmed.</li>' in region.group(1)
    assert not re.search(r"<ul[^>]*role=", html)


def test_activity_list_shows_what_happened_in_words(client: Any, coordinator: Any, learner: Any) -> None:
    audit(actor=coordinator, action="matching.run_publish", target=learner)
    audit(actor=coordinator, action="admin.site.change", target=learner)
    client.force_login(coordinator)
    html = client.get(reverse("dashboard")).content.decode()
    assert "published a match" in html
    assert "changed a record in the admin site" in html
    assert "matching.run_publish" not in html


def test_unknown_action_codes_read_as_words() -> None:
    assert action_label("grants.letters_sent") == "sent grant letters"
    assert action_label("outcomes.survey_closed") == "survey closed"


@pytest.mark.parametrize(
    ("pairs", "text"), [(1, "1 blocking pair — not stable"), (3, "3 blocking pairs — not stable")]
)
def test_blocking_pairs_are_counted_in_singular_and_plural(pairs: int, text: str) -> None:
    run = SimpleNamespace(certificate={"kind": "stable", "blocking_pairs": pairs})
    assert text in render_to_string("matching/_certificate.html", {"run": run})


def test_coordinator_summary_says_one_mentor_not_one_mentors(
    client: Any, coordinator: Any, mentor: Any
) -> None:
    client.force_login(coordinator)
    html = client.get(reverse("dashboard")).content.decode()
    assert re.search(r'<span class="stat">1</span>mentor\b(?!s)', html)


def test_a_mentor_is_not_shown_an_apply_link_that_would_refuse_them(client: Any, mentor: Any) -> None:
    """Found by the crawl: every logged-in person saw "Apply", and only learners may apply."""
    from mentorfold.programs.tests.factories import TermFactory

    term = TermFactory()
    client.force_login(mentor.user)
    html = client.get(reverse("programs:detail", args=[term.program.slug])).content.decode()
    assert reverse("programs:apply", args=[term.program.slug, term.pk]) not in html
    assert "Learners apply from their own account." in html


def test_an_empty_glossary_is_a_sentence_not_an_empty_definition_list() -> None:
    """axe's ``definition-list`` rule: a <dl> holding only a <dd> was found by the crawl."""
    html = render_to_string("learning/_entries.html", {"entries": []})
    assert "<dl" not in html
    assert "No terms yet." in html
