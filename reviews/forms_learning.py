"""The form of the learning loop (a module of its own while reviews/forms.py has its design
pass): why a KPI missed its period's target, and what happens next."""

from __future__ import annotations

from django import forms

from reviews.models import MissCause


class MissReasonForm(forms.Form):
    period_start = forms.DateField(widget=forms.HiddenInput)
    cause = forms.ChoiceField(
        choices=MissCause.choices,
        widget=forms.RadioSelect,
        label="Why was the target missed?",
    )
    next_step = forms.CharField(
        max_length=2000,
        label="Next step",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happens next, and by when.",
    )
