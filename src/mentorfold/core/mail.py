"""Send plain-text e-mail rendered from templates (one place, so every notice looks the same).

Every message has exactly one recipient: people copied on the same event (a mentor, a minor and the minor's
guardian) never see one another's addresses in the headers.

Each message is written in its recipient's language: the person's saved language when it is offered, else the
language the action was taken in (``language``, by default the one active when the mail is sent — a guardian
without an account who acted in Somali gets Somali), else the site's default. So subjects are passed lazily
(``gettext_lazy`` with ``subject_params``, or a callable) and translated at send time, not by the sender's page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import get_template, render_to_string
from django.utils import translation

from mentorfold.core import languages

Subject = str | Callable[[], str]


def recipient_languages(addresses: Iterable[str], *, default: str) -> dict[str, str]:
    """``address -> language`` for each address: the account's saved language if offered, else ``default``."""
    addresses = list(addresses)
    saved = {
        email.lower(): code
        for email, code in get_user_model()
        .objects.filter(email__in=[a.lower() for a in addresses])
        .exclude(preferred_language="")
        .values_list("email", "preferred_language")
    }
    result = {}
    for address in addresses:
        code = saved.get(address.lower(), "")
        result[address] = code if languages.is_listed(code) else default
    return result


def _action_language(language: str | None) -> str:
    for code in (language, translation.get_language()):
        if code and (languages.is_listed(code) or code.split("-")[0] == settings.LANGUAGE_CODE.split("-")[0]):
            return code
    return settings.LANGUAGE_CODE


def render_subject(subject: Subject, params: Mapping[str, Any] | None) -> str:
    text = subject() if callable(subject) else str(subject)
    return text % dict(params) if params else text


def send_templated_mail(
    *,
    to: Iterable[str],
    subject: Subject,
    template: str,
    context: dict[str, Any],
    subject_params: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> int:
    """Render ``template`` per recipient language and send one separate message to each address.

    ``subject`` is a lazy string (``gettext_lazy("… %(name)s")`` with ``subject_params``) or a callable; both are
    evaluated inside the recipient's language. ``language`` is the language the action was taken in, used for
    recipients without a saved language. Returns the number of messages sent.
    """
    recipients = sorted({address.strip() for address in to if address and address.strip()})
    if not recipients:
        return 0
    by_address = recipient_languages(recipients, default=_action_language(language))
    rendered: dict[str, tuple[str, str]] = {}
    messages = []
    for address in recipients:
        code = by_address[address]
        if code not in rendered:
            with translation.override(code):
                body = render_to_string(template, {"SITE_URL": settings.SITE_URL, **context})
                rendered[code] = (render_subject(subject, subject_params), body)
        subject_text, body = rendered[code]
        messages.append(
            EmailMessage(
                subject=f"[Mentorfold] {subject_text}",
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
            )
        )
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


class MailNotSent(Exception):
    """Sending a batch stopped: the first ``sent`` messages went out, the rest did not (see ``__cause__``)."""

    def __init__(self, sent: int) -> None:
        super().__init__(f"mail stopped after {sent} message(s)")
        self.sent = sent


def send_templated_mails(
    *,
    letters: Sequence[tuple[str, Mapping[str, Any]]],
    subject: Subject,
    template: str,
    context: Mapping[str, Any] | None = None,
    subject_params: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> int:
    """Send many personal messages of one kind, fast: one message per ``(address, own context)`` letter.

    Like ``send_templated_mail`` (each message in its recipient's language, one recipient per message), but
    for bulk mail: languages are looked up once for the whole batch, the template is loaded once, the subject
    is translated once per language, and every message goes over one connection. ``context`` is shared by
    all letters; a letter's own context adds to it. Messages go out in the order of ``letters``; if sending
    stops, ``MailNotSent.sent`` says how many went out (the caller can give the rest back to its sent-log).
    """
    letters = [(address.strip(), own) for address, own in letters if address and address.strip()]
    if not letters:
        return 0
    shared = {"SITE_URL": settings.SITE_URL, **(context or {})}
    sent = done = 0
    try:
        by_address = recipient_languages({a for a, _own in letters}, default=_action_language(language))
        compiled = get_template(template)
        subjects: dict[str, str] = {}
        bodies: list[str] = [""] * len(letters)
        positions: dict[str, list[int]] = {}
        for index, (address, _own) in enumerate(letters):
            positions.setdefault(by_address[address], []).append(index)
        for code, indexes in positions.items():
            with translation.override(code):
                subjects[code] = f"[Mentorfold] {render_subject(subject, subject_params)}"
                for index in indexes:
                    bodies[index] = compiled.render({**shared, **letters[index][1]})
        messages = [
            EmailMessage(
                subject=subjects[by_address[address]],
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
            )
            for (address, _own), body in zip(letters, bodies, strict=True)
        ]
        with get_connection() as connection:
            for message in messages:
                sent += connection.send_messages([message]) or 0
                done += 1
    except Exception as error:
        raise MailNotSent(done) from error
    return sent
