"""Other apps react to compliance events without programs importing them.

shadowing registers a handler that cancels a minor's future bookings when their guardian revokes consent:
    hooks.consent_revoked_handlers.append(cancel_future_bookings)
Each handler is called as ``handler(learner=..., program=..., actor=..., reason=...)`` inside the revoking
transaction and returns how many things it cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

consent_revoked_handlers: list[Callable[..., int]] = []


def notify_consent_revoked(**kwargs: Any) -> int:
    return sum(handler(**kwargs) for handler in consent_revoked_handlers)
