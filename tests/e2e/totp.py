"""Authenticator codes for browser tests that never expire between typing and pressing Sign In."""

from __future__ import annotations

import time

from mentorfold.accounts.totp import current_totp_code

STEP = 30  # seconds a TOTP code lives
MARGIN = 6  # a browser round trip under load takes a few seconds


def fresh_totp_code(secret: str) -> str:
    """The current code, after waiting for the next window when this one ends within ``MARGIN`` seconds."""
    left = STEP - time.time() % STEP
    if left < MARGIN:
        time.sleep(left + 0.2)
    return current_totp_code(secret)
