"""Forms of legal review: the flag, the opinion, attachments, free consultations."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import REQUIRED, FlaskForm
from .models import ADDRESSEE_LABELS, Addressee


def addressee_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(a.value, str(ADDRESSEE_LABELS[a])) for a in Addressee]
TEXT_MAX = 20000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


class FlagForm(FlaskForm):
    reason = TextAreaField(_l("What should the legal consultant examine?"), filters=[_strip],
                           validators=[DataRequired(message=REQUIRED), _too_long(4000)])


class ButtonForm(FlaskForm):
    """A button: only the CSRF token."""


class OpinionForm(FlaskForm):
    findings = TextAreaField(_l("Findings"), filters=[_strip], validators=[Optional(), _too_long(TEXT_MAX)])
    assessment = TextAreaField(_l("Legal assessment"), filters=[_strip], validators=[Optional(), _too_long(TEXT_MAX)])
    conclusion = TextAreaField(_l("Conclusion"), filters=[_strip], validators=[Optional(), _too_long(TEXT_MAX)])
    recommended_action = TextAreaField(_l("Recommended action"), filters=[_strip],
                                       validators=[Optional(), _too_long(TEXT_MAX)])
    addressee = SelectField(_l("Addressee"), validate_choice=True, validators=[Optional()])
    addressee_body_id = SelectField(_l("Executive body (for a central or local executive body)"), coerce=int,
                                    validate_choice=True, validators=[Optional()])
    addressee_detail = StringField(_l("Which court decision (for a review of a court decision)"), filters=[_strip],
                                   validators=[Optional(), _too_long(300)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, JPEG, PNG or DOCX)"), validators=[FileRequired(message=REQUIRED)])


class ConsultationForm(FlaskForm):
    given_on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date, for example 2026-03-15."))])
    topic_id = SelectField(_l("Topic"), coerce=int, validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    summary = TextAreaField(_l("In brief: the question and the advice given"), filters=[_strip],
                            validators=[DataRequired(message=REQUIRED), _too_long(2000)])
    appointment_id = SelectField(_l("At the reception (optional)"), coerce=int, validate_choice=True,
                                 validators=[Optional()])
