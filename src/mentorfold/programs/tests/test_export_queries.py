"""Exports read rows in a fixed number of queries however many people there are, with the same cells."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import LanguageFactory, LearnerProfileFactory, MentorProfileFactory
from mentorfold.programs import exporting
from mentorfold.programs.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def _rows(kind: str) -> list[list[Any]]:
    return list(exporting.export_rows(kind))


@pytest.mark.parametrize("kind", exporting.EXPORT_KINDS)
def test_an_export_costs_the_same_queries_for_3_and_30_people(
    kind: str, django_assert_max_num_queries: Any
) -> None:
    spanish = LanguageFactory(code="es", name="Spanish")
    somali = LanguageFactory(code="so", name="Somali")

    def add(n: int) -> None:
        for _ in range(n):
            learner = LearnerProfileFactory()
            learner.languages.add(spanish, somali)
            MentorProfileFactory()
            EnrollmentFactory(learner=learner)

    add(3)
    with django_assert_max_num_queries(2):
        small = _rows(kind)
    add(27)
    with django_assert_max_num_queries(2):
        large = _rows(kind)
    assert len(small) == 4 and len(large) == 31


def test_a_learner_row_names_every_language_and_the_school() -> None:
    learner = LearnerProfileFactory(user__email="ana@example.org", user__full_name="Ana Lima")
    learner.languages.add(
        LanguageFactory(code="so", name="Somali"), LanguageFactory(code="es", name="Spanish")
    )
    header, row = _rows("learners")
    assert header[0] == "email" and row[0] == "ana@example.org" and row[1] == "Ana Lima"
    assert row[3] == learner.date_of_birth.isoformat()
    assert row[4] == (learner.school.name if learner.school else "")
    assert row[5] == "Somali, Spanish"


def test_the_header_keeps_the_importers_column_names_in_every_language() -> None:
    from django.utils import translation

    LearnerProfileFactory()
    with translation.override("es"):
        header = _rows("learners")[0]
    assert header == ["email", "full_name", "stage", "date_of_birth", "school", "languages"]
