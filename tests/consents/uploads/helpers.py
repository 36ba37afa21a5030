"""Shared helpers of the upload tests: CSV text, upload records, today's dates."""
from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from consents.models import Upload

HEADER = "recipient,recipientType,type,status,consentDate,source"


def recent(hours: int = 2) -> str:
    """A consent date inside the three-business-day window, as İYS writes it."""
    return (timezone.localtime() - dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def make_upload(*, brand, user, content: bytes | str, dry_run: bool = False, name: str = "izinler.csv") -> Upload:
    data = content.encode("utf-8") if isinstance(content, str) else content
    upload = Upload(
        provider=brand.provider, brand=brand, uploaded_by=user, original_name=name, size=len(data), dry_run=dry_run
    )
    upload.original.save(name, ContentFile(data), save=False)
    upload.save()
    return upload
