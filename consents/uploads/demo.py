"""Demo data: one applied CSV upload of the first demo brand, processed after the demo data commits."""
from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from consents.models import Upload

from .tasks import process_upload


def _sample_csv() -> bytes:
    """What an Excel in Turkey writes: Windows-1254, semicolons, Turkish headers; two rows the rules refuse."""
    when = (timezone.localtime() - dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    rows = ["Alıcı;Alıcı Tipi;Kanal;Durum;İzin Tarihi;Kaynak"]
    rows += [f"0533 {200 + i:03d} 10 {i:02d};BIREYSEL;MESAJ;ONAY;{when};HS_WEB" for i in range(40)]
    rows += [f"musteri{i}@example.com;BIREYSEL;EPOSTA;ONAY;{when};HS_EPOSTA" for i in range(20)]
    rows.append(f"0533 12;BIREYSEL;MESAJ;ONAY;{when};HS_WEB")  # too short: H122
    rows.append(f"0533 200 10 00;BIREYSEL;MESAJ;ONAY;{when};HS_MOBIL")  # repeats line 2: H194
    return ("\r\n".join(rows) + "\r\n").encode("cp1254")


def build(ctx: Any) -> list[str]:
    brand = ctx.objects["brands"][0]
    user = ctx.objects["users"]["operator"]
    data = _sample_csv()
    upload = Upload(
        provider=brand.provider, brand=brand, uploaded_by=user, original_name="ornek-izinler.csv",
        size=len(data), dry_run=False,
    )
    upload.original.save("ornek-izinler.csv", ContentFile(data), save=False)
    upload.save()
    upload_id = upload.pk

    # The engine's connections must see the committed demo data.
    transaction.on_commit(partial(process_upload.delay, upload_id))
    return [f"Uploads          http://127.0.0.1:8000/isletme/yuklemeler/{upload_id}/  (a sample CSV with its report)"]
