"""The upload's examples and templates: Turkish headers, what each column takes, rows accepted today.

The example rows are dated an hour before the moment they are made, so the example on the upload
page and the rows of a downloaded template pass the three-business-day rule on the day they are
shown or downloaded (a fixed date would be refused with H467 a few days later).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import IO, Any

from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from consents.people import CHANNELS, RECIPIENT_TYPES, SOURCES, STATUSES

HEADER = ["Alıcı", "Alıcı tipi", "Kanal", "Durum", "İzin tarihi", "Kaynak", "Bayi kodu"]
DATE_FORMAT = "%d.%m.%Y %H:%M"

# (column, needed?, what it takes) — the help sheet of the .xlsx template (in Turkish) and the upload page.
HELP: list[tuple[Any, Any, Any]] = [
    (_("Alıcı"), _("Zorunlu"),
     _("Telefon numarası (her yazım: 0532 123 45 67, 5321234567, +90 532 …) ya da e-posta adresi.")),
    (_("Alıcı tipi"), _("Zorunlu"),
     format_lazy(_("{words}. Büyük/küçük harf fark etmez."), words=RECIPIENT_TYPES.allowed_tr)),
    (_("Kanal"), _("Zorunlu"),
     format_lazy(_("{words}. E-posta kanalında alıcı bir e-posta adresidir."), words=CHANNELS.allowed_tr)),
    (_("Durum"), _("Zorunlu"), format_lazy(_("{words}. İlk kayıt Ret olamaz."), words=STATUSES.allowed_tr)),
    (_("İzin tarihi"), _("Bireysel için zorunlu"),
     _("30.11.2026 14:30, 30/11/2026, 30.11.2026 14:30:05 ya da 2026-11-30 14:30:00 (Türkiye saati); "
       "Excel'in tarih hücreleri de olur. Son üç iş günü içinde olmalıdır; daha eskiler yalnızca açık bir "
       "beyan döneminde kaydedilir.")),
    (_("Kaynak"), _("Bireysel için zorunlu"), format_lazy(_("Kodu ya da adı: {words}."), words=SOURCES.allowed_tr)),
    (_("Bayi kodu"), _("İsteğe bağlı"), _("İzni bir bayiniz topladıysa onun 8 haneli İYS numarası.")),
]
NOTE = _(
    "Yükleme yalnızca ilk sayfayı okur; boş satırlar atlanır. Sütun adları Türkçe ya da İYS'nin "
    "(recipient, recipientType, type, status, consentDate, source, retailerCode) olabilir."
)


def example_rows(now: dt.datetime | None = None) -> list[list[str]]:
    """Three rows that the upload accepts on the day they are made (Turkish spellings, a date an hour ago)."""
    moment = timezone.localtime(now or timezone.now()) - dt.timedelta(hours=1)
    date = moment.strftime(DATE_FORMAT)
    return [
        ["0532 123 45 67", "Bireysel", "SMS", "Onay", date, "Web sitesi", ""],
        ["ornek@example.com", "Bireysel", "E-posta", "Onay", date, "HS_EPOSTA", ""],
        ["0212 555 00 00", "Tacir", "Arama", "Onay", date, "Çağrı merkezi", ""],
    ]


def template_csv(now: dt.datetime | None = None) -> bytes:
    """The CSV template: UTF-8 with BOM and ";" (what Turkish Excel opens as columns)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(example_rows(now))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_template_xlsx(target: IO[bytes], now: dt.datetime | None = None) -> None:
    """The .xlsx template: the rows sheet first (what the upload reads), then a help sheet it ignores."""
    book = Workbook()
    sheet = book.active
    sheet.title = "İzinler"
    sheet.append(HEADER)
    for row in example_rows(now):
        recipient, rtype, channel, status, date, source, retailer = row
        moment = dt.datetime.strptime(date, DATE_FORMAT)
        sheet.append([recipient, rtype, channel, status, moment, source, retailer or None])
        sheet.cell(row=sheet.max_row, column=5).number_format = "dd.mm.yyyy hh:mm"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (22, 12, 12, 10, 18, 18, 12)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    help_sheet = book.create_sheet("Yardım")
    with translation.override("tr"):  # the template is the Turkish office's document
        help_sheet.append(["Sütun", "Gerekli mi", "Ne yazılır"])
        for entry in HELP:
            help_sheet.append([str(text) for text in entry])
        help_sheet.append([])
        help_sheet.append(["Not", "", str(NOTE)])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["B"].width = 22
    help_sheet.column_dimensions["C"].width = 120
    book.save(target)
