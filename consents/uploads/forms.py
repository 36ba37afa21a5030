"""The upload form: brand, file, dry run or apply. Whole-file problems are refused here, before storing."""
from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from config.hygiene import TextSafeForm

from .parsing import EMPTY, UploadFileError, check_size, inspect_head


class UploadForm(TextSafeForm):
    MODE_DRY_RUN = "dry_run"
    MODE_APPLY = "apply"

    brand = forms.ChoiceField(label=_("Marka"))
    file = forms.FileField(
        label=_("Dosya (Excel .xlsx ya da CSV)"),
        help_text=_(
            "Sütunlar: alıcı, alıcı tipi, kanal, durum, izin tarihi, kaynak, isteğe bağlı bayi kodu (ya da "
            "İYS'nin adları: recipient, recipientType, type, status, consentDate, source, retailerCode). "
            "Excel'de ilk sayfa okunur; CSV UTF-8 veya Windows-1254, virgül ya da noktalı virgül."
        ),
        # A zero-byte file gets the same one message as any other empty file.
        error_messages={"empty": lazy(lambda: EMPTY.message, str)()},  # in each request's language
    )
    mode = forms.ChoiceField(
        label=_("İşlem"),
        choices=[
            (MODE_DRY_RUN, _("Deneme: yalnızca kontrol et, kaydetme")),
            (MODE_APPLY, _("Uygula: geçerli satırları kaydet")),
        ],
        initial=MODE_DRY_RUN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, brands: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.brands = {str(b.brand_code): b for b in brands}
        self.fields["brand"].choices = [(code, f"{b.name} ({code})") for code, b in self.brands.items()]
        self.fields["file"].widget.attrs["accept"] = (
            ".csv,.xlsx,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_brand(self) -> Any:
        return self.brands[self.cleaned_data["brand"]]

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        try:
            check_size(file.size)
            inspect_head(file, size=file.size)
        except UploadFileError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        finally:
            file.seek(0)
        return file

    @property
    def max_mb(self) -> int:
        return settings.UPLOAD_MAX_BYTES // (1024 * 1024)
