"""Account forms. Every message goes through gettext."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField
from ..core.i18n import LANGUAGE_NAMES, LANGUAGES
from ..core.permissions import ROLE_LABELS, STAFF_ROLES
from .models import NOTIFY_BY_LABELS, NotifyBy
from .services import IIN_MESSAGES
from .validation import EmailError, PhoneError, iin_error, normalize_email, normalize_kz_mobile

MIN_PASSWORD = 10


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


def validate_iin(form, field):
    err = iin_error(field.data or "")
    if err:
        raise ValidationError(str(IIN_MESSAGES[err]))


def validate_mobile(form, field):
    if not field.data:
        return
    try:
        field.data = normalize_kz_mobile(field.data)
    except PhoneError:
        raise ValidationError(str(_l("Enter a Kazakh mobile number, e.g. +7 701 234 5678."))) from None


def validate_email_address(form, field):
    try:
        field.data = normalize_email(field.data or "")
    except EmailError:
        raise ValidationError(str(_l("Enter a valid e-mail address."))) from None


def _password_field(label):
    return PasswordField(label, validators=[
        DataRequired(message=REQUIRED),
        Length(min=MIN_PASSWORD, max=128,
               message=_l("The password must be %(min)d to %(max)d characters long.", min=MIN_PASSWORD, max=128)),
    ])


def language_choices():
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class RegisterForm(FlaskForm):
    iin = StringField(_l("IIN (12 digits)"), validators=[DataRequired(message=REQUIRED), validate_iin],
                      filters=[lambda v: v.strip() if v else v],
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 12})
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=REQUIRED), _too_long(200)],
                            render_kw={"autocomplete": "name"})
    phone = TelField(_l("Mobile phone"), validators=[DataRequired(message=REQUIRED), _too_long(32), validate_mobile],
                     render_kw={"autocomplete": "tel", "placeholder": "+7 7XX XXX XX XX"})
    # Optional: many citizens have a phone and no e-mail (they are told everything by SMS).
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), _too_long(254), validate_email_address],
                       filters=[lambda v: v.strip() if v else None], render_kw={"autocomplete": "email"})
    # Nothing preselected (the first region is nobody's default): the blank choice is 0, which DataRequired refuses.
    region_id = SelectField(_l("Region"), coerce=int, validators=[DataRequired(message=REQUIRED)],
                            validate_choice=True)
    language = SelectField(_l("Preferred language"), choices=language_choices, validators=[DataRequired(REQUIRED)])
    notify_visiting = BooleanField(_l("Tell me about visiting receptions in my region"))
    password = _password_field(_l("Password"))
    password_confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(message=REQUIRED), EqualTo("password", message=_l("The passwords do not match."))])


class LoginForm(FlaskForm):
    login = StringField(_l("E-mail, IIN or mobile phone"), validators=[DataRequired(message=REQUIRED), _too_long(254)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(message=REQUIRED), _too_long(128)],
                             render_kw={"autocomplete": "current-password"})


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("E-mail, IIN or mobile phone"), validators=[DataRequired(message=REQUIRED), _too_long(254)],
                        render_kw={"autocomplete": "username"})


def _code_field():
    return StringField(_l("Code from the SMS"), validators=[
        DataRequired(message=REQUIRED),
        Regexp(r"^\s*[0-9]{6}\s*$", message=_l("The code is the 6 digits from the SMS."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6})


class ResetWithCodeForm(FlaskForm):
    login = StringField(_l("IIN or mobile phone"), validators=[DataRequired(message=REQUIRED), _too_long(254)],
                        render_kw={"autocomplete": "username"})
    code = _code_field()
    password = _password_field(_l("New password"))
    password_confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(message=REQUIRED), EqualTo("password", message=_l("The passwords do not match."))])


class ConfirmPhoneForm(FlaskForm):
    code = _code_field()


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    password_confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(message=REQUIRED), EqualTo("password", message=_l("The passwords do not match."))])


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=REQUIRED), _too_long(200)])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), _too_long(32), validate_mobile])
    region_id = SelectField(_l("Region"), coerce=int, validators=[Optional()], validate_choice=True)
    language = SelectField(_l("Preferred language"), choices=language_choices, validators=[DataRequired(REQUIRED)])
    # Citizens only (the view removes it for staff): an e-mail when a visiting reception is announced.
    notify_visiting = BooleanField(_l("Tell me about visiting receptions in my region"))
    stored_phone = None  # the phone already on the account (set by the view)
    phone_only = False  # the account has no e-mail (see sms_only)
    notify_by = RadioField(_l("Tell me about my receptions by"), validate_choice=True,
                           choices=lambda: [(k.value, v) for k, v in NOTIFY_BY_LABELS.items()])

    def sms_only(self) -> None:
        """A phone-only account: notices come by SMS, the one choice offered."""
        self.phone_only = True
        self.notify_by.choices = [(NotifyBy.SMS.value, NOTIFY_BY_LABELS[NotifyBy.SMS])]
        self.notify_by.validate_choice = False  # validate_notify_by answers with a message that says why

    def validate_notify_by(self, field):
        if self.phone_only and field.data != NotifyBy.SMS.value:
            raise ValidationError(str(_l("You have no e-mail in your account: we tell you by SMS.")))
        if field.data in (NotifyBy.SMS.value, NotifyBy.BOTH.value) and not (self.phone.data or self.stored_phone):
            raise ValidationError(str(_l("Enter a mobile phone to receive SMS.")))


class StaffForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=REQUIRED), _too_long(200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=REQUIRED), _too_long(254),
                                                 validate_email_address])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), _too_long(32), validate_mobile])
    language = SelectField(_l("Preferred language"), choices=language_choices, validators=[DataRequired(REQUIRED)])
    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True)
    roles = MultiCheckboxField(_l("Roles"), choices=lambda: [(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES],
                               validators=[DataRequired(message=_l("Give the account at least one role."))])
    is_active = BooleanField(_l("Account is active"), default=True)
    password = PasswordField(_l("Password"), validators=[
        Optional(), Length(min=MIN_PASSWORD, max=128, message=_l(
            "The password must be %(min)d to %(max)d characters long.", min=MIN_PASSWORD, max=128))])
