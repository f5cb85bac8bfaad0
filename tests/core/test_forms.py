"""The forms' base (reception.core.forms.FlaskForm): wtforms' own messages in each request's language."""
from __future__ import annotations

from wtforms import IntegerField

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
