"""The forms' base (reception.core.forms.FlaskForm): wtforms' own messages in each request's language."""
from __future__ import annotations

import re
from pathlib import Path

from wtforms import IntegerField

import reception
from reception.core.forms import FlaskForm


class _CountForm(FlaskForm):
    count = IntegerField()

    class Meta:
        csrf = False


def test_wtforms_own_messages_follow_each_requests_language(app):
    """The catalogs are read once per language and kept: a request in one language never gets another's."""
    expected = {"ru": "Неверное целое число.", "kk": "Жарамды бүтін сан мәні емес.",
                "en": "Not a valid integer value."}
    for language in ("ru", "kk", "en", "ru", "kk"):
        with app.test_request_context("/", method="POST", data={"count": "many"},
                                      headers={"Accept-Language": language}):
            form = _CountForm()
            assert not form.validate()
            assert form.count.errors == [expected[language]]


def test_every_form_of_the_app_uses_this_base():
    """A form built on Flask-WTF's own class would read the wtforms catalog from disk on every request again."""
    root = Path(reception.__file__).parent
    direct = [str(path.relative_to(root)) for path in root.rglob("*.py")
              if path.name != "forms.py" or path.parent.name != "core"
              if re.search(r"^from flask_wtf import .*\bFlaskForm\b", path.read_text(), re.MULTILINE)]
    assert direct == []
