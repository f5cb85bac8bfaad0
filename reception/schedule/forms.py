"""Schedule forms: recurring hours, one-off sessions, cancelling and moving a session, unified reception days and
visiting receptions. Messages go through gettext."""
from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import REQUIRED, FlaskForm, Form, MultiCheckboxField
from ..directory.models import BODY_LEVEL_LABELS, BodyLevel
from .models import FORMAT_LABELS, AttendanceFormat, BookingMode, SessionStatus
from .recurrence import WEEKDAYS, build_weekly_rule, describe_rule, weekdays_of
from .rules import MAX_RRULE_LENGTH
from .services import (
    MAX_CLOSES_HOURS_BEFORE,
    MAX_OPENS_DAYS_AHEAD,
    MAX_REASON_LENGTH,
    MAX_SLOT_MINUTES,
    MIN_SLOT_MINUTES,
    REASON_REQUIRED,
)
from .unified import MAX_NOTE_LENGTH
from .visiting import MAX_DATES

SESSION_STATUS_LABELS = {
    SessionStatus.PLANNED: _l("Planned"),
    SessionStatus.HELD: _l("Held"),
    SessionStatus.NOT_HELD: _l("Not held"),
    SessionStatus.CANCELLED: _l("Cancelled"),
}
BOOKING_MODE_LABELS = {
    BookingMode.SELF: _l("Citizens book a free slot themselves"),
    BookingMode.REQUEST: _l("Citizens send a request; staff pre-screen it and give a slot"),
}


def _weekday_choices() -> list[tuple[str, str]]:
    """Monday to Sunday in the page's language, for the schedule's day picker."""
    names = get_day_names("wide", context="stand-alone", locale=get_locale())
    return [(code, names[n][:1].upper() + names[n][1:]) for n, code in enumerate(WEEKDAYS)]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _select_id(label) -> SelectField:
    """A select of database ids: an id that is not offered is a form error, never a database lookup."""
    return SelectField(label, coerce=int, validate_choice=True, validators=[InputRequired(message=REQUIRED)])


def _int(label, low: int, high: int, default: int) -> IntegerField:
    return IntegerField(label, default=default, validators=[
        InputRequired(message=REQUIRED),
        NumberRange(min=low, max=high, message=_l("Enter a number from %(min)d to %(max)d.", min=low, max=high))],
        render_kw={"min": low, "max": high})


def _date(label, required: bool = True) -> DateField:
    return DateField(label, validators=[InputRequired(message=REQUIRED) if required else Optional()],
                     render_kw={"autocomplete": "off"})


def _time(label) -> TimeField:
    return TimeField(label, validators=[InputRequired(message=REQUIRED)])


def _formats() -> MultiCheckboxField:
    return MultiCheckboxField(_l("Formats"), choices=lambda: [(f.value, FORMAT_LABELS[f]) for f in AttendanceFormat],
                              default=[AttendanceFormat.IN_PERSON.value],
                              validators=[DataRequired(message=_l("Choose at least one format."))])


def _booking_mode() -> SelectField:
    return SelectField(_l("Booking"), choices=lambda: [(m.value, BOOKING_MODE_LABELS[m]) for m in BookingMode],
                       default=BookingMode.SELF.value, validate_choice=True)


def _reason(label) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[
        DataRequired(message=REASON_REQUIRED),
        Length(max=MAX_REASON_LENGTH, message=_l("Too long: at most %(max)d characters.", max=MAX_REASON_LENGTH))])


class _HoursForm(FlaskForm):
    """Fields shared by recurring schedules and one-off sessions."""

    start_time = _time(_l("Start (local time at the venue)"))
    end_time = _time(_l("End (local time at the venue)"))
    slot_minutes = _int(_l("Slot length, minutes"), MIN_SLOT_MINUTES, MAX_SLOT_MINUTES, 20)
    formats = _formats()
    single_video_room = BooleanField(_l("Video: one call room for the whole session (otherwise a room per "
                                        "appointment)"))
    booking_mode = _booking_mode()
    opens_days_ahead = _int(_l("Booking opens, days ahead"), 1, MAX_OPENS_DAYS_AHEAD, 30)
    closes_hours_before = _int(_l("Booking closes, hours before"), 0, MAX_CLOSES_HOURS_BEFORE, 24)


class ScheduleForm(_HoursForm):
    official_id = _select_id(_l("Official"))
    venue_id = _select_id(_l("Venue"))
    weekdays = MultiCheckboxField(_l("Days of the week"), choices=_weekday_choices, validate_choice=True)
    rrule = StringField(_l("Another rule (RFC 5545 RRULE, for specialists)"), filters=[_strip], validators=[
        Optional(), Length(max=MAX_RRULE_LENGTH, message=_l("Too long: at most %(max)d characters.",
                                                            max=MAX_RRULE_LENGTH))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "FREQ=MONTHLY;BYDAY=1MO"})
    starts_on = _date(_l("First day"))
    until_on = _date(_l("Last day (optional)"), required=False)
    topic_ids = MultiCheckboxField(_l("Topics"), coerce=int, validate_choice=True)

    # Field order on the page: who, where, when, how. The rule field is shown apart, folded away.
    field_order = ("csrf_token", "official_id", "venue_id", "weekdays", "start_time", "end_time", "slot_minutes",
                   "starts_on", "until_on", "formats", "single_video_room", "booking_mode",
                   "opens_days_ahead", "closes_hours_before", "topic_ids")

    def __iter__(self):
        return iter([self[name] for name in self.field_order])

    def validate_weekdays(self, field):
        if not field.data and not self.rrule.data:
            raise ValidationError(str(_l("Choose at least one day of the week.")))

    def rrule_text(self) -> str:
        """The rule to store: built from the ticked days; without a ticked day, the rule typed or kept."""
        if self.weekdays.data:
            return build_weekly_rule(self.weekdays.data)
        return self.rrule.data or ""

    def show_rule(self, rule: str) -> None:
        """Show a stored rule: its days ticked when the picker can express it, else kept in the rule field."""
        days = weekdays_of(rule)
        self.weekdays.data = list(days) if days else []
        self.rrule.data = "" if days else rule

    def kept_rule_in_words(self) -> str:
        """The rule field's rule in words, when it holds one the days cannot express."""
        return describe_rule(self.rrule.data) if self.rrule.data and not self.weekdays.data else ""


