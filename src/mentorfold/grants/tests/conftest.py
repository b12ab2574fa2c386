from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage

from ..models import GrantAttachment
from .factories import ApplicationFactory, AssignmentFactory, GrantCycleFactory, MedicalStudentFactory


@pytest.fixture(autouse=True)
def _private_media(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Uploaded test files go to a temporary folder, not the real private media root."""
    field = GrantAttachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(tmp_path / "private")))


@pytest.fixture
def cycle(db: None) -> Any:
    return GrantCycleFactory()


@pytest.fixture
def applicant(db: None) -> Any:
    return MedicalStudentFactory(user__email="med@example.org", user__full_name="Nora Begay")


@pytest.fixture
def application(cycle: Any, applicant: Any) -> Any:
    return ApplicationFactory(cycle=cycle, applicant=applicant)


@pytest.fixture
def assigned(application: Any, reviewer: Any) -> Any:
    """``reviewer`` (the standing fixture) is assigned to ``application``."""
    return AssignmentFactory(application=application, reviewer=reviewer.user)
