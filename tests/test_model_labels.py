"""Admin headers and form labels come from verbose names: a plain or missing one shows the field's English
name ("CREATED AT"), and one starting with a lowercase i becomes a dotless "I" through Django's capfirst."""
from __future__ import annotations

from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise


def test_every_model_label_is_translatable():
    ours = [cfg for cfg in apps.get_app_configs() if cfg.name in {"providers", "consents", "citizens"}]
    untranslated = []
    for cfg in ours:
        for model in cfg.get_models():
            for text in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if not isinstance(text, Promise):
                    untranslated.append(f"{model.__name__}: {text}")
            for fld in model._meta.get_fields():
                if fld.concrete and not fld.auto_created and not isinstance(fld.verbose_name, Promise):
                    untranslated.append(f"{model.__name__}.{fld.name}: {fld.verbose_name}")
    assert not untranslated, "\n".join(untranslated)


def test_no_label_starts_with_a_lowercase_i():
    """capfirst("izin") is "Izin" in Python; Turkish labels starting with i are written with İ."""
    ours = [cfg for cfg in apps.get_app_configs() if cfg.name in {"providers", "consents", "citizens"}]
    dotless = []
    with translation.override("tr"):
        labels = [(model, _labels_of(model)) for cfg in ours for model in cfg.get_models()]
    for model, texts in labels:
        dotless += [f"{model.__name__}: {text}" for text in texts if text.startswith("i")]
    assert not dotless, "\n".join(dotless)


def _labels_of(model: type) -> list[str]:
    texts = [model._meta.verbose_name, model._meta.verbose_name_plural]
    texts += [fld.verbose_name for fld in model._meta.get_fields() if fld.concrete and not fld.auto_created]
    return [str(text) for text in texts]

