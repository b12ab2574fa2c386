"""Object permissions for programs (django-rules): who may see a document, sign consent, run programs."""

from __future__ import annotations

from typing import Any

import rules

from mentorfold.accounts.models import GuardianLink
from mentorfold.accounts.rules import is_coordinator, is_guardian_of, is_learner, is_mentor

from .models import Document


@rules.predicate
def owns_document(user: Any, document: Document | None) -> bool:
    return document is not None and document.owner_id == user.pk


@rules.predicate
def is_guardian_of_document_owner(user: Any, document: Document | None) -> bool:
    if document is None or not user.is_authenticated:
        return False
    return GuardianLink.objects.filter(
        guardian=user, learner__user_id=document.owner_id, status=GuardianLink.Status.VERIFIED
    ).exists()


rules.add_perm("programs.view_document", is_coordinator | owns_document | is_guardian_of_document_owner)
rules.add_perm("programs.manage", is_coordinator)
rules.add_perm("programs.review_records", is_coordinator)
rules.add_perm("programs.apply", is_learner)
rules.add_perm("programs.opt_in", is_mentor)
rules.add_perm("programs.sign_consent", is_guardian_of)
