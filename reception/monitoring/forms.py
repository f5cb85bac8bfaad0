"""Monitors' forms: what was done about an item that needs attention, and the answer to a citizen's report."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from ..core.forms import REQUIRED, FlaskForm
from .models import ACTION_KIND_LABELS, AlertKind
from .services import ITEM_ACTIONS, MAX_ANSWER, MAX_NOTE

DAMAGED = _l("The form is damaged. Reload the page and send it again.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


class ActionForm(FlaskForm):
    """One item's form on the "needs attention" page: the item (hidden) and what was done."""

    kind = HiddenField(validators=[AnyOf([k.value for k in AlertKind if k is not AlertKind.ACCESS_REPORT],
                                         message=DAMAGED)])
    key = HiddenField(validators=[Regexp(r"^[bctr]\d+(-[bctr]\d+)*$", message=DAMAGED)])
    action = RadioField(_l("What was done"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    note = TextAreaField(_l("Note (required for a note; for a letter, its number and addressee)"),
                         filters=[_strip], validators=[_too_long(MAX_NOTE)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [(a.value, ACTION_KIND_LABELS[a]) for a in ITEM_ACTIONS]

    def validate_note(self, field):
        if self.action.data == "note" and not field.data:
            raise ValidationError(_l("Write the note."))


class AnswerForm(FlaskForm):
    """The answer to a citizen who reported a refused booking."""

    text = TextAreaField(_l("Your answer to the citizen"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(MAX_ANSWER)])
    # How many answers the monitor saw when the page was drawn (a second answer by another monitor is shown
    # first, not sent again). A damaged value is refused.
    seen = IntegerField(widget=HiddenInput(), validators=[InputRequired(message=DAMAGED),
                                                          NumberRange(min=0, message=DAMAGED)])
