"""Mentorfold under load (issue 14 §5): learners browse and book, mentors verify hours, reviewers score,
a coordinator exports. Started by ``benchmarks/load/run.sh`` against 127.0.0.1 only.

Every write the site confirms is appended to ``LOAD_WRITES`` (JSON lines) so ``verify.py`` can check each one
is in the database afterwards. Accounts come from ``LOAD_ACCOUNTS`` (written by ``prepare.py``). 5xx responses
are counted per page into ``LOAD_SUMMARY`` when locust stops, with every refusal the site gave by kind.

Exports follow the background-job flow: POST the export button ("export start", 303 to ``/tasks/<id>/``),
poll the progress page every second for up to a minute ("export progress"), then fetch the file ("export
download"). A site that still answers the export URL with the file itself gets the old direct GET.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from locust import HttpUser, between, events, task

ACCOUNTS: dict[str, Any] = json.loads(Path(os.environ.get("LOAD_ACCOUNTS", "accounts.json")).read_text())
WRITES = Path(os.environ.get("LOAD_WRITES", "writes.jsonl"))
SUMMARY = Path(os.environ.get("LOAD_SUMMARY", "summary.json"))
SERVER_ERRORS: Counter[str] = Counter()
WRITE_COUNTS: Counter[str] = Counter()
REFUSED: Counter[str] = Counter()
SIGN_IN_FAILED: Counter[str] = Counter()
EXPORT_WAIT_S = 60  # how long the coordinator waits for an export job before giving up


# --- helpers ------------------------------------------------------------------------------------------


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as allauth's TOTP checks it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "fields": [], "buttons": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._form["fields"].append({"tag": "input", **a})
        elif tag == "button" and a.get("name"):
            self._form["buttons"].append(a["name"])
        elif tag == "select":
            self._select = {"tag": "select", "name": a.get("name"), "options": [], "value": None}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select["options"].append(value)
            if "selected" in a:
                self._select["value"] = value
        elif tag == "textarea":
            self._textarea = {
                "tag": "textarea",
                "name": a.get("name"),
                "value": "",
                "required": "required" in a,
            }
            self._form["fields"].append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data


def find_form(html: str, *, action: str | None = None, button: str | None = None) -> dict[str, Any] | None:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if action is not None and re.search(action, form["action"]):
            return form
        if button is not None and button in form["buttons"]:
            return form
    return None


def fill(form: dict[str, Any], **overrides: str) -> dict[str, str]:
    """What a person submitting the form unchanged would send; radio groups get a random choice."""
    data: dict[str, str] = {}
    radios: dict[str, list[str]] = {}
    for field in form["fields"]:
        name = field.get("name")
        if not name:
            continue
        kind = (field.get("type") or "text").lower()
        if field["tag"] == "select":
            data[name] = (
                field["value"] if field["value"] is not None else next((o for o in field["options"] if o), "")
            )
        elif field["tag"] == "textarea":
            data[name] = field["value"].strip() or ("Load test." if field["required"] else "")
        elif kind == "radio":
            radios.setdefault(name, []).append(field.get("value") or "")
            if "checked" in field:
                data[name] = field.get("value") or ""
        elif kind == "checkbox":
            if "checked" in field:
                data[name] = field.get("value") or "on"
        elif kind not in {"submit", "button", "file", "image", "reset"}:
            data[name] = field.get("value") or ""
    for name, values in radios.items():
        data.setdefault(name, random.choice(values))
    data.update(overrides)
    return data


def links(html: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(pattern, html)))


def record(kind: str, **fields: Any) -> None:
    WRITE_COUNTS[kind] += 1
    with WRITES.open("a") as fh:
        fh.write(json.dumps({"kind": kind, "at": time.time(), **fields}) + "\n")


@events.request.add_listener
def _count_server_errors(name: str, response: Any = None, **kwargs: Any) -> None:
    if response is not None and getattr(response, "status_code", 0) >= 500:
        SERVER_ERRORS[name] += 1


@events.quitting.add_listener
def _write_summary(environment: Any, **kwargs: Any) -> None:
    SUMMARY.write_text(
        json.dumps(
            {
                "server_errors": sum(SERVER_ERRORS.values()),
                "server_errors_by_page": dict(SERVER_ERRORS),
                "writes": dict(WRITE_COUNTS),
                "refused": dict(REFUSED),
                "sign_in_failed": dict(SIGN_IN_FAILED),
            },
            indent=2,
        )
    )


# --- people -------------------------------------------------------------------------------------------


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""
    accounts: itertools.cycle[str]

    def on_start(self) -> None:
        self.email = next(self.accounts)
        page = self.client.get("/accounts/login/", name="login form")
        form = find_form(page.text, action=r"/accounts/login/") or {"fields": [], "buttons": []}
        data = fill(form, login=self.email, password=ACCOUNTS["password"])
        response = self.client.post("/accounts/login/", data=data, name="login")
        last_code = ""
        for _attempt in range(3):
            if "/2fa/authenticate" not in response.url:
                break
            # A code is good for one 30 s window; when the server answers late under load, try the next one.
            code = totp(ACCOUNTS["totp_secret"])
            if code == last_code:
                time.sleep(30 - time.time() % 30 + 0.5)
                code = totp(ACCOUNTS["totp_secret"])
            last_code = code
            form = find_form(response.text, action=r"2fa/authenticate") or {"fields": [], "buttons": []}
            response = self.client.post(
                urlparse(response.url).path, data=fill(form, code=code), name="login code"
            )
        if "/accounts/login" in response.url or "/2fa/" in response.url:
            SIGN_IN_FAILED[self.email] += 1
            raise RuntimeError(f"{self.email} could not sign in (ended on {response.url})")

    def post_form(
        self, page: Any, form: dict[str, Any], name: str, button: str | None = None, **values: str
    ) -> Any:
        data = fill(form, **values)
        if button:
            data[button] = ""
        url = form["action"] or urlparse(page.url).path
        return self.client.post(url, data=data, name=name, headers={"Referer": page.url})


class Learner(Person):
    weight = 12
    accounts = itertools.cycle(ACCOUNTS["learners"])

    def on_start(self) -> None:
        super().on_start()
        self.bookings: list[int] = []

    @task(4)
    def browse(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")
        self.client.get("/shadowing/", name="/shadowing/ (learner)")
        self.client.get("/shadowing/hours/", name="/shadowing/hours/")

    @task(3)
    def book(self) -> None:
        home = self.client.get("/shadowing/", name="/shadowing/ (learner)")
        slots = links(home.text, r'href="(/shadowing/slots/\d+/)"')
        if not slots:
            return
        page = self.client.get(random.choice(slots), name="/shadowing/slots/[id]/")
        form = find_form(page.text, action=r"/shadowing/slots/\d+/book/$")
        if form is None:
            # The first reason the page gives, so a refusal can be told from a bug in the test data.
            reason = re.search(r'role="alert">.*?<li>(.*?)</li>', page.text, re.S)
            REFUSED[f"book (not eligible: {reason.group(1)[:60] if reason else 'full'})"] += 1
            return
        response = self.post_form(page, form, "book a slot")
        booked = re.search(r"/shadowing/bookings/(\d+)/$", response.url)
        if booked:
            self.bookings.append(int(booked.group(1)))
            record("booking", booking=int(booked.group(1)), learner=self.email)
        else:
            REFUSED["book (refused)"] += 1

    @task(1)
    def cancel(self) -> None:
        if not self.bookings:
            return
        pk = self.bookings.pop(random.randrange(len(self.bookings)))
        page = self.client.get(f"/shadowing/bookings/{pk}/", name="/shadowing/bookings/[id]/")
        form = find_form(page.text, action=r"/cancel/$")
        if form is None:
            return
        response = self.post_form(page, form, "cancel a booking", reason="Load test: plans changed.")
        if response.ok and "The session is cancelled." in response.text:
            record("cancel", booking=pk, learner=self.email)
        else:
            REFUSED["cancel (refused)"] += 1


class Mentor(Person):
    weight = 4
    accounts = itertools.cycle(ACCOUNTS["mentors"])

    @task(3)
    def calendar(self) -> None:
        self.client.get("/shadowing/calendar/", name="/shadowing/calendar/")
        self.client.get("/shadowing/calendar/?view=month", name="/shadowing/calendar/?view=month")

    @task(2)
    def verify(self) -> None:
        pending = self.client.get("/shadowing/pending/", name="/shadowing/pending/")
        bookings = links(pending.text, r'href="/shadowing/bookings/(\d+)/"')
        if not bookings:
            return
        pk = random.choice(bookings)
        page = self.client.get(f"/shadowing/bookings/{pk}/", name="/shadowing/bookings/[id]/")
        form = find_form(page.text, action=r"/verify/$")
        if form is None:
            REFUSED["verify (no form)"] += 1
            return
        values = {
            "patients_consented": str(random.randint(0, 4)),
            "patients_declined": str(random.randint(0, 2)),
        }
        response = self.post_form(page, form, "verify hours", **values)
        if response.ok and "Hours verified" in response.text:
            minutes = fill(form).get("minutes", "")
            record("verify", booking=int(pk), mentor=self.email, minutes=minutes, **values)
        else:
            REFUSED["verify (refused)"] += 1


class Reviewer(Person):
    weight = 3
    accounts = itertools.cycle(ACCOUNTS["reviewers"])

    @task(2)
    def review_list(self) -> None:
        self.client.get("/grants/review/", name="/grants/review/")

    @task(3)
    def score(self) -> None:
        listing = self.client.get("/grants/review/", name="/grants/review/")
        apps = links(listing.text, r'href="/grants/review/applications/(\d+)/"')
        if not apps:
            return
        pk = random.choice(apps)
        page = self.client.get(f"/grants/review/applications/{pk}/", name="/grants/review/applications/[id]/")
        form = find_form(page.text, button="save")
        if form is None:
            REFUSED["score (closed)"] += 1
            return
        data = fill(form)
        scores = {k.removeprefix("score_"): v for k, v in data.items() if k.startswith("score_") and v}
        response = self.post_form(page, form, "save a draft review", button="save", **data)
        if response.ok and urlparse(response.url).path == "/grants/review/":
            record("review", application=int(pk), reviewer=self.email, scores=scores)
        else:
            REFUSED["score (refused)"] += 1


class Coordinator(Person):
    fixed_count = 1
    accounts = itertools.cycle(ACCOUNTS["coordinators"])

    @task(2)
    def export(self) -> None:
        """Start an export, follow its progress page, download the file (or the old direct GET)."""
        kind = random.choice(["learners", "mentors", "enrollments"])
        fmt = random.choice(["csv", "xlsx"])
        url = f"/programs/manage/export/{kind}.{fmt}"
        page = self.client.get("/programs/manage/", name="/programs/manage/")
        form = find_form(page.text, action=rf"^{re.escape(url)}$")
        started = None
        if form is not None:
            started = self.client.post(
                url,
                data=fill(form),
                name="export start",
                headers={"Referer": page.url},
                allow_redirects=False,
            )
        location = started.headers.get("Location", "") if started is not None else ""
        progress = re.search(r"/tasks/([0-9a-f-]{36})/$", location)
        if progress is None:
            self._export_directly(url, kind, fmt)
            return
        run = progress.group(1)
        download = None
        deadline = time.monotonic() + EXPORT_WAIT_S
        while download is None and time.monotonic() < deadline:
            time.sleep(1)
            status = self.client.get(f"/tasks/{run}/", name="export progress")
            found = re.search(r'href="(/programs/manage/exports/[0-9a-f-]{36}/download)"', status.text)
            download = found.group(1) if found else None
        if download is None:
            REFUSED["export (not ready in time)"] += 1
            return
        with self.client.get(download, name="export download", catch_response=True) as response:
            if response.status_code == 200 and "text/html" not in response.headers.get("Content-Type", ""):
                response.success()
                record(
                    "export",
                    coordinator=self.email,
                    export=kind,
                    format=fmt,
                    task_run=run,
                    bytes=len(response.content),
                )
            else:
                response.failure(f"no file ({response.status_code})")
                REFUSED["export (no file)"] += 1

    def _export_directly(self, url: str, kind: str, fmt: str) -> None:
        """The old contract: GET answers with the file itself."""
        with self.client.get(
            url, name=f"export {fmt}", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 200 and "text/html" not in response.headers.get("Content-Type", ""):
                response.success()
                record("export", coordinator=self.email, export=kind, format=fmt, bytes=len(response.content))
            else:
                response.success()  # not an error of the site: this export is not offered that way
                REFUSED["export (no file)"] += 1

    @task(2)
    def overview(self) -> None:
        self.client.get("/shadowing/", name="/shadowing/ (coordinator)")
        self.client.get("/grants/manage/", name="/grants/manage/")
        self.client.get("/programs/manage/", name="/programs/manage/")
