"""`{{ user|display_name }}`: how every page names a person (full name, else username).

A template builtin (settings.TEMPLATES "builtins"), so no page needs `{% load %}` for it; the
rule itself is `perfmgmt.selectors.display_name`, shared with agendas and reminders.
"""

from __future__ import annotations

from django import template

from perfmgmt.selectors import display_name

register = template.Library()
register.filter("display_name", display_name)
