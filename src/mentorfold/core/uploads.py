"""Check uploaded files before anything is stored: size first (without reading), then the real type.

The type is sniffed from the file's first bytes with ``filetype``, never taken from its name, so an ``.exe``
renamed ``.pdf`` is refused. Used for compliance documents and grant attachments.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

PDF = {"application/pdf": "pdf"}
PDF_OR_IMAGE = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def private_storage() -> FileSystemStorage:
    """Uploaded documents live outside any public URL; permission-checked views serve them."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def random_storage_name(folder: str, filename: str) -> str:
    """A random path in ``folder``: the original name stays in the database, never in the path."""
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"
    return f"{max(1, round(n / 1024))} KB"


def check_upload(upload: UploadedFile, *, allowed: Mapping[str, str], kinds: str) -> str:
    """Return the sniffed MIME type, or raise ValidationError naming the file, the problem and the fix.

    ``allowed`` maps MIME types to file extensions; ``kinds`` names them for people ("PDF, JPEG or PNG").
    """
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("File: %(name)s is %(size)s; the limit is %(limit)s. Upload a smaller scan or photo.")
            % {"name": upload.name, "size": human_size(upload.size or 0), "limit": human_size(limit)}
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in allowed:
        raise ValidationError(
            _(
                "File: %(name)s is not a %(kinds)s file (whatever its name says). "
                "Save or scan it as %(kinds)s and upload it again."
            )
            % {"name": upload.name, "kinds": kinds}
        )
    return str(kind.mime)


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
