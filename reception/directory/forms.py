"""Directory forms: the administrators' edit forms and the public official search. Messages go through gettext."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import REQUIRED, FlaskForm, Form, MultiCheckboxField
from ..core.phones import PhoneError, normalize_phone
from .models import BODY_LEVEL_LABELS, VENUE_KIND_LABELS, BodyLevel, VenueKind
from .names import is_valid_name
from .services import (
    CODE_MESSAGE,
    CODE_RE,
    MAX_CAPACITY,
    MAX_POSITION,
    NAME_MESSAGE,
    PHONE_MESSAGE,
    is_valid_timezone,
)

# Whole phrases, not "<what> in <language>": word order differs between the three languages.
NAME = {"kk": _l("Name in Kazakh"), "ru": _l("Name in Russian"), "en": _l("Name in English")}
CENTRE = {"kk": _l("Administrative centre in Kazakh"), "ru": _l("Administrative centre in Russian"),
          "en": _l("Administrative centre in English")}
ADDRESS = {"kk": _l("Address in Kazakh"), "ru": _l("Address in Russian"), "en": _l("Address in English")}
POSITION = {"kk": _l("Position in Kazakh"), "ru": _l("Position in Russian"), "en": _l("Position in English")}


def too_long(n: int) -> Length:
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def validate_phone(form, field):
    if not field.data:
        return
    try:
        field.data = normalize_phone(field.data)
    except PhoneError:
        raise ValidationError(str(PHONE_MESSAGE)) from None


def validate_code(form, field):
    if field.data and not CODE_RE.match(field.data):
        raise ValidationError(str(CODE_MESSAGE))


def validate_name(form, field):
    if field.data and not is_valid_name(field.data):
        raise ValidationError(str(NAME_MESSAGE))


def validate_timezone(form, field):
    if not is_valid_timezone(field.data or ""):
        raise ValidationError(str(_l("Enter a time zone from the IANA database, e.g. Asia/Almaty.")))


def _localized(labels: dict, lang: str, max_len: int, required: bool) -> StringField:
    validators = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return StringField(labels[lang], validators=[*validators, too_long(max_len)], filters=[_strip],
                       render_kw={"lang": lang})


def _code_field() -> StringField:
    return StringField(_l("Code"), validators=[DataRequired(message=REQUIRED), too_long(64), validate_code],
                       filters=[_strip], render_kw={"autocomplete": "off", "spellcheck": "false"})


def _select(label, *, required: bool = True) -> SelectField:
    """A select of database ids: an id that is not offered is a form error, never a database lookup."""
    validators = [InputRequired(message=REQUIRED)] if required else [Optional()]
    return SelectField(label, coerce=int, validate_choice=True, validators=validators)


def _phone_field() -> TelField:
    return TelField(_l("Phone"), validators=[Optional(), too_long(32), validate_phone], filters=[_strip],
                    render_kw={"autocomplete": "off", "placeholder": "+7 7172 74 56 78"})


class RegionForm(FlaskForm):
    name_kk = _localized(NAME, "kk", 120, True)
    name_ru = _localized(NAME, "ru", 120, True)
    name_en = _localized(NAME, "en", 120, False)
    centre_kk = _localized(CENTRE, "kk", 120, True)
    centre_ru = _localized(CENTRE, "ru", 120, True)
    centre_en = _localized(CENTRE, "en", 120, False)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(message=REQUIRED), too_long(64),
                                                        validate_timezone],
                           filters=[_strip], render_kw={"autocomplete": "off", "spellcheck": "false"})


class TopicForm(FlaskForm):
    code = _code_field()
    parent_id = _select(_l("Parent topic"), required=False)
    name_kk = _localized(NAME, "kk", 200, True)
    name_ru = _localized(NAME, "ru", 200, True)
    name_en = _localized(NAME, "en", 200, False)
    position = IntegerField(_l("Position in the list"), default=0, validators=[
        InputRequired(message=REQUIRED),
        NumberRange(min=0, max=MAX_POSITION, message=_l("Enter a number from %(min)d to %(max)d.",
                                                        min=0, max=MAX_POSITION))])


def level_choices():
    return [(level.value, BODY_LEVEL_LABELS[level]) for level in BodyLevel]


class BodyForm(FlaskForm):
    code = _code_field()
    level = SelectField(_l("Level"), choices=level_choices, validate_choice=True,
                        validators=[DataRequired(message=REQUIRED)])
    region_id = _select(_l("Region"), required=False)
    parent_id = _select(_l("Parent body"), required=False)
    name_kk = _localized(NAME, "kk", 255, True)
    name_ru = _localized(NAME, "ru", 255, True)
    name_en = _localized(NAME, "en", 255, False)
    address_kk = _localized(ADDRESS, "kk", 255, False)
    address_ru = _localized(ADDRESS, "ru", 255, False)
    address_en = _localized(ADDRESS, "en", 255, False)
    phone = _phone_field()
    topic_ids = MultiCheckboxField(_l("Competences (topics)"), coerce=int, validate_choice=True)
    is_active = BooleanField(_l("Active (shown in the directory)"), default=True)


class OfficialForm(FlaskForm):
    body_id = _select(_l("Body"))
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=REQUIRED), too_long(200)],
                            filters=[_strip])
    position_kk = _localized(POSITION, "kk", 255, True)
    position_ru = _localized(POSITION, "ru", 255, True)
    position_en = _localized(POSITION, "en", 255, False)
    is_head = BooleanField(_l("Head of the body"))
    user_id = _select(_l("Linked staff account"), required=False)
    is_active = BooleanField(_l("Active (shown in the directory)"), default=True)


class ResponsiblePersonForm(FlaskForm):
    """The responsible person of a body's reception office; the talon writes them as "Surname I. O."."""

    surname = StringField(_l("Surname"), validators=[DataRequired(message=REQUIRED), too_long(100), validate_name],
                          filters=[_strip], render_kw={"autocomplete": "off"})
    first_name = StringField(_l("First name"), validators=[DataRequired(message=REQUIRED), too_long(100),
                                                           validate_name],
                             filters=[_strip], render_kw={"autocomplete": "off"})
    patronymic = StringField(_l("Patronymic (if any)"), validators=[Optional(), too_long(100), validate_name],
                             filters=[_strip],
                             render_kw={"autocomplete": "off"})
    position_kk = _localized(POSITION, "kk", 255, True)
    position_ru = _localized(POSITION, "ru", 255, True)
    position_en = _localized(POSITION, "en", 255, False)


