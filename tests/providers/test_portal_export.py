"""Streaming CSV export: the active filters, formula neutralisation, Excel-friendly encoding."""
from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from consents.models import Consent
from consents.rules import ISTANBUL
from tests import factories

from .portal_data import bulk_consents, make_setup, record

pytestmark = pytest.mark.django_db


def _download(client, **params: str) -> tuple[bytes, list[dict[str, str]]]:
    response = client.get(reverse("portal:consent_export"), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    raw = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    return raw, rows


def test_export_has_bom_header_and_neutralised_cells(client):
    setup = make_setup()
    client.force_login(setup.user)
    phone = record(setup.brand, recipient="+905321112233")
    # An e-mail address may legally start with '-' or '+' (İYS refuses '='): a classic injection vector.
    record(setup.brand, recipient="-cmd@example.com", channel="EPOSTA")
    raw, rows = _download(client)
    assert raw.startswith("\ufeff".encode())
    assert rows[0].keys() >= {"recipient", "recipientType", "type", "status", "consentDate", "source", "retailerCode"}
    recipients = {r["recipient"] for r in rows}
    assert recipients == {"'+905321112233", "'-cmd@example.com"}
    assert all(not r["recipient"][0] in "=+-@" for r in rows)
    # yyyy-mm-dd hh:mm:ss in Istanbul time, as İYS writes dates.
    istanbul = timezone.localtime(phone.consent_date, ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
    assert [r["consentDate"] for r in rows if r["recipient"] == "'+905321112233"] == [istanbul]
    assert all(r["reviewUntil"] == "" and r["retailerCode"] == "" for r in rows)


def test_export_applies_the_active_filters(client):
    setup = make_setup()
    other_brand = factories.BrandFactory(provider=setup.provider)
    client.force_login(setup.user)
    record(setup.brand, channel="MESAJ")
    record(setup.brand, channel="ARAMA")
    record(other_brand, channel="MESAJ")
    _raw, rows = _download(client, channel="MESAJ", brand=str(setup.brand.brand_code))
    assert len(rows) == 1 and rows[0]["type"] == "MESAJ" and rows[0]["brandCode"] == str(setup.brand.brand_code)
    _raw, rows = _download(client, q="0" + Consent.objects.filter(channel="ARAMA").get().recipient[3:])
    assert [r["type"] for r in rows] == ["ARAMA"]
    _raw, rows = _download(client)
    assert len(rows) == 3


def test_export_streams_many_rows_in_chunks(client, monkeypatch):
    from consents.portal import export as portal_export

    monkeypatch.setattr(portal_export, "CHUNK_SIZE", 100)
    monkeypatch.setattr(portal_export, "LINES_PER_PIECE", 100)
    setup = make_setup()
    client.force_login(setup.user)
    bulk_consents(setup.brand, 1234)
    response = client.get(reverse("portal:consent_export"))
    chunks = list(response.streaming_content)
    # Pieces of 100 rows (the header rides with the first): nothing is built up in memory.
    assert [c.count(b"\r\n") for c in chunks] == [101] + [100] * 11 + [34]
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1234 and len({r["recipient"] for r in rows}) == 1234
