"""The API tokens page's forms: a new token (name, expiry, scopes) and revoking one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length

from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TokenForm(FlaskForm):
    name = StringField(_l("Name (what the token is for)"), filters=[_strip], validators=[
        DataRequired(message=REQUIRED), Length(max=100, message=_l("Too long: at most %(max)d characters.",
                                                                    max=100))])
    expires_on = DateField(_l("Valid until (at most a year)"), validators=[DataRequired(message=_l(
        "Give a date: day, month and year."))])
    scopes = MultiCheckboxField(_l("What the token may do"), validators=[DataRequired(message=_l(
        "Choose at least one scope."))])


class RevokeForm(FlaskForm):
    """Revoke a token (a button: the CSRF token is all it carries)."""
