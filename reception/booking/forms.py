"""Booking forms: slot search (GET), booking, the waitlist, rescheduling. Every message goes through gettext."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..core.forms import REQUIRED, FlaskForm, Form
from ..schedule.models import FORMAT_LABELS, AttendanceFormat
from .lookup import DEFAULT_MATCHES, MAX_MATCHES, MAX_QUERY, MIN_QUERY
from .models import PARTICIPANT_KIND_LABELS, ParticipantKind
from .services import BookingData


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


def format_choices(formats=tuple(AttendanceFormat)):
    return [(f.value, FORMAT_LABELS[f]) for f in formats]


class SlotSearchForm(Form):
    """Filters of the public search; read from the query string, so no CSRF token.

    The body and official selects offer a few choices only (see reception.booking.lookup): the chosen
    region's bodies, the chosen body's officials; the others are found by typing a name (JavaScript).
    """

    region = SelectField(_l("Region"), validate_choice=True, validators=[Optional()])
    body = SelectField(_l("Body"), coerce=int, validate_choice=True, validators=[Optional()])
    official = SelectField(_l("Official"), coerce=int, validate_choice=True, validators=[Optional()])
    topic = SelectField(_l("Topic"), coerce=int, validate_choice=True, validators=[Optional()])
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])
    format = SelectField(_l("Format"), validate_choice=True, validators=[Optional()])
    studio = SelectField(_l("Video studio (for video from an akimat studio)"), coerce=int, validate_choice=True,
                         validators=[Optional()])
    # Where the previous page of results ended (see reception.booking.queries.page_cursor); no field shown.
    after = StringField(validators=[Optional(), Regexp(r"^\d{1,20}-\d{1,18}$", message=_l(
        "This link to later times is damaged. Search again."))])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(str(_l("The end date is before the start date.")))


class LookupForm(Form):
    """What the search form's name field sends as the visitor types (query string, JSON answer)."""

    q = StringField(filters=[_strip], validators=[
        DataRequired(message=_l("Type at least %(min)d letters of a name.", min=MIN_QUERY)),
        Length(min=MIN_QUERY, max=MAX_QUERY, message=_l("Type from %(min)d to %(max)d characters of a name.",
                                                         min=MIN_QUERY, max=MAX_QUERY))])
    region = StringField(filters=[_strip], validators=[Optional(), Length(max=8)])
    limit = IntegerField(default=DEFAULT_MATCHES, validators=[Optional(), NumberRange(
        min=1, max=MAX_MATCHES, message=_l("The limit must be from 1 to %(max)d.", max=MAX_MATCHES))])


class BookingForm(FlaskForm):
    format = RadioField(_l("How will you attend?"), validate_choice=True,
                        validators=[DataRequired(message=REQUIRED)])
    studio_id = SelectField(_l("Video studio (akimat of your region)"), coerce=int, validate_choice=True,
                            validators=[Optional()])
    topic_id = SelectField(_l("Topic of your issue"), coerce=int, validate_choice=True,
                           validators=[DataRequired(message=REQUIRED)])
    summary = TextAreaField(_l("Your issue in brief"), filters=[_strip],
                            validators=[DataRequired(message=REQUIRED), _too_long(4000)])
    appeal_numbers = StringField(_l("Numbers of earlier appeals (e-Otinish), if any"), filters=[_strip],
                                 validators=[Optional(), _too_long(255)])
    needs_wheelchair = BooleanField(_l("I use a wheelchair"))
    needs_sign_language = BooleanField(_l("I need a sign-language interpreter"))
    co_applicants = TextAreaField(_l("Co-applicants of a collective appeal, one name per line"), filters=[_strip],
                                  validators=[Optional(), _too_long(2000)])
    idempotency_key = HiddenField(validators=[DataRequired(message=REQUIRED), Regexp(
        r"^[A-Za-z0-9_-]{16,48}$", message=_l("The form is damaged. Reload the page and send it again."))])

    def booking_data(self) -> BookingData:
        """What the citizen asked for, as the booking services take it (after validation)."""
        return BookingData(
            format=AttendanceFormat(self.format.data), topic_id=self.topic_id.data, summary=self.summary.data,
            studio_id=(self.studio_id.data or None) if "studio_id" in self else None,
            appeal_numbers=self.appeal_numbers.data,
            needs_wheelchair=self.needs_wheelchair.data, needs_sign_language=self.needs_sign_language.data,
            co_applicants=self.co_applicants.data)

    def validate_studio_id(self, field):
        if self.format.data == AttendanceFormat.VIDEO_STUDIO.value and not field.data:
            raise ValidationError(str(_l("Choose a video studio of an akimat in your region.")))


class BallotApplyForm(BookingForm):
    """Apply for a high-demand reception's draw: the booking's details, and what to do if not drawn."""

    wants_waitlist = BooleanField(_l("If I am not drawn, put me on the official's waitlist"), default=True)


class BallotWithdrawForm(FlaskForm):
    """Withdraw an application before the draw (a button: the CSRF token is all it carries)."""


class BallotOpenForm(FlaskForm):
    """An assistant makes a reception booked by a draw."""

    hours = IntegerField(_l("Applications are taken for (hours)"), default=24,
                         validators=[DataRequired(message=REQUIRED), NumberRange(min=1, max=168, message=_l(
                             "Between %(min)d and %(max)d hours."))])


class WaitlistJoinForm(FlaskForm):
    """Join an official's waitlist; the official comes preselected from the search or the official's page."""

    official = SelectField(_l("Official"), coerce=int, validate_choice=True,
                           validators=[DataRequired(message=_l("Choose an official."))])
    visiting = SelectField(_l("Which reception"), coerce=int, validate_choice=True, validators=[Optional()])
    topic = SelectField(_l("Topic of your issue (optional)"), coerce=int, validate_choice=True,
                        validators=[Optional()])


class WaitlistLeaveForm(FlaskForm):
    """Leave the waitlist; ``expected_status`` is what the citizen saw, so a just-made offer is never lost unseen."""

    expected_status = HiddenField(validators=[AnyOf(("waiting", "offered"), message=_l(
        "The form is damaged. Reload the page and send it again."))])


class RescheduleForm(FlaskForm):
    """Confirm moving an appointment to another time; the token makes a double submit move it once."""

    idempotency_key = HiddenField(validators=[DataRequired(message=REQUIRED), Regexp(
        r"^[A-Za-z0-9_-]{16,48}$", message=_l("The form is damaged. Reload the page and send it again."))])


class ParticipantForm(FlaskForm):
    """Invite a staff member to an appointment (the official's side)."""

    user_id = SelectField(_l("Who"), coerce=int, validate_choice=True,
                          validators=[DataRequired(message=REQUIRED)])
    kind = SelectField(_l("Takes part as"), validate_choice=True,
                       choices=lambda: [(k.value, PARTICIPANT_KIND_LABELS[k]) for k in ParticipantKind])
    is_moderator = BooleanField(_l("May moderate the video call (admit and remove people)"))


class ParticipantChangeForm(FlaskForm):
    """Remove a participant or change who moderates; the action is the button pressed."""

    moderator = HiddenField(validators=[Optional(), AnyOf(("0", "1"), message=_l(
        "The form is damaged. Reload the page and send it again."))])
