"""Forms of the reception itself: a body's answer, inviting a body, the day board's buttons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..core.forms import FlaskForm
from .services import MAX_REASON, Step, invitable_bodies

DAMAGED = _l("The form is damaged. Reload the page and send it again.")
REASON_TOO_LONG = _l("Please keep the reason shorter (at most %(max)d characters).", max=MAX_REASON)


class InvitationResponseForm(FlaskForm):
    """A body's answer: who attends, or why nobody can."""

    answer = RadioField(_l("Your answer"), validate_choice=True,
                        choices=lambda: [("accept", _l("We will attend")), ("decline", _l("We cannot attend"))],
                        validators=[DataRequired(message=_l("Choose your answer."))])
    attendee_id = SelectField(_l("Who attends"), coerce=int, validate_choice=True, validators=[Optional()])
    reason = TextAreaField(_l("Why your body cannot attend"), validators=[Optional(), Length(max=MAX_REASON,
                                                                                            message=REASON_TOO_LONG)])


class InviteBodyForm(FlaskForm):
    """The official's side invites another body."""

    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True,
                          validators=[DataRequired(message=_l("Choose a body."))])
    required = BooleanField(_l("Its attendance is required"), default=True)


class BoardStepForm(FlaskForm):
    """One button of the day board; the step is the button pressed."""

    step = HiddenField(validators=[AnyOf(Step.ALL, message=DAMAGED)])


class SessionStatusForm(FlaskForm):
    """Mark a session held or not held (with a reason)."""

    held = RadioField(_l("The session"), validate_choice=True,
                      choices=lambda: [("held", _l("was held")), ("not_held", _l("was not held"))],
                      validators=[DataRequired(message=_l("Choose whether the session was held."))])
    reason = TextAreaField(_l("Reason (needed when it was not held)"),
                           validators=[Optional(), Length(max=MAX_REASON, message=REASON_TOO_LONG)])


class PlainForm(FlaskForm):
    """A button with nothing but its CSRF token (withdraw an invitation)."""


def invite_body_form(appointment) -> InviteBodyForm:
    """The invite form with the bodies that may still be invited to ``appointment``."""
    form = InviteBodyForm()
    form.body_id.choices = [(0, "—")] + [(b.id, f"{b.name} ({b.level_label})") for b in invitable_bodies(appointment)]
    return form
