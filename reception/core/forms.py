"""Form pieces every area's forms share."""
from __future__ import annotations

from functools import cache

import wtforms.widgets
from babel import support
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from markupsafe import Markup, escape
from wtforms import Form as _Form
from wtforms import SelectMultipleField
from wtforms.i18n import messages_path
from wtforms.widgets import CheckboxInput, ListWidget, Select
from wtforms.widgets import core as _widgets

from .i18n import current_locale

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@cache
def _wtforms_messages(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


WTFORMS_HTML_PARAMS = _widgets.html_params


def html_params(**kwargs) -> Markup:
    """wtforms' ``html_params`` (every widget's attributes: ``class="wide" id="topic_id" name="topic_id"``),
    the same text made with plain string formatting. Its ``Markup.format`` per attribute ran a
    ``string.Formatter`` each time: a tenth of the CPU of the booking form's page."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = str(escape(_widgets.clean_key(key)))
        if value is True:
            params.append(key)
        elif value is not False:
            value = str(escape(value))
            params.append(f'{key}="{value.replace(chr(34), "&quot;") if chr(34) in value else value}"')
    return Markup(" ".join(params))


# Where wtforms' widgets find it: their module (selects, text areas, lists), the package (labels), and the
# classes that keep it as a static method (every <input>, buttons).
_widgets.html_params = wtforms.widgets.html_params = html_params
_widgets.Input.html_params = _widgets.Button.html_params = staticmethod(html_params)


class _Select(Select):
    """wtforms' select with the same HTML, its plain options written without ``html_params`` (a
    ``Markup.format`` per attribute, and a search page has seventy options: a tenth of its CPU)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


_SELECTS = {False: _Select(), True: _Select(multiple=True)}


class _Localized:
    """Meta of every form: wtforms' own messages ("Not a valid date value.") in the page's language, from a
    catalog read once per language, and the plain selects rendered by :class:`_Select`."""

    def get_translations(self, form):
        locale = current_locale()
        return _wtforms_messages(str(locale)) if locale else None

    def render_field(self, field, render_kw):
        if type(field.widget) is Select:
            field.widget = _SELECTS[field.widget.multiple]
        return super().render_field(field, render_kw)


class _SignedWhenShown:
    """A form's CSRF token, signed when the form is rendered (``str`` or ``__html__``), not when it is built."""

    __slots__ = ("_sign",)

    def __init__(self, sign):
        self._sign = sign

    def __str__(self) -> str:
        return self._sign()

    __html__ = __str__


class _CSRF(_FlaskForm.Meta.csrf_class):
    """Flask-WTF's CSRF check unchanged; the token for the form's hidden field is signed only if the form is shown.
    A valid POST that redirects (a booking) never shows it, and signing it was 2 % of a booking's CPU."""

    def generate_csrf_token(self, csrf_token_field):
        return _SignedWhenShown(lambda: super(_CSRF, self).generate_csrf_token(csrf_token_field))


class FlaskForm(_FlaskForm):
    """Flask-WTF's form (CSRF and all), localized (:class:`_Localized`): Flask-WTF itself reads the wtforms
    catalog from disk on every request, which was a twentieth of a booking's CPU. Its CSRF token is signed
    when the form is rendered (:class:`_CSRF`)."""

    class Meta(_Localized, _FlaskForm.Meta):
        csrf_class = _CSRF


class Form(_Form):
    """A form without CSRF (a GET page's filters, a row inside another form), localized like
    :class:`FlaskForm`: wtforms' own form speaks English whatever the page's language."""

    class Meta(_Localized):
        pass
