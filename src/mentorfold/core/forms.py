"""Form fields shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

# Primary keys are 64-bit integers in every database the project supports.
_LARGEST_KEY = 2**63 - 1


class RecordsMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Checkbox lists of records (languages, sites) that refuse a value no record can have.

    Django checks each value with an exact lookup but then asks the database with ``pk__in``, which on SQLite
    raises ``OverflowError`` for a value such as ``99999999999999999999``: a crafted request would get a 500.
    Here such a value is an ordinary form error.
    """

    def _check_values(self, value: Any) -> Any:
        if self.to_field_name in (None, "pk", "id"):
            for item in value if isinstance(value, list | tuple | set | frozenset) else [value]:
                text = str(item).strip()
                if not text.lstrip("-").isdigit() or not 0 < int(text) <= _LARGEST_KEY:
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)


def add_validation_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has that field, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class PageForm(forms.Form):
    """A page number from a list's address (``?page=2``); anything that is not one is refused, never guessed."""

    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)


def requested_page(request: HttpRequest) -> int:
    """The ``page`` asked for (1 when none); a value that is not a page number answers 400."""
    form = PageForm(request.GET)
    if not form.is_valid():
        raise BadRequest(_("Page: use a whole number from 1."))
    return form.cleaned_data["page"] or 1
