"""Journeys in the families' languages: a Somali-speaking patient gives feedback from the QR code on a phone,
and a Dari-speaking guardian signs consent on a right-to-left page; the records name what they were shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from mentorfold.accounts.tests.factories import TEST_PASSWORD, GuardianLinkFactory
from mentorfold.core.tests.catalogues import compile_catalogues
from mentorfold.programs import services
from mentorfold.programs.demo_translations import CONSENT_TRANSLATIONS, seed_consent_translations
from mentorfold.programs.models import RequirementRecord
from mentorfold.programs.tests.factories import SiteFactory
from mentorfold.shadowing.models import PatientFeedback

pytestmark = pytest.mark.django_db(transaction=True)
LISTED = {code for code, _name in settings.LANGUAGES}
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter(v => ["serious", "critical"].includes(v.impact)).map(v => v.id + ": " + v.help)"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture(autouse=True)
def compiled() -> None:
    compile_catalogues(LISTED)


def _context(browser: Any, live_server: Any, **options: Any) -> Iterator[Any]:
    # bypass_csp: axe-core is injected as an inline script, which the site's CSP rightly refuses.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **options)
    page = context.new_page()
    page.set_default_timeout(30000)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    yield from _context(browser, live_server, viewport={"width": 375, "height": 812}, is_mobile=True)


@pytest.fixture
def desktop(browser: Any, live_server: Any) -> Iterator[Any]:
    yield from _context(browser, live_server, viewport={"width": 1100, "height": 900})


def _in(code: str, text: str) -> str:
    with translation.override(code):
        return translation.gettext(text)


def _switch_to(page: Any, name: str, where: str = "page") -> None:
    """Choose a language with the keyboard-usable form (no JavaScript needed)."""
    page.locator(f"#language-{where}").select_option(label=name)
    page.locator(f"form.language-switcher:has(#language-{where}) button").click()


def _axe(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.skipif("so" not in LISTED, reason="Somali is not offered yet (catalogue incomplete)")
def test_a_somali_speaking_patient_gives_feedback_from_the_qr_code(phone: Any, output_dir: Path) -> None:
    site = SiteFactory(name="Rainier Valley Community Clinic")
    page = phone
    page.goto(f"/shadowing/feedback/{site.pk}/")  # the address printed in the QR code
    assert page.locator("html").get_attribute("lang").startswith("en")

    _switch_to(page, "Soomaali")
    page.wait_for_selector('html[lang="so"]')
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.get_by_role("heading", name=_in("so", "Tell us how it went")).wait_for()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert _axe(page) == []
    page.screenshot(path=str(output_dir / "somali-feedback-375.png"), full_page=True)

    page.get_by_label(_in("so", "Yes, it was fine")).check()
    page.locator('input[name="enough_time"][value="yes"]').check()
    page.get_by_role("button", name=_in("so", "Send")).click()
    page.get_by_role("heading", name=_in("so", "Thank you")).wait_for()
    assert page.locator("html").get_attribute("lang") == "so"
    feedback = PatientFeedback.objects.get()
    assert (feedback.q1_learner_ok, feedback.q2_enough_time) == ("yes", "yes")
    # The choice is kept: the next QR scan opens in Somali.
    page.goto(f"/shadowing/feedback/{site.pk}/")
    page.wait_for_selector('html[lang="so"]')


@pytest.mark.skipif("fa" not in LISTED, reason="Dari is not offered yet (catalogue incomplete)")
def test_a_dari_speaking_guardian_signs_consent_on_a_right_to_left_page(
    desktop: Any, output_dir: Path
) -> None:
    page = desktop
    with translation.override("en"):
        program = services.program_create(
            actor=None,
            name="High-school summer shadowing",
            slug="summer-shadowing",
            description="Six summer weeks shadowing a family physician in a community clinic.",
            eligible_stages=["high_school"],
            min_age=16,
        )
    program.sites.add(SiteFactory(name="Rainier Valley Community Clinic"))
    seed_consent_translations([program])
    link = GuardianLinkFactory(
        guardian__email="farid.noori@example.org",
        guardian__full_name="Farid Noori",
        learner__user__email="zahra.noori@example.org",
        learner__user__full_name="Zahra Noori",
    )
    requirement = services.guardian_consent_requirement(program)

    page.goto("/accounts/login/")
    _switch_to(page, "دری (Dari)", where="header")  # the login page has it in the header
    page.wait_for_selector('html[lang="fa"][dir="rtl"]')
    page.locator('input[name="login"]').fill("farid.noori@example.org")
    page.locator('input[name="password"]').fill(TEST_PASSWORD)
    page.get_by_role("button", name=_in("fa", "Sign In")).click()
    page.wait_for_url("**/dashboard/")

    page.goto(f"/programs/consent/{link.learner.pk}/{program.slug}/")
    page.wait_for_selector('html[lang="fa"][dir="rtl"]')
    page.get_by_text(CONSENT_TRANSLATIONS["fa"][:40]).wait_for()
    page.get_by_role("link", name=_in("fa", "Read the English text (binding)")).wait_for()
    # Mirrored layout: the page's text starts at the right edge.
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert heading["x"] + heading["width"] > page.viewport_size["width"] / 2
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert _axe(page) == []
    page.screenshot(path=str(output_dir / "dari-consent-rtl.png"), full_page=True)

    page.get_by_label(_in("fa", "Type your full name to sign")).fill("Farid Noori")
    page.get_by_label(_in("fa", "I have read the text above and I agree.")).check()
    page.get_by_role("button", name=_in("fa", "Sign consent")).click()
    page.wait_for_url("**/dashboard/")

    record = RequirementRecord.objects.get(requirement=requirement, person=link.learner.user)
    assert (record.text_language, record.text_version) == ("fa", requirement.version)
    assert record.signed_by_id == link.guardian_id
    link.guardian.refresh_from_db()
    assert link.guardian.preferred_language == "fa"
