"""The portal's own export, CSV and .xlsx, uploads back with every row unchanged."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from consents.actors import Actor
from consents.models import Consent, ConsentEvent, Upload, UploadState
from consents.services import consent_reject_by_citizen
from tests import factories
from tests.providers.portal_data import make_setup, record

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def _registry(setup) -> int:
    """Consents of every kind an export holds: old declared ones, citizens' rejections, dealers, TACIR."""
    period = factories.DeclarationPeriodFactory(tier=setup.provider.tier)
    retailer = factories.RetailerFactory(brand=setup.brand)
    record(setup.brand, consent_date=timezone.now() - dt.timedelta(days=400), source="HS_FIZIKSEL_ORTAM")
    record(setup.brand, recipient="ayse@example.com", channel="EPOSTA", source="HS_EPOSTA")
    record(setup.brand, channel="ARAMA", recipient_type="TACIR", retailer=retailer)
    karar = record(setup.brand)
    record(setup.brand, recipient=karar.recipient, status="RET", source="HS_KARAR", consent_date=timezone.now())
    # Formula-like but valid for İYS ('=' before the @ is not: only + is a special character there).
    rejected = record(setup.brand, recipient="-veli@example.com", channel="EPOSTA")
    consent_reject_by_citizen(
        brand=setup.brand, recipient=rejected.recipient, channel="EPOSTA", source="IYS_WEB",
        actor=Actor.citizen(None, "vatandaş"), via="WEB",
    )
    # The period closes: the old consent's date is now outside every window.
    period.opens_on = timezone.localdate() - dt.timedelta(days=90)
    period.declare_until = timezone.localdate() - dt.timedelta(days=30)
    period.save()
    return Consent.objects.filter(brand=setup.brand).count()


def _upload_back(client, setup, name: str, content: bytes) -> Upload:
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(setup.brand.brand_code), "mode": "apply", "file": SimpleUploadedFile(name, content),
    })
    assert response.status_code == 302, response.context["form"].errors
    upload = Upload.objects.order_by("-id").first()
    assert upload.state == UploadState.DONE, upload.error_message
    return upload


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_uploads_back_all_unchanged(client, kind):
    setup = make_setup()
    client.force_login(setup.user)
    total = _registry(setup)
    events = ConsentEvent.objects.count()
    before = list(Consent.objects.order_by("id").values())

    url = reverse("portal:consent_export" if kind == "csv" else "portal:consent_export_xlsx")
    response = client.get(url)
    content = b"".join(response.streaming_content)
    if kind == "csv":
        assert "'+90" in content.decode("utf-8-sig")  # the formula guard is there, and is read back
    else:
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
        assert {c.number_format for c in cells} == {"@"}  # text cells: no guard needed
        assert "f" not in {c.data_type for c in cells}  # never a formula, even for "-veli@example.com"
        assert any(str(c.value).startswith("+90") for c in cells)

    upload = _upload_back(client, setup, f"izinler.{kind}", content)
    assert (upload.inserted, upload.updated, upload.refused) == (0, 0, 0), upload.refusals_by_code
    assert upload.unchanged == total >= 5
    assert ConsentEvent.objects.count() == events
    assert list(Consent.objects.order_by("id").values()) == before
