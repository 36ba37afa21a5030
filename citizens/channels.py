"""Which channels an address reaches and how citizens' pages name them (shared by optout/ and complaints/)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from consents.recipients import EMAIL, PHONE
from providers.models import Channel

CHANNELS_FOR_KIND: dict[str, tuple[str, ...]] = {
    PHONE: (Channel.MESAJ, Channel.ARAMA),
    EMAIL: (Channel.EPOSTA,),
}

CHANNEL_LABELS = {
    Channel.MESAJ: _("SMS (kısa mesaj)"),
    Channel.ARAMA: _("Sesli arama"),
    Channel.EPOSTA: _("E-posta"),
}
