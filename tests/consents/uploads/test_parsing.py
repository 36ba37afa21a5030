"""Reading uploaded CSV files: encodings, separators, header aliases, and whole-file refusals."""
from __future__ import annotations

import io

import pytest

from consents.uploads.parsing import UploadFileError, fold_header, inspect_head, open_csv


def rows_of(data: bytes) -> tuple[object, list[tuple[int, list[str]]]]:
    parsed = open_csv(io.BytesIO(data), size=len(data))
    rows = []
    for row in parsed.reader:
        if any(cell.strip() for cell in row):
            rows.append((parsed.line_num, row))
    return parsed, rows


def refusal(data: bytes, **kwargs: object) -> UploadFileError:
    with pytest.raises(UploadFileError) as caught:
        inspect_head(io.BytesIO(data), size=kwargs.get("size", len(data)))  # type: ignore[arg-type]
    return caught.value


TURKISH_HEADER = "Alıcı;Alıcı Tipi;İzin Tipi;Durum;İzin Tarihi;Kaynak;Bayi Kodu"
TURKISH_ROW = "0532 123 45 67;BIREYSEL;MESAJ;ONAY;2024-01-02 10:00:00;HS_WEB;"


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", False), ("utf-8", True), ("cp1254", False)],
    ids=["utf8", "utf8-bom", "windows-1254"],
)
def test_turkish_headers_in_every_accepted_encoding(encoding: str, bom: bool) -> None:
    data = (TURKISH_HEADER + "\r\n" + TURKISH_ROW + "\r\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    parsed, rows = rows_of(data)
    assert parsed.layout.delimiter == ";"
    assert parsed.layout.columns == {
        "recipient": 0, "recipientType": 1, "type": 2, "status": 3, "consentDate": 4, "source": 5,
        "retailerCode": 6,
    }
    assert parsed.layout.encoding == ("cp1254" if encoding == "cp1254" else "utf-8")
    assert rows == [(2, ["0532 123 45 67", "BIREYSEL", "MESAJ", "ONAY", "2024-01-02 10:00:00", "HS_WEB", ""])]


def test_windows_1254_detected_even_when_the_first_turkish_letter_comes_late() -> None:
    header = "recipient,recipientType,type,status,consentDate,source\n"
    ascii_rows = "".join(f"ali{i}@example.com,BIREYSEL,EPOSTA,ONAY,2024-01-02 10:00:00,HS_WEB\n" for i in range(3000))
    late = "şule@örnek.com,BIREYSEL,EPOSTA,ONAY,2024-01-02 10:00:00,HS_WEB\n"
    data = (header + ascii_rows + late).encode("cp1254")
    assert len(data) > 128 * 1024  # well past the first block
    parsed, rows = rows_of(data)
    assert len(rows) == 3001
    assert rows[-1][1][0] == "şule@örnek.com"  # decoded, not mangled
    assert parsed.lines.encoding == "cp1254"


def test_english_headers_with_comma_case_spaces_and_extra_columns() -> None:
    data = (
        b" RECIPIENT , Recipient Type ,TYPE,status,consent_date,Source,notes,retailer code\n"
        b"+905321234567,TACIR,ARAMA,RET,2024-01-02 10:00:00,HS_KARAR,free text,20000001\n"
    )
    parsed, rows = rows_of(data)
    assert parsed.layout.delimiter == ","
    assert parsed.layout.columns == {
        "recipient": 0, "recipientType": 1, "type": 2, "status": 3, "consentDate": 4, "source": 5,
        "retailerCode": 7,
    }
    assert rows[0][1][7] == "20000001"


def test_blank_lines_leading_blank_lines_and_excel_separator_hint() -> None:
    data = (
        b"\n\nsep=;\n"
        b"recipient;recipientType;type;status;consentDate;source\n"
        b"\n"
        b"0532 123 45 67 ;BIREYSEL ;MESAJ;ONAY ;2024-01-02 10:00:00 ;HS_WEB   \n"
        b"   \n"
        b";;;;;\n"
        b"ali@example.com;BIREYSEL;EPOSTA;ONAY;2024-01-02 10:00:00;HS_WEB"  # no final newline
    )
    parsed, rows = rows_of(data)
    assert parsed.layout.header_line == 4
    assert [line for line, _ in rows] == [6, 9]  # line numbers as the file shows them
    assert rows[1][1][0] == "ali@example.com"


def test_fold_header_is_case_space_and_turkish_letter_insensitive() -> None:
    assert fold_header("  İZİN TARİHİ ") == "izintarihi"
    assert fold_header("alıcı_tipi") == "alicitipi"
    assert fold_header("\ufeffRecipient") == "recipient"


def test_empty_file_is_refused_with_one_message() -> None:
    for data in (b"", b"   \r\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"):
        error = refusal(data)
        assert error.code == "empty"
        assert "Dosya boş" in error.message_tr and "The file is empty" in error.message_en


def test_header_without_rows_counts_as_empty() -> None:
    error = refusal(b"recipient,recipientType,type,status,consentDate,source\n\n\n")
    assert error.code == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200,  # an old .xls
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        "recipient,status\n".encode("utf-16"),
        bytes(range(256)) * 4,
    ],
    ids=["xls", "pdf", "utf16", "random-bytes"],
)
def test_binary_file_is_refused(data: bytes) -> None:
    error = refusal(data)
    assert error.code == "binary"
    assert "CSV metin dosyası ya da Excel (.xlsx) çalışma kitabı değil" in error.message_tr
    assert "neither a CSV text file nor an Excel (.xlsx) workbook" in error.message_en


def test_a_zip_that_is_no_workbook_is_refused_as_a_broken_xlsx() -> None:
    error = refusal(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200)
    assert error.code == "not_xlsx"
    assert "Excel (.xlsx) çalışma kitabı değil" in error.message_tr


def test_no_recognisable_header_is_refused_naming_what_was_found() -> None:
    error = refusal(b"+905321234567,BIREYSEL,MESAJ,ONAY,2024-01-02 10:00:00,HS_WEB\n")
    assert error.code == "no_header"
    assert "Başlık satırı tanınmadı" in error.message_tr
    assert "+905321234567" in error.message_tr  # tells what the first line held
    assert "No recognisable header" in error.message_en


def test_header_missing_required_columns_is_refused() -> None:
    error = refusal(b"recipient;consentDate;source\n+905321234567;2024-01-02 10:00:00;HS_WEB\n")
    assert error.code == "missing_columns"
    assert "recipientType, type, status" in error.message_tr


def test_file_over_the_size_limit_is_refused_before_reading(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    data = b"recipient,recipientType,type,status\n" + b"+905321234567,BIREYSEL,MESAJ,ONAY\n" * 100
    error = refusal(data)
    assert error.code == "too_large"
    assert "Dosya çok büyük" in error.message_tr and "too large" in error.message_en


def test_windows_1254_letter_split_across_read_blocks_is_kept() -> None:
    from consents.uploads.parsing import BLOCK_SIZE, SAMPLE_SIZE

    header = "recipient,recipientType,type,status,consentDate,source\n"
    filler = "x" * (SAMPLE_SIZE - len(header) - 1)  # the 'ç' is the last byte of the first block read
    data = (header + filler + "ç\nÇAĞRI,BIREYSEL,MESAJ,ONAY,,\n").encode("cp1254")
    assert data[SAMPLE_SIZE - 1] == "ç".encode("cp1254")[0] and BLOCK_SIZE > 0
    parsed, rows = rows_of(data)
    assert rows[0][1][0].endswith("ç") and rows[1][1][0] == "ÇAĞRI"
