"""Other apps react to compliance events without programs importing them.

shadowing registers a handler that cancels a minor's future bookings when their guardian revokes consent:
    hooks.consent_revoked_handlers.append(cancel_future_bookings)
Each handler is called as ``handler(learner=..., program=..., actor=..., reason=...)`` inside the revoking
transaction and returns how many things it cancelled.

outcomes registers a handler that sends the start-of-term survey when an enrollment is accepted:
    hooks.enrollment_accepted_handlers.append(invite_on_acceptance)
Each is called as ``handler(enrollment=..., actor=...)`` inside the accepting transaction; it may only
schedule work with ``transaction.on_commit`` (never mail directly).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

consent_revoked_handlers: list[Callable[..., int]] = []


def notify_consent_revoked(**kwargs: Any) -> int:
    return sum(handler(**kwargs) for handler in consent_revoked_handlers)


enrollment_accepted_handlers: list[Callable[..., Any]] = []


def notify_enrollment_accepted(**kwargs: Any) -> None:
    for handler in enrollment_accepted_handlers:
        handler(**kwargs)
