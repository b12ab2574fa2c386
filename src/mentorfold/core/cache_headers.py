"""Personal pages must not be kept by browsers or shared caches: ``Cache-Control: no-store, private``.

Applies to every response to a signed-in person and to every response that sets or clears the session cookie
(the login and logout pages). Static files never reach it: WhiteNoise answers them earlier in the chain.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreForPersonalPages:
    """Sits above SessionMiddleware, so it sees the session cookie the response sets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or settings.SESSION_COOKIE_NAME in response.cookies:
            patch_cache_control(response, no_store=True, private=True)
        return response
