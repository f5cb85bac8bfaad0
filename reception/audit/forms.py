"""The filters of the administrators' audit page, read from the query string (so no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..core.forms import Form
from .models import AuditAction

MAX_ID = 2**31 - 1  # the id columns are 32-bit integers: a larger number is a mistake, not a search
_ID_RANGE = NumberRange(min=1, max=MAX_ID, message=_l("Enter a record number from 1 to %(max)d.", max=MAX_ID))

ACTION_LABELS = {
    AuditAction.CREATE: _l("Created"),
    AuditAction.UPDATE: _l("Changed"),
    AuditAction.DELETE: _l("Deleted"),
    AuditAction.VIEW: _l("Viewed personal data"),
}


def _check_year(field) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(str(_l("Enter a date between the years 2000 and 2100.")))


class AuditFilterForm(Form):
    """What to look for: a record, a person, an action, a period (local dates of ``tz``)."""

    entity = SelectField(_l("Kind of record"), validate_choice=True, validators=[Optional()])
    entity_id = IntegerField(_l("Record number"), validators=[Optional(), _ID_RANGE])
    actor = StringField(_l("Who (account number or part of the name)"),
                        validators=[Optional(), Length(max=200, message=_l("Too long: at most %(max)d characters.",
                                                                           max=200))])
    action = SelectField(_l("Action"), validate_choice=True, validators=[Optional()])
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])
    before = IntegerField(validators=[Optional(), _ID_RANGE])  # keyset pagination: events older than this one

    def __init__(self, formdata, entities: list[tuple[str, str]]):
        super().__init__(formdata)
        self.entity.choices = [("", str(_l("Any")))] + entities
        self.action.choices = [("", str(_l("Any")))] + [(a.value, str(label)) for a, label in ACTION_LABELS.items()]

    def validate_entity_id(self, field):
        if field.data is not None and not self.entity.data:
            raise ValidationError(str(_l("Choose the kind of record as well.")))

    def validate_date_from(self, field):
        _check_year(field)

    def validate_date_to(self, field):
        _check_year(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(str(_l("The end date is before the start date.")))

    @property
    def actor_id(self) -> int | None:
        """The account number when the person filter is a number (e.g. "17" or "#17")."""
        text = (self.actor.data or "").strip().lstrip("#")
        return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None
