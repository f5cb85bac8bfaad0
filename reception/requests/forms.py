"""Request mode forms: the citizen's request, choosing an offered time, and the four screening decisions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..booking.forms import BookingForm
from ..booking.models import DeclineGround
from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField
from .models import URGENCY_REASON_LABELS, UrgencyReason
from .rules import DECLINE_GROUND_LABELS
from .services import MAX_NOTE_LENGTH, MSG_CHOOSE_OFFER


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _note(label, required: bool = False) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[
        DataRequired(message=REQUIRED) if required else Optional(),
        Length(max=MAX_NOTE_LENGTH, message=_l("Too long: at most %(max)d characters.", max=MAX_NOTE_LENGTH))])


def _urgency_choices(none_label):
    return lambda: [("", none_label)] + [(r.value, URGENCY_REASON_LABELS[r]) for r in UrgencyReason]


class RequestForm(BookingForm):
    """The same details as a booking (format, studio, topic, summary, earlier appeals, needs,
    co-applicants, idempotency key), and whether it is urgent and why; the time is given after screening."""

    # A reason not on the list is answered by the service with a clear message.
    urgency_reason = SelectField(_l("Is your issue urgent?"), validate_choice=False,
                                 choices=_urgency_choices(_l("No, it can wait for the usual review")))
    urgency_note = _note(_l("Why it cannot wait (optional)"))


class UrgencyForm(FlaskForm):
    """Screening staff mark a request urgent with a reason, confirm or change the citizen's mark, or clear it."""

    reason = SelectField(_l("Urgency"), validate_choice=False, choices=_urgency_choices(_l("Not urgent")))
    note = _note(_l("Why it is urgent"))


class AcceptOfferForm(FlaskForm):
    # Any id is taken here; the service answers one that was not offered with a clear message.
    offer_id = RadioField(_l("Offered times"), coerce=int, validate_choice=False,
                          validators=[InputRequired(message=MSG_CHOOSE_OFFER)])


class OfferForm(FlaskForm):
    # Checked by the service against the official's free request-mode times (a forged id gets a message).
    slot_ids = MultiCheckboxField(_l("Free times to offer"), coerce=int, validate_choice=False,
                                  validators=[DataRequired(message=_l("Choose at least one time to offer."))])
    offer_note = _note(_l("Message to the citizen (optional)"))


class RedirectForm(FlaskForm):
    body_id = SelectField(_l("Competent body"), coerce=int, validate_choice=True,
                          validators=[InputRequired(message=REQUIRED)])
    reasons = _note(_l("Reasons (the citizen will read them)"), required=True)


class ResolveForm(FlaskForm):
    resolution = _note(_l("How the issue was resolved (the citizen will read this)"), required=True)


class DeclineForm(FlaskForm):
    ground = RadioField(_l("Ground for declining"), validate_choice=True,
                        choices=lambda: [(g.value, DECLINE_GROUND_LABELS[g]) for g in DeclineGround],
                        validators=[InputRequired(message=_l("Choose the ground for declining from the list."))])
    decline_note = _note(_l("Explanation for the citizen (optional)"))
