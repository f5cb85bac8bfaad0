"""The forms' bases (reception.core.forms.FlaskForm and Form): wtforms' own messages in each request's language,
and selects rendered as wtforms renders them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import wtforms.widgets as wtforms_widgets
from flask import request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Form as WtformsForm
from wtforms import IntegerField, SelectField, SelectMultipleField
from wtforms.widgets import core as widgets_core

import reception
from reception.core.forms import WTFORMS_HTML_PARAMS, FlaskForm, Form, html_params


class _CountForm(FlaskForm):
    count = IntegerField()

    class Meta:
        csrf = False


class _GetCountForm(Form):
    count = IntegerField()


@pytest.mark.parametrize("form_class", [_CountForm, _GetCountForm])
def test_wtforms_own_messages_follow_each_requests_language(app, form_class):
    """The catalogs are read once per language and kept: a request in one language never gets another's. The
    same for the forms without CSRF (a GET page's filters), which wtforms alone would answer in English."""
    expected = {"ru": "Неверное целое число.", "kk": "Жарамды бүтін сан мәні емес.",
                "en": "Not a valid integer value."}
    for language in ("ru", "kk", "en", "ru", "kk"):
        with app.test_request_context("/", method="POST", data={"count": "many"},
                                      headers={"Accept-Language": language}):
            form = form_class() if form_class is _CountForm else form_class(request.form)
            assert not form.validate()
            assert form.count.errors == [expected[language]]


@pytest.mark.parametrize("language,expected", [("ru", "Неверное значение даты."), ("kk", "Жарамды күн мәні емес.")])
def test_the_public_search_answers_a_wrong_date_in_the_citizens_language(client, db, language, expected):
    page = client.get("/reception/?date_from=2026-13-45", headers={"Accept-Language": language})
    assert page.status_code == 422
    assert expected in page.get_data(as_text=True)


class _Choices(WtformsForm):
    one = SelectField()
    many = SelectMultipleField()
    flag = SelectField(coerce=lambda v: v in (True, "True"))
    grouped = SelectField()


class _FastChoices(_Choices, Form):
    pass


def _with_choices(form):
    """Choices set at run time, as the app's views set them."""
    form.one.choices = [("", "Any"), ("a&b", 'Tom & "Jerry" <x>'), ("2", "два"), (3, "")]
    form.many.choices = [("1", "one"), ("2", "<two>"), ("3", "three")]
    form.flag.choices = [(True, "yes"), (False, "no")]
    form.grouped.choices = {"Group <1>": {"x": "X"}, "Group 2": {"y": "Y & Z"}}
    return form


@pytest.mark.parametrize("data", [{}, {"one": "a&b", "many": ["2", "3"], "flag": "True", "grouped": "y"}])
def test_selects_render_as_wtforms_renders_them(app, data):
    """The faster select of the app's forms writes byte for byte what wtforms' own select writes."""
    from werkzeug.datastructures import MultiDict

    with app.test_request_context("/"):
        plain, fast = _with_choices(_Choices(MultiDict(data))), _with_choices(_FastChoices(MultiDict(data)))
        for name in ("one", "many", "flag", "grouped"):
            assert str(fast[name](class_="wide")) == str(plain[name](class_="wide"))
            assert str(fast[name]()) == str(plain[name]())
            assert type(fast[name].widget) is not type(plain[name].widget)  # two renderers compared
        assert 'selected value="a&amp;b"' in str(fast.one()) if data else "selected" not in str(fast.one())


def test_every_form_of_the_app_uses_this_base():
    """A form built on Flask-WTF's own class would read the wtforms catalog from disk on every request again."""
    root = Path(reception.__file__).parent
    direct = [str(path.relative_to(root)) for path in root.rglob("*.py")
              if path.name != "forms.py" or path.parent.name != "core"
              if re.search(r"^from flask_wtf import .*\bFlaskForm\b", path.read_text(), re.MULTILINE)]
    assert direct == []


def test_every_form_without_csrf_uses_this_base():
    """wtforms' own Form answers in English: a form without CSRF is built on reception.core.forms.Form."""
    root = Path(reception.__file__).parent
    direct = [str(path.relative_to(root)) for path in root.rglob("*.py")
              if path.name != "forms.py" or path.parent.name != "core"
              if re.search(r"^from wtforms import (\(\n(    \w+,\n)*    Form,$|.*\bForm\b)", path.read_text(),
                           re.MULTILINE)]
    assert direct == []


@pytest.mark.parametrize("attributes", [
    {}, {"name": "text1", "id": "f", "class_": "text"}, {"checked": True, "readonly": False, "abc": "hello"},
    {"data_user_name": "a.b", "aria_describedby": "x-hint x-error", "for_": "topic_id"},
    {"value": 'Tom & "Jerry" <x>', "placeholder": "Аты-жөні"}, {"value": 3, "maxlength": 4000},
    {"title": Markup('<b>"bold"</b>'), "required": True}, {"value": _l("This field is required.")},
])
def test_widget_attributes_are_written_as_wtforms_writes_them(app, attributes):
    """Every widget's attributes come from the faster html_params, byte for byte what wtforms' own writes."""
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        fast, plain = html_params(**attributes), WTFORMS_HTML_PARAMS(**attributes)
        assert fast == plain and isinstance(fast, Markup)


def test_every_widget_writes_its_attributes_with_the_faster_html_params():
    """Inputs and buttons keep html_params as a static method, labels take it from the package: all are
    the app's."""
    import wtforms.widgets

    assert widgets_core.html_params is wtforms.widgets.html_params is html_params
    assert widgets_core.Input.html_params is widgets_core.Button.html_params is html_params


def test_a_whole_form_renders_as_with_wtforms_own_attributes(app, monkeypatch):
    """A page's form (labels, inputs, radios, text areas, selects with errors) is the same HTML either way."""
    from reception.booking.forms import BookingForm

    def rendered():
        with app.test_request_context("/", method="POST", data={"summary": 'a "b" & <c>', "format": "x"}):
            form = BookingForm(meta={"csrf": False})
            form.format.choices = [("in_person", "In person"), ("video_studio", "Video <studio>")]
            form.topic_id.choices, form.studio_id.choices = [(1, "Land")], [(0, "—"), (2, 'Studio "A"')]
            form.validate()
            return "".join(str(f.label()) + str(f(class_="wide", aria_invalid="true")) for f in form)

    fast = rendered()
    for owner in (widgets_core, widgets_core.Input, widgets_core.Button, wtforms_widgets):
        monkeypatch.setattr(owner, "html_params", staticmethod(WTFORMS_HTML_PARAMS) if isinstance(owner, type)
                            else WTFORMS_HTML_PARAMS)
    assert widgets_core.Input.html_params is WTFORMS_HTML_PARAMS
    assert fast == rendered()
    assert 'aria-invalid="true" class="wide" id="summary" maxlength="4000" name="summary" required>' in fast
    assert 'Studio &#34;A&#34;' in fast