def kind_choices():
    return [(kind.value, VENUE_KIND_LABELS[kind]) for kind in VenueKind]


class VenueForm(FlaskForm):
    body_id = _select(_l("Body"))
    region_id = _select(_l("Region"))
    kind = SelectField(_l("Kind"), choices=kind_choices, validate_choice=True,
                       validators=[DataRequired(message=REQUIRED)])
    name_kk = _localized(NAME, "kk", 200, True)
    name_ru = _localized(NAME, "ru", 200, True)
    name_en = _localized(NAME, "en", 200, False)
    address_kk = _localized(ADDRESS, "kk", 255, True)
    address_ru = _localized(ADDRESS, "ru", 255, True)
    address_en = _localized(ADDRESS, "en", 255, False)
    floor = StringField(_l("Floor and room"), validators=[Optional(), too_long(40)], filters=[_strip])
    phone = _phone_field()
    capacity = IntegerField(_l("Capacity (people)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_CAPACITY, message=_l("Enter a number from %(min)d to %(max)d.",
                                                                    min=1, max=MAX_CAPACITY))])
    is_active = BooleanField(_l("Active (can be used for receptions)"), default=True)


def _optional_int(value) -> int:
    """0 for "any"; anything that is not a number raises, which the form reports."""
    return 0 if value in (None, "") else int(value)


class OfficialSearchForm(Form):
    """The public search: read from the query string, no CSRF (it changes nothing)."""

    q = StringField(_l("Name contains"), validators=[Optional(), too_long(100)], filters=[_strip])
    region = SelectField(_l("Region"), validate_choice=True, validators=[Optional()])
    topic = SelectField(_l("Topic"), coerce=_optional_int, default=0, validate_choice=True, validators=[Optional()])
