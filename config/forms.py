"""The project's form renderer: every form and field renders through templates/forms/, so each field's help
text and error list carry the ids Django's own aria-describedby points at (id_<field>_helptext,
id_<field>_error), and error lists sit in a live region that keeps their list semantics."""
from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    # TemplatesSetting reads the project's TEMPLATES (templates/forms/ here, Django's own through the
    # django.forms app) instead of a private engine that cannot see templates/.
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
