"""How every form in the project renders: one field template, one form template.

Forms rendered with `{{ form }}` or `{{ field.as_field_group }}` get templates/forms/form.html
and templates/forms/field.html (label above the control, hint and error below it and tied to
it); Django's own widget templates stay as they are (TemplatesSetting finds them through the
django.forms app).
"""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
