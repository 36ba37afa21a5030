"""Forms of the business portal (sign-in, brands, dealers, intermediary authorisations)."""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class PortalAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Kullanıcı adı ya da parola hatalı. Büyük/küçük harfe dikkat ederek yeniden deneyin."),
        "inactive": _("Bu hesap devre dışı bırakılmış."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