class SessionForm(_HoursForm):
    official_id = _select_id(_l("Official"))
    venue_id = _select_id(_l("Venue"))
    local_date = _date(_l("Date"))

    field_order = ("csrf_token", "official_id", "venue_id", "local_date", "start_time", "end_time", "slot_minutes",
                   "formats", "single_video_room", "booking_mode", "opens_days_ahead", "closes_hours_before")

    def __iter__(self):
        return iter([self[name] for name in self.field_order])


class CancelSessionForm(FlaskForm):
    reason = _reason(_l("Reason (citizens will read it)"))
    # The count the page showed: if more citizens booked meanwhile, the staff member confirms again.
    expected_count = HiddenField(validators=[InputRequired(message=REQUIRED)])

    def validate_expected_count(self, field):
        if not (field.data or "").isdigit() or len(field.data) > 6:
            raise ValidationError(str(_l("The form is damaged; reload the page.")))


class MoveSessionForm(FlaskForm):
    local_date = _date(_l("New date"))
    start_time = _time(_l("New start (local time at the venue)"))
    end_time = _time(_l("New end (local time at the venue)"))
    reason = _reason(_l("Reason"))


# --- unified reception days and visiting receptions ------------------------------------------------

def _note() -> TextAreaField:
    return TextAreaField(_l("Note for citizens (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=MAX_NOTE_LENGTH, message=_l("Too long: at most %(max)d characters.",
                                                           max=MAX_NOTE_LENGTH))])


def _expected_count() -> HiddenField:
    return HiddenField(validators=[InputRequired(message=REQUIRED)])


def _check_expected_count(field) -> None:
    if not (field.data or "").isdigit() or len(field.data) > 6:
        raise ValidationError(str(_l("The form is damaged; reload the page.")))


class UnifiedDayForm(FlaskForm):
    local_date = _date(_l("Date"))
    levels = MultiCheckboxField(_l("Levels of the bodies whose heads receive"),
                                choices=lambda: [(level.value, BODY_LEVEL_LABELS[level]) for level in BodyLevel],
                                validators=[DataRequired(message=_l("Choose at least one level."))])
    region_ids = MultiCheckboxField(_l("Regions (choose none for every region)"), coerce=int, validate_choice=True)
    start_time = _time(_l("Start (local time at each venue)"))
    end_time = _time(_l("End (local time at each venue)"))
    slot_minutes = _int(_l("Slot length, minutes"), MIN_SLOT_MINUTES, MAX_SLOT_MINUTES, 20)
    note = _note()

    field_order = ("csrf_token", "local_date", "levels", "start_time", "end_time", "slot_minutes", "note",
                   "region_ids")

    def __iter__(self):
        return iter([self[name] for name in self.field_order])


class AddMissingSessionsForm(FlaskForm):
    # How many sessions the page said it would add: if that changed meanwhile, the administrator confirms again.
    expected_count = _expected_count()

    def validate_expected_count(self, field):
        _check_expected_count(field)


class UnifiedSessionForm(FlaskForm):
    start_time = _time(_l("Start (local time at the venue)"))
    end_time = _time(_l("End (local time at the venue)"))
    slot_minutes = _int(_l("Slot length, minutes"), MIN_SLOT_MINUTES, MAX_SLOT_MINUTES, 20)
    formats = _formats()


def _visiting_date(n: int) -> DateField:
    if n == 1:
        return _date(_l("Date"))
    return _date(_l("Date %(n)d (optional)", n=n), required=False)


class VisitingForm(FlaskForm):
    official_id = _select_id(_l("Official"))
    region_id = _select_id(_l("Region where the official receives"))
    venue_id = _select_id(_l("Venue in that region"))
    date_1 = _visiting_date(1)
    date_2 = _visiting_date(2)
    date_3 = _visiting_date(3)
    date_4 = _visiting_date(4)
    date_5 = _visiting_date(5)
    start_time = _time(_l("Start (local time at the venue)"))
    end_time = _time(_l("End (local time at the venue)"))
    slot_minutes = _int(_l("Slot length, minutes"), MIN_SLOT_MINUTES, MAX_SLOT_MINUTES, 20)
    formats = _formats()
    note = _note()

    date_names = tuple(f"date_{n}" for n in range(1, MAX_DATES + 1))
    field_order = ("csrf_token", "official_id", "region_id", "venue_id", *date_names, "start_time", "end_time",
                   "slot_minutes", "formats", "note")

    def __iter__(self):
        return iter([self[name] for name in self.field_order])

    def filled_date_fields(self) -> list:
        """The date fields that hold a date, in form order (a service error about ``dates-<i>`` names the i-th)."""
        return [self[name] for name in self.date_names if self[name].data]


class VisitingFilterForm(Form):
    """The region filter of the public list; read from the query string, so no CSRF token."""

    region = SelectField(_l("Region"), validate_choice=True, validators=[Optional()])
