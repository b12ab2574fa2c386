"""Crawl: every page each demo person can reach from their dashboard is accessible, fits a phone and works.

For every demo login (and an anonymous visitor starting from the home page) the test follows same-origin
links breadth-first, GET only, and on each page checks:
- no axe-core violation of impact "serious" or "critical", at 1280 px and at 375 px;
- no sideways scroll at 375 px (``scrollWidth > clientWidth`` on the root element);
- no server error, and no link that answers 403/404 (or sends to the login page) to the person it was shown to.
Pages that differ only by ids (``/people/12/`` and ``/people/31/``) are visited once; up to
``STATUS_CHECKS_PER_PATTERN`` of them are still requested so a broken link among them is caught.
Findings per page are written to ``test-results/crawl/<role>.json``.
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception

from mentorfold.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.e2e.totp import fresh_totp_code

# serialized_rollback: the demo seed needs the role groups that a data migration creates.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "crawl"
MAX_PAGES = 150
STATUS_CHECKS_PER_PATTERN = 3
WIDE, NARROW = 1280, 375
BLOCKING_IMPACTS = {"serious", "critical"}
# Links the crawl does not follow: leaving the session, files rather than pages, and Django's own admin.
# /api/docs and /api/v1/docs are the third-party Swagger UI for developers (its own contrast and nested-button
# findings are upstream's); the API itself is checked by its schema and matrix tests.
SKIP = re.compile(
    r"logout|download|export|\.ics\b|\.pdf\b|\.csv\b|\.xlsx\b|/feed/|^/admin/|^/api/(v1/)?docs", re.IGNORECASE
)
ROLES = {
    "learner": f"amina.hassan@{DEMO_DOMAIN}",
    "minor learner": f"minh.tran@{DEMO_DOMAIN}",
    "guardian": f"lan.tran@{DEMO_DOMAIN}",
    "mentor": f"dr.rivera@{DEMO_DOMAIN}",
    "reviewer": f"reviewer@{DEMO_DOMAIN}",
    "coordinator": f"coordinator@{DEMO_DOMAIN}",
    "anonymous": "",
}
NEEDS_TOTP = {"reviewer", "coordinator"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), html: n.html.slice(0, 300)})),
  }));
}"""
# The widest elements when a page scrolls sideways, so the report names what to fix.
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const clipped = (el) => {
    // An absolutely positioned box escapes a scrolling ancestor that is not positioned itself.
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > root.clientWidth + 1 && box.width > 0 && !clipped(el)) {
      const id = el.id ? "#" + el.id : "";
      const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      culprits.push(el.tagName.toLowerCase() + id + cls + " (right edge " + Math.round(box.right) + "px)");
    }
    if (culprits.length >= 5) break;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits};
}"""


def url_pattern(url: str) -> str:
    """The page a URL shows, without its ids: ``/people/12/?kind=mentors&page=2`` -> ``/people/<id>/?kind=mentors&page``."""
    parts = urlsplit(url)
    path = re.sub(
        r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)", "/<uuid>", parts.path
    )
    path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    path = re.sub(r"/verify/[^/]+/", "/verify/<code>/", path)
    # A filter such as ?kind=mentors is another page; ?page=3 or ?q=smith is the same page again.
    keys = sorted(
        {
            f"{key}={value}" if re.fullmatch(r"[a-z_-]{1,20}", value) and key not in {"q", "next"} else key
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        }
    )
    return path + ("?" + "&".join(keys) if keys else "")


def _log_in(page: Any, role: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(ROLES[role])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if role in NEEDS_TOTP:
        page.get_by_label("Code").fill(fresh_totp_code(DEMO_TOTP_SECRET))
        page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Hello", exact=False).first.wait_for()


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING_IMPACTS]


# Server errors seen by the live server, by path: the crawl's report names the exception, not just "500".
SERVER_ERRORS: dict[str, str] = {}


def _remember_server_error(sender: Any, request: Any = None, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if request is not None and error is not None:
        SERVER_ERRORS[request.path] = f"{type(error).__name__}: {error}"[:300]


def _server_error(url: str, status: int, shown_on: str) -> str:
    cause = SERVER_ERRORS.get(urlsplit(url).path, "see the captured log")
    return f"{url} answered {status} (link shown on {shown_on}): {cause}"


def _same_origin_links(page: Any, origin: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        url = urldefrag(href)[0]
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path + "?" + parts.query):
            continue
        found.append(url)
    return found


def _denied(status: int, url: str, final_url: str, logged_in: bool) -> bool:
    """403/404, or (for someone logged in) a link that sends them to the login page."""
    sent_to_login = urlsplit(final_url).path == "/accounts/login/" != urlsplit(url).path
    return status in {403, 404} or (logged_in and sent_to_login)


def crawl(
    wide: Any, narrow: Any, origin: str, start: str, *, logged_in: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """Breadth-first over the pages reachable from ``start``; returns per-page findings and the problems."""
    pages: list[dict[str, Any]] = []
    problems: list[str] = []
    queue: deque[tuple[str, str]] = deque([(origin + start, "(start)")])
    visited_patterns: set[str] = set()
    checked_urls: set[str] = set()
    checks_per_pattern: dict[str, int] = {}
    while queue and len(pages) < MAX_PAGES:
        url, shown_on = queue.popleft()
        if url in checked_urls:
            continue
        key = url_pattern(url)
        if key in visited_patterns:
            # Same page with other ids: only ask whether it answers.
            if checks_per_pattern.get(key, 0) >= STATUS_CHECKS_PER_PATTERN:
                continue
            checks_per_pattern[key] = checks_per_pattern.get(key, 0) + 1
            checked_urls.add(url)
            response = wide.context.request.get(url)
            if response.status >= 500:
                problems.append(_server_error(url, response.status, shown_on))
            elif _denied(response.status, url, response.url, logged_in):
                problems.append(
                    f"{url} answered {response.status} at {response.url} (link shown on {shown_on})"
                )
            continue
        visited_patterns.add(key)
        checks_per_pattern[key] = 1
        checked_urls.add(url)
        record: dict[str, Any] = {"url": url, "shown_on": shown_on}
        pages.append(record)
        response = wide.goto(url)
        record["status"] = response.status if response else None
        final_url = wide.url
        if response is None:
            continue
        if response.status >= 500:
            problems.append(_server_error(url, response.status, shown_on))
            continue
        if _denied(response.status, url, final_url, logged_in):
            problems.append(f"{url} answered {response.status} at {final_url} (link shown on {shown_on})")
            continue
        if "text/html" not in (response.header_value("content-type") or ""):
            continue
        for width, tab in ((WIDE, wide), (NARROW, narrow)):
            if tab is narrow:
                tab.goto(url)
                overflow = tab.evaluate(OVERFLOW)
                record["overflow_375"] = overflow
                if overflow:
                    problems.append(
                        f"{url} scrolls sideways at {NARROW} px: scrollWidth {overflow['scrollWidth']} > "
                        f"{overflow['clientWidth']}; widest: {', '.join(overflow['culprits'])}"
                    )
            violations = _axe(tab)
            record[f"axe_{width}"] = violations
            for violation in violations:
                nodes = "; ".join(f"{n['target']} {n['html']!r}" for n in violation["nodes"][:3])
                problems.append(
                    f"{url} at {width} px: axe {violation['impact']} '{violation['id']}' "
                    f"({violation['help']}): {nodes}"
                )
        for link in _same_origin_links(wide, origin):
            if link not in checked_urls:
                queue.append((link, url))
    return pages, problems


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_a_person_can_reach_is_accessible_and_fits_a_phone(
    role: str, browser: Any, live_server: Any
) -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    SERVER_ERRORS.clear()
    got_request_exception.connect(_remember_server_error)
    started = time.monotonic()
    contexts = [
        browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
        )
        for width in (WIDE, NARROW)
    ]
    wide, narrow = (context.new_page() for context in contexts)
    for tab in (wide, narrow):
        tab.set_default_timeout(20000)
    try:
        landing_problems = []
        if ROLES[role]:
            _log_in(wide, role)
            # The page right after logging in carries the "Successfully signed in" flash message.
            landing_problems = [
                f"{wide.url} after logging in: axe {v['impact']} '{v['id']}' ({v['help']})"
                for v in _axe(wide)
            ]
            contexts[1].add_cookies(contexts[0].cookies())
            start = "/dashboard/"
        else:
            start = "/"
        pages, problems = crawl(wide, narrow, live_server.url, start, logged_in=bool(ROLES[role]))
        problems = landing_problems + problems
    finally:
        for context in contexts:
            context.close()
        got_request_exception.disconnect(_remember_server_error)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "role": role,
        "pages": len(pages),
        "seconds": round(time.monotonic() - started, 1),
        "problems": problems,
        "findings": pages,
    }
    slug = role.replace(" ", "_")
    (RESULTS / f"{slug}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    assert len(pages) > (1 if role == "anonymous" else 3), f"{role}: the crawl found almost nothing: {pages}"
    assert not problems, f"{role}: {len(problems)} problems on {len(pages)} pages\n" + "\n".join(problems)
