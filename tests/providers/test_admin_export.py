"""The admin's import-export downloads: names typed by businesses come out inert in every format."""
from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin
from openpyxl import load_workbook

from providers.admin import NeutralisedExportResource
from tests import factories
from tests.consents.test_spreadsheets import EVIL

pytestmark = pytest.mark.django_db


def _export_raw(admin_client, model_name: str, format_name: str) -> bytes:
    url = reverse(f"admin:providers_{model_name}_export")
    form = admin_client.get(url).context["form"]
    [format_index] = [value for value, label in form.fields["format"].choices if label == format_name]
    data = {"resource": "0", "format": format_index}
    data.update({name: "on" for name in form.fields if name not in ("resource", "format", "export_items")})
    response = admin_client.post(url, data)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    return response.content


def _export(admin_client, model_name: str, format_name: str) -> str:
    return _export_raw(admin_client, model_name, format_name).decode("utf-8-sig")


def test_every_import_export_admin_uses_the_neutralising_resource():
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, ExportMixin):
            for resource in model_admin.get_export_resource_classes(None):
                assert issubclass(resource, NeutralisedExportResource), resource


@pytest.mark.parametrize(("format_name", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_brand_dealer_and_provider_named_like_a_formula_export_as_text(admin_client, format_name, delimiter):
    provider = factories.ProviderFactory(name=EVIL)
    brand = factories.BrandFactory(provider=provider, name=EVIL)
    factories.RetailerFactory(brand=brand, name=EVIL, city="-Ankara")
    for model_name, columns in (("provider", ["name"]), ("brand", ["name"]), ("retailer", ["name", "city"])):
        text = _export(admin_client, model_name, format_name)
        [row] = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
        for column in columns:
            assert row[column][0] == "'", (model_name, column, row[column])
        assert row["name"] == "'" + EVIL


def test_json_export_carries_the_same_neutralised_text(admin_client):
    factories.BrandFactory(name=EVIL)
    assert '"name": "\'=HYPERLINK(' in _export(admin_client, "brand", "json")


def test_xlsx_export_holds_the_name_as_a_text_cell(admin_client):
    factories.BrandFactory(name=EVIL)
    sheet = load_workbook(io.BytesIO(_export_raw(admin_client, "brand", "xlsx"))).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("name") + 1)
    assert cell.data_type == "s" and cell.value == "'" + EVIL
