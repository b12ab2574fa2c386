"""Uploads: size and type are checked (by content, not name); files are served only to who may see them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mentorfold.accounts.tests.factories import GuardianLinkFactory
from mentorfold.programs import services
from mentorfold.programs.models import Document

from .factories import EXE_BYTES, PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


class _NeverRead(SimpleUploadedFile):
    """Claims to be 50 MB; fails the test if anyone reads it (the size check must come first)."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the upload was read before its size was checked")


def test_a_50_mb_upload_is_refused_before_it_is_read(learner: Any) -> None:
    upload = _NeverRead("scan.pdf", PDF_BYTES, content_type="application/pdf")
    upload.size = 50 * 1024 * 1024
    with pytest.raises(ValidationError) as error:
        services.document_upload(owner=learner.user, upload=upload, uploaded_by=learner.user)
    assert error.value.message_dict["file"] == [
        "File: scan.pdf is 50 MB; the limit is 10 MB. Upload a smaller scan or photo."
    ]
    assert not Document.objects.exists()


def test_an_exe_renamed_pdf_is_refused(learner: Any) -> None:
    upload = SimpleUploadedFile("immunizations.pdf", EXE_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError, match="is not a PDF, JPEG or PNG file"):
        services.document_upload(owner=learner.user, upload=upload, uploaded_by=learner.user)
    assert not Document.objects.exists()


def test_a_pdf_is_stored_under_a_random_name_with_the_sniffed_type(learner: Any) -> None:
    upload = SimpleUploadedFile("My Shots.png", PDF_BYTES, content_type="image/png")
    document = services.document_upload(owner=learner.user, upload=upload, uploaded_by=learner.user)
    assert document.content_type == "application/pdf"
    assert document.original_name == "My Shots.png"
    assert document.file.name.startswith("documents/") and document.file.name.endswith(".pdf")
    assert "Shots" not in document.file.name
    assert len(document.sha256) == 64 and document.size == len(PDF_BYTES)


def _document_of(profile: Any) -> Document:
    upload = SimpleUploadedFile("record.png", PNG_BYTES)
    return services.document_upload(owner=profile.user, upload=upload, uploaded_by=profile.user)


def test_the_owner_downloads_their_document_as_an_attachment(client: Any, learner: Any) -> None:
    document = _document_of(learner)
    client.force_login(learner.user)
    response = client.get(reverse("programs:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_a_learner_cannot_download_another_learners_document(
    client: Any, learner: Any, other_learner: Any, django_assert_max_num_queries: Any
) -> None:
    document = _document_of(learner)
    client.force_login(other_learner.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("programs:document", args=[document.pk]))
    assert response.status_code == 404


def test_a_guardian_sees_only_their_own_childs_documents(
    client: Any, guardian: Any, minor_learner: Any, learner: Any
) -> None:
    own_child = _document_of(minor_learner)
    someone_else = _document_of(learner)
    other_minor = GuardianLinkFactory().learner
    other_child = _document_of(other_minor)
    client.force_login(guardian)
    assert client.get(reverse("programs:document", args=[own_child.pk])).status_code == 200
    assert client.get(reverse("programs:document", args=[someone_else.pk])).status_code == 404
    assert client.get(reverse("programs:document", args=[other_child.pk])).status_code == 404


def test_a_coordinator_may_download_and_a_mentor_may_not(
    client: Any, coordinator: Any, mentor: Any, learner: Any
) -> None:
    document = _document_of(learner)
    client.force_login(coordinator)
    assert client.get(reverse("programs:document", args=[document.pk])).status_code == 200
    client.force_login(mentor.user)
    assert client.get(reverse("programs:document", args=[document.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Any, learner: Any) -> None:
    document = _document_of(learner)
    response = client.get(reverse("programs:document", args=[document.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_upload_page_refuses_an_exe_renamed_pdf_with_a_clear_message(
    client: Any, learner: Any, site: Any
) -> None:
    from .factories import RequirementFactory

    requirement = RequirementFactory(site=site, name="Immunization record")
    client.force_login(learner.user)
    response = client.post(
        reverse("programs:requirement_upload", args=[requirement.pk]),
        {"file": SimpleUploadedFile("shots.pdf", EXE_BYTES), "expires_on": "2030-01-01"},
    )
    assert response.status_code == 400
    assert "shots.pdf is not a PDF, JPEG or PNG file" in response.content.decode()
    assert not Document.objects.exists()


def test_the_upload_page_refuses_a_file_over_the_limit(
    client: Any, learner: Any, site: Any, settings: Any
) -> None:
    from .factories import RequirementFactory

    settings.UPLOAD_MAX_BYTES = 1024
    requirement = RequirementFactory(site=site, name="Immunization record")
    client.force_login(learner.user)
    response = client.post(
        reverse("programs:requirement_upload", args=[requirement.pk]),
        {"file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 4096), "expires_on": "2030-01-01"},
    )
    assert response.status_code == 400
    assert "big.pdf is 4 KB; the limit is 1 KB" in response.content.decode()
    assert not Document.objects.exists()
