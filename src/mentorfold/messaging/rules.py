"""Who may read, write and moderate messages and meetings (django-rules predicates on a mentorship)."""

from __future__ import annotations

import rules

from mentorfold.accounts.rules import is_coordinator, is_guardian
from mentorfold.matching.rules import (
    is_guardian_of_mentorship_learner,
    is_mentorship_learner,
    is_mentorship_mentor,
)

takes_part = is_mentorship_mentor | is_mentorship_learner | (is_guardian & is_guardian_of_mentorship_learner)

# Reading: the people in the mentorship, a verified guardian of its learner, and coordinators.
rules.add_perm("messaging.view_mentorship", is_coordinator | takes_part)
# Writing (threads, messages, meetings): only the people in the mentorship and the learner's guardians.
rules.add_perm("messaging.take_part", takes_part)
rules.add_perm("messaging.moderate", is_coordinator)
