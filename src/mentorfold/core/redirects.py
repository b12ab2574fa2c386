"""The one place a ``next`` address from a request is followed: same site only, never an open redirect."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


class NextForm(forms.Form):
    next = forms.CharField(required=False, max_length=2000, strip=True)


def safe_next(request: HttpRequest, default: str) -> str:
    """``next`` from the POST (else the query string) when it stays on this site, otherwise ``default``.

    ``//evil.example/``, ``/\\evil.example``, ``https://evil.example`` and ``javascript:`` are refused by
    Django's ``url_has_allowed_host_and_scheme``; a secure request also refuses a plain-http target.
    """
    form = NextForm(request.POST if request.method == "POST" and "next" in request.POST else request.GET)
    target = form.cleaned_data["next"] if form.is_valid() else ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
