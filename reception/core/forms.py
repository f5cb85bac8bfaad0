"""Form pieces every area's forms share."""
from __future__ import annotations

from functools import cache

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import SelectMultipleField
from wtforms.i18n import messages_path
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@cache
def _wtforms_messages(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class FlaskForm(_FlaskForm):
    """Flask-WTF's form (CSRF and all), with wtforms' own messages ("Not a valid integer value") in the
    page's language from a catalog read once per language: Flask-WTF reads it from disk on every request,
    which was a twentieth of a booking's CPU."""

    class Meta(_FlaskForm.Meta):
        def get_translations(self, form):
            locale = get_locale()
            return _wtforms_messages(str(locale)) if locale else None
