"""Campaign pre-check: a list (CSV or .xlsx) split into may-send / may-not-send with the reason per row, the
same answers as may-I-send; nothing kept but the audit row."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from consents.actors import Actor
from consents.models import CampaignCheck, Consent, RecipientType, Source, Status, Via
from consents.selectors import can_send_many
from consents.services import consent_record
from providers.models import Role
from tests import factories
from tests.consents.test_spreadsheets import EVIL

pytestmark = pytest.mark.django_db


def _record(brand, recipient, status, channel="MESAJ", recipient_type=RecipientType.BIREYSEL, source=Source.HS_WEB,
            actor=None):
    consent_record(
        brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=status,
        source=source, consent_date=timezone.now() - dt.timedelta(hours=1),
        actor=actor or Actor.provider_user(factories.UserFactory()), via=Via.WEB,
    )


def _post(client, brand, content: bytes, name: str, **fields):
    data = {"brand": brand.brand_code, "channel": "MESAJ", "recipient_type": "BIREYSEL",
            "file": SimpleUploadedFile(name, content), **fields}
    response = client.post("/isletme/on-kontrol/", data)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip", response.content[:300]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    read = lambda n: list(csv.reader(io.StringIO(archive.read(n).decode())))
    return read("gonderilebilir.csv"), read("gonderilemez.csv"), archive.read("ozet.txt").decode()


def test_a_csv_list_is_split_with_reasons_matching_may_i_send(client, owner, brand):
    _record(brand, "+905320000001", Status.ONAY)
    _record(brand, "+905320000002", Status.ONAY)
    _record(brand, "+905320000002", Status.RET, source=Source.HS_KARAR)
    client.force_login(owner)
    listing = "Telefon\n0532 000 00 01\n+905320000002\n05320000003\nnumara değil\n\n"
    allowed, refused, summary = _post(client, brand, listing.encode(), "liste.csv")
    # E.164's "+" would start a formula: the leading quote every export of ours writes (consents/spreadsheets.py).
    assert allowed[1:] == [["2", "0532 000 00 01", "'+905320000001", "ONAY", "Onaylı"]]
    assert [(r[0], r[3]) for r in refused[1:]] == [("3", "RET"), ("4", "NO_RECORD"), ("5", "INVALID")]
    assert "Satır: 4" in summary and "Gönderilebilir: 1" in summary
    # The same answers as may-I-send.
    answers = can_send_many(brand=brand, recipients=["+905320000001", "+905320000002", "+905320000003"],
                            recipient_type="BIREYSEL", channel="MESAJ")
    assert {r: (a.allowed, a.reason.value) for r, a in answers.items()} == {
        "+905320000001": (True, "ONAY"), "+905320000002": (False, "RET"), "+905320000003": (False, "NO_RECORD")
    }
    audit = CampaignCheck.objects.get()
    assert (audit.rows, audit.allowed, audit.refused, audit.invalid, audit.user) == (4, 1, 3, 1, owner)
    assert audit.finished_at is not None and Consent.objects.count() == 2  # nothing else stored


def test_an_xlsx_list_and_tacir_without_a_record(client, owner, brand):
    _record(brand, "+905330000001", Status.ONAY, recipient_type=RecipientType.TACIR)
    book = Workbook()
    sheet = book.active
    for value in ("alıcı", 905330000001, "0533 000 00 02"):
        sheet.append([value])
    content = io.BytesIO()
    book.save(content)
    client.force_login(owner)
    allowed, refused, _ = _post(client, brand, content.getvalue(), "liste.xlsx", recipient_type="TACIR")
    assert [(r[2], r[3]) for r in allowed[1:]] == [("'+905330000001", "ONAY"), ("'+905330000002", "TACIR_NO_RECORD")]
    assert refused[1:] == []


def test_only_own_brands_and_the_page_lists_recent_checks(client, owner, brand):
    other = factories.BrandFactory()
    client.force_login(owner)
    r = client.post("/isletme/on-kontrol/", {"brand": other.brand_code, "channel": "MESAJ",
                                             "recipient_type": "BIREYSEL",
                                             "file": SimpleUploadedFile("x.csv", b"+905320000001\n")})
    assert r.status_code == 200 and "brand" in r.context["form"].errors
    assert not CampaignCheck.objects.exists()
    _post(client, brand, b"+905320000001\n", "x.csv")
    page = client.get("/isletme/on-kontrol/").content.decode()
    assert "x.csv" in page and 'id="recent-prechecks"' in page


def test_a_citizens_own_rejection_is_named_with_its_moment(client, owner, brand):
    _record(brand, "+905370000001", Status.ONAY)
    _record(brand, "+905370000001", Status.RET, source=Source.IYS_WEB, actor=Actor.citizen(None, "Vatandaş"))
    client.force_login(owner)
    _allowed, refused, _ = _post(client, brand, b"+905370000001\n", "x.csv")
    assert refused[1][3] == "CITIZEN_REJECTED" and "reddetti" in refused[1][4]


def test_a_viewer_may_check_too(client, provider, brand):
    viewer = factories.MembershipFactory(provider=provider, role=Role.VIEWER).user
    client.force_login(viewer)
    _allowed, refused, _ = _post(client, brand, b"+905320000009\n", "x.csv")
    assert refused[1][3] == "NO_RECORD"


def test_a_list_entry_written_like_a_formula_comes_back_inert(client, owner, brand):
    client.force_login(owner)
    listing = "alıcı\n" + '"' + EVIL.replace('"', '""') + '"' + "\n=veli@example.com\n"
    _allowed, refused, _ = _post(client, brand, listing.encode(), "liste.csv", channel="EPOSTA")
    assert [r[1] for r in refused[1:]] == ["'" + EVIL, "'=veli@example.com"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in refused[1:] for cell in row)
