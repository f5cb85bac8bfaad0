"""Forms of outcomes and follow-up: the outcome with instructions, extension, reports, verdicts, contacts,
the citizen's rating and reports of refused bookings. Every message goes through gettext."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..accounts.forms import REQUIRED
from .models import ACCESS_REPORT_KIND_LABELS, OUTCOME_RESULT_LABELS, AccessReportKind, ContactChannel, OutcomeResult
from .services import APPEAL_TYPE_LABELS

DAMAGED = _l("The form is damaged. Reload the page and send it again.")
CONTACT_CHANNEL_LABELS = {ContactChannel.PHONE: _l("By phone"), ContactChannel.VISIT: _l("In person"),
                          ContactChannel.EMAIL: _l("By e-mail")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


class InstructionEntry(Form):
    """One instruction to a body (a row of the outcome form; a blank row is ignored)."""

    body_id = SelectField(_l("Responsible body"), coerce=int, validate_choice=True, validators=[Optional()])
    responsible_name = StringField(_l("Responsible person (name)"), filters=[_strip],
                                   validators=[Optional(), _too_long(200)])
    text = TextAreaField(_l("What must be done"), filters=[_strip], validators=[Optional(), _too_long(4000)])
    appeal_type = SelectField(_l("Type of appeal"), validate_choice=True)
    due_on = DateField(_l("Due date (leave empty for the usual term)"), validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not self.body_id.data and not self.responsible_name.data and not self.text.data

    def validate(self, extra_validators=None):
        if self.is_blank:
            return True  # an empty block: nothing to check
        if not super().validate(extra_validators):
            return False
        ok = True
        for field in (self.body_id, self.responsible_name, self.text):
            if not field.data:
                field.errors = list(field.errors) + [str(REQUIRED)]
                ok = False
        return ok

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.appeal_type.choices = [(k, v) for k, v in APPEAL_TYPE_LABELS.items()]


class OutcomeForm(FlaskForm):
    result = SelectField(_l("Result"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    grounds = TextAreaField(_l("Grounds (required for a refusal)"), filters=[_strip],
                            validators=[Optional(), _too_long(4000)])
    notes = TextAreaField(_l("What was said and decided"), filters=[_strip], validators=[Optional(), _too_long(4000)])
    instructions = FieldList(FormField(InstructionEntry), min_entries=2, max_entries=2)
    # The outcome's last change the form was built from ("" for a new outcome): a stale form is refused.
    seen = HiddenField(validators=[Optional(), Regexp(r"^[0-9T:.+\- ]{10,40}$", message=DAMAGED)])

    def set_body_choices(self, bodies) -> None:
        choices = [(0, "—")] + [(b.id, b.name) for b in bodies]
        for entry in self.instructions:
            entry.form.body_id.choices = choices

    def validate_grounds(self, field):
        if self.result.data == OutcomeResult.REFUSED.value and not field.data:
            raise ValidationError(str(_l("Give the grounds for the refusal.")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result.choices = [(r.value, label) for r, label in OUTCOME_RESULT_LABELS.items()]


class ExtendForm(FlaskForm):
    due_on = DateField(_l("New due date"), validators=[DataRequired(message=REQUIRED)])
    reason = TextAreaField(_l("Reasons for the extension"), filters=[_strip],
                           validators=[DataRequired(message=REQUIRED), _too_long(4000)])
    seen_due_on = HiddenField(validators=[DataRequired(message=DAMAGED),
                                          Regexp(r"^\d{4}-\d{2}-\d{2}$", message=DAMAGED)])


class ReportForm(FlaskForm):
    text = TextAreaField(_l("What your body has done"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(4000)])
    # The instruction's status the body saw: if the report was returned or accepted meanwhile, a stale form.
    seen_status = HiddenField(validators=[AnyOf(["open", "reported"], message=DAMAGED)])


class VerdictForm(FlaskForm):
    verdict = RadioField(_l("Your decision"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    note = TextAreaField(_l("Note to the body (required when you return the report)"), filters=[_strip],
                         validators=[Optional(), _too_long(4000)])
    report_id = HiddenField(validators=[DataRequired(message=DAMAGED), Regexp(r"^\d{1,9}$", message=DAMAGED)])

    def validate_note(self, field):
        if self.verdict.data == "returned" and not field.data:
            raise ValidationError(str(_l("Say why the report is returned.")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdict.choices = [("accepted", _l("Accept: the instruction is done")),
                                ("returned", _l("Return to the body with a note"))]


class ContactForm(FlaskForm):
    channel = SelectField(_l("How you contacted the citizen"), validate_choice=True)
    confirmed = SelectField(_l("Did the citizen confirm what the body reports?"), validate_choice=True)
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[Optional(), _too_long(4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [(c.value, label) for c, label in CONTACT_CHANNEL_LABELS.items()]
        self.confirmed.choices = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", _l("Could not say"))]


class RatingForm(FlaskForm):
    score = RadioField(_l("Your mark"), coerce=int, validate_choice=True,
                       validators=[DataRequired(message=REQUIRED), NumberRange(1, 5)])
    comment = TextAreaField(_l("Comment (if you wish)"), filters=[_strip], validators=[Optional(), _too_long(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.score.choices = [(5, _l("5 — very good")), (4, _l("4 — good")), (3, _l("3 — fair")),
                              (2, _l("2 — poor")), (1, _l("1 — very poor"))]


class AccessReportForm(FlaskForm):
    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    official_id = SelectField(_l("Official (if you know)"), coerce=int, validate_choice=True,
                              validators=[Optional()])
    kind = RadioField(_l("What happened"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    text = TextAreaField(_l("Tell us what happened"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, label) for k, label in ACCESS_REPORT_KIND_LABELS.items()]


class ReviewForm(FlaskForm):
    # What the monitor saw: a report not yet reviewed. A damaged value is refused.
    seen = HiddenField(default="new", validators=[AnyOf(["new"], message=DAMAGED)])


__all__ = ["AccessReportForm", "AccessReportKind", "ContactForm", "ExtendForm", "OutcomeForm", "RatingForm",
           "ReportForm", "ReviewForm", "VerdictForm"]
