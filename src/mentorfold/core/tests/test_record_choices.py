"""A crafted id in a checkbox list of records is a form error, never a server error (issue: integer overflow)."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import LanguageFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["99999999999999999999", "-99999999999999999999", "0", "-1", "abc", "1.5", "1\x00", ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_mentor_profile_refuses_a_language_no_record_can_have(client: Any, mentor: Any, value: str) -> None:
    client.force_login(mentor.user)
    response = client.post(
        "/profile/", {"full_name": "Maria Rivera", "specialty": "Family medicine", "languages": [value]}
    )
    assert response.status_code in (200, 400)
    assert not mentor.languages.exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_learner_profile_refuses_a_language_no_record_can_have(client: Any, learner: Any, value: str) -> None:
    client.force_login(learner.user)
    response = client.post(
        "/profile/", {"full_name": "Amina Hassan", "stage": "undergraduate", "languages": [value]}
    )
    assert response.status_code in (200, 400)
    assert not learner.languages.exists()


def test_the_field_keeps_real_records_and_names_the_bad_value() -> None:
    from django.core.exceptions import ValidationError

    from mentorfold.accounts.models import Language
    from mentorfold.core.forms import RecordsMultipleChoiceField

    spanish = LanguageFactory()
    field = RecordsMultipleChoiceField(queryset=Language.objects.all())
    assert list(field.clean([str(spanish.pk)])) == [spanish]
    with pytest.raises(ValidationError) as error:
        field.clean([str(spanish.pk), "99999999999999999999"])
    assert "99999999999999999999" in str(error.value)
