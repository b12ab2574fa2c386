"""The languages Mentorfold can speak, and which of them are offered to people right now.

A language is offered (listed in ``settings.LANGUAGES``) only when its catalogue under ``locale/`` is complete:
a half-translated page mixes two languages inside one sentence, which is worse than plain English. Names are
written in their own script so a reader finds their language without reading English first; ``fa`` is the
Dari spoken by the society's Afghan families, so it is named Dari, not Persian.

``OFFERED`` is the one line to change when a translator finishes a language (every entry translated, none fuzzy:
``tests/test_languages.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info, gettext, gettext_lazy
from django.views.decorators.http import require_POST


@dataclass(frozen=True)
class Language:
    code: str  # Django language code (``zh-hans``), also the value stored in User.preferred_language
    name: str  # in its own script: the switcher shows it as is, never translated
    bidi: bool = False

    @property
    def locale_dir(self) -> str:
        """Folder under ``locale/`` (``zh_Hans``)."""
        from django.utils.translation import to_locale

        return to_locale(self.code)


KNOWN: tuple[Language, ...] = (
    Language("en", "English"),
    Language("es", "Español"),
    Language("vi", "Tiếng Việt"),
    Language("so", "Soomaali"),
    Language("zh-hans", "简体中文"),
    Language("ru", "Русский"),
    Language("fa", "دری (Dari)", bidi=True),
)
BY_CODE = {language.code: language for language in KNOWN}

# Listed languages, in switcher order. English only until a catalogue is complete.
OFFERED: tuple[str, ...] = ("en", "es", "vi", "so", "zh-hans", "ru", "fa")

# Somali is not in Django's LANG_INFO; settings.py adds it (get_language_info and the bidi tag need it).
EXTRA_LANG_INFO = {
    "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
}


def settings_languages() -> list[tuple[str, str]]:
    """``settings.LANGUAGES``: the offered languages with their own-script names."""
    return [(code, BY_CODE[code].name) for code in OFFERED]


def listed() -> list[Language]:
    """The languages offered now (follows ``settings.LANGUAGES``, so ``override_settings`` works in tests)."""
    return [BY_CODE.get(code) or Language(code, str(name)) for code, name in settings.LANGUAGES]


def listed_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_listed(code: str | None) -> bool:
    return bool(code) and code in listed_codes()


def is_bidi(code: str) -> bool:
    known = BY_CODE.get(code)
    if known is not None:
        return known.bidi
    try:
        return bool(get_language_info(code)["bidi"])
    except KeyError:
        return False


def language_choices() -> list[tuple[str, str]]:
    """Choices for a form field: every offered language, by its own name."""
    return [(language.code, language.name) for language in listed()]


class PreferredLanguageMiddleware:
    """A signed-in person's saved language wins over the browser's; a switch (the cookie) is saved to them.

    Sits after LocaleMiddleware and AuthenticationMiddleware. Anonymous visitors (patients from a QR code,
    guardians from an e-mail link) keep their choice in the language cookie alone.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        preferred = user.preferred_language if signed_in else ""
        if is_listed(preferred) and preferred != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        response: HttpResponse = self.get_response(request)
        if not signed_in:
            return response
        name = settings.LANGUAGE_COOKIE_NAME
        switched = response.cookies.get(name)
        cookie = request.COOKIES.get(name)
        if switched is not None:
            value = switched.value
        elif not preferred and is_listed(cookie):
            value = cookie  # chosen before signing in (a guardian on the login page): keep it
        else:
            value = ""
        if is_listed(value) and value != preferred:
            get_user_model().objects.filter(pk=user.pk).update(preferred_language=value)
            user.preferred_language = value
        elif not value and is_listed(preferred) and cookie != preferred:
            set_language_cookie(response, preferred)
        return response


def set_language_cookie(response: HttpResponse, code: str) -> None:
    """The same cookie Django's set_language view writes (so the next anonymous visit keeps the language)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=language_choices)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The switcher: remember the chosen language in the cookie (the middleware saves it for signed-in people)
    and go back to the page it was chosen on (``next``, same site only)."""
    from mentorfold.core.redirects import safe_next

    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(gettext("Choose a language from the list."))
    response = HttpResponseRedirect(safe_next(request, default=reverse("home")))
    set_language_cookie(response, form.cleaned_data["language"])
    return response
