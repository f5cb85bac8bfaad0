"""Forms of systemic issues: the issue, a status change with its note, linking by number, the list's filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField
from .models import STATUS_LABELS, IssueStatus


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


def status_choices(statuses=tuple(IssueStatus)) -> list[tuple[str, str]]:
    return [(s.value, str(STATUS_LABELS[s])) for s in statuses]


def _int_or_zero(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number <= 2**31 - 1 else 0


class IssueForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(message=REQUIRED), _too_long(200)],
                        description=_l("Shown to the linked citizens, e.g. “No heating in the houses of Alga "
                                       "district”."))
    description = TextAreaField(_l("What the problem is"), filters=[_strip],
                                validators=[DataRequired(message=REQUIRED), _too_long(10000)])
    # Choices are checked by the service, with a clear message on the field.
    body_ids = MultiCheckboxField(_l("Working group: the bodies concerned"), coerce=_int_or_zero,
                                  validate_choice=False)
    coordinator_id = SelectField(_l("Coordinator"), coerce=_int_or_zero, validate_choice=False)
    region_id = SelectField(_l("Region concerned"), coerce=_int_or_zero, validators=[Optional()],
                            validate_choice=False)


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=status_choices)
    # The status the user saw: of two changes made from it at once, only one is made.
    expected = HiddenField()
    note = TextAreaField(_l("Note to the citizens"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(1000)],
                         description=_l("Each linked citizen is told the new status with this note, once."))


class LinkForm(FlaskForm):
    number = StringField(_l("Talon or request number"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(40)])


class ButtonForm(FlaskForm):
    """A button: only the CSRF token."""
