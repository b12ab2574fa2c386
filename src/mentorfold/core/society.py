"""Who runs this installation: the society's name, logo and contact details, shown on every page.

One installation is one society, so these are settings (read from the environment in ``settings.py``), not
rows: ``SOCIETY_NAME``, ``SOCIETY_CONTACT_EMAIL``, ``SOCIETY_ADDRESS``, ``SOCIETY_LOGO_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Society:
    name: str
    contact_email: str
    address: str
    logo_url: str


def current_society() -> Society:
    """The society named in the settings; a neutral default so a fresh install still reads well."""
    return Society(
        name=str(getattr(settings, "SOCIETY_NAME", "") or _("the county medical society")),
        contact_email=getattr(settings, "SOCIETY_CONTACT_EMAIL", "")
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        address=getattr(settings, "SOCIETY_ADDRESS", ""),
        logo_url=getattr(settings, "SOCIETY_LOGO_URL", ""),
    )
