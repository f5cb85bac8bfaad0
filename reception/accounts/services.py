"""Account changes: registration, login, password reset, staff accounts, preferences."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..core.clock import utcnow
from ..core.errors import Conflict, Invalid, NotAllowed
from ..core.i18n import LANGUAGES
from ..core.permissions import STAFF_ROLES, Permission, Role
from ..directory.models import Body, Region
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import enqueue_email
from . import codes
from .models import CodePurpose, NotifyBy, User, UserRole
from .passwords import hash_password, needs_rehash, verify_password
from .validation import EmailError, PhoneError, iin_error, normalize_email, normalize_kz_mobile

_RESET_SALT = "password-reset"


def _email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except EmailError:
        raise Invalid(_l("Enter a valid e-mail address."), field="email") from None


def _mobile(raw: str) -> str:
    try:
        return normalize_kz_mobile(raw)
    except PhoneError:
        raise Invalid(_l("Enter a Kazakh mobile number, e.g. +7 701 234 5678."), field="phone") from None

IIN_MESSAGES = {
    "format": _l("The IIN must be exactly 12 digits."),
    "date": _l("The first six digits of the IIN must be a real date of birth."),
    "checksum": _l("This IIN is not valid: its check digit does not match."),
}


@dataclass
class Registration:
    iin: str
    full_name: str
    phone: str
    email: str | None  # optional: a phone-only citizen has none
    password: str
    language: str
    region_id: int
    notify_visiting: bool = False  # tell the citizen about visiting receptions in their region


def _check_unique(email: str | None, iin: str | None, exclude_id: int | None = None) -> None:
    if email:
        q = select(User.id).where(func.lower(User.email) == email)
        if exclude_id:
            q = q.where(User.id != exclude_id)
        if db.session.scalar(q) is not None:
            raise Conflict(_l("An account with this e-mail already exists."), field="email")
    if iin:
        q = select(User.id).where(User.iin == iin)
        if exclude_id:
            q = q.where(User.id != exclude_id)
        if db.session.scalar(q) is not None:
            raise Conflict(_l("An account with this IIN already exists."), field="iin")


def register_citizen(data: Registration, now: datetime) -> User:
    """Create a citizen account and send its phone a confirmation code by SMS (outbox). Raises Invalid for
    bad data, Conflict for a taken IIN or e-mail.

    The e-mail is optional: without one the citizen is told everything by SMS (``notify_by`` SMS), resets
    the password by SMS code, and books once the phone is confirmed (:attr:`User.must_confirm_phone`).
    The unique indexes on ``users.iin`` and ``users.email`` are the final
    guard; a race that passes the check surfaces as IntegrityError at flush.
    """
    err = iin_error(data.iin)
    if err:
        raise Invalid(IIN_MESSAGES[err], field="iin")
    if data.language not in LANGUAGES:
        raise Invalid(_l("Choose one of the offered languages."), field="language")
    if db.session.get(Region, data.region_id) is None:
        raise Invalid(_l("Choose a region from the list."), field="region_id")
    email = _email(data.email) if data.email and data.email.strip() else None
    if not (data.phone or "").strip():
        raise Invalid(_l("Enter a Kazakh mobile number, e.g. +7 701 234 5678."), field="phone")
    phone = _mobile(data.phone)
    _check_unique(email, data.iin)
    user = User(iin=data.iin, full_name=data.full_name.strip(), phone=phone, email=email,
                password_hash=hash_password(data.password), language=data.language,
                region_id=data.region_id, notify_visiting=bool(data.notify_visiting),
                notify_by=NotifyBy.EMAIL if email else NotifyBy.SMS)
    user.role_rows.append(UserRole(role=Role.CITIZEN))
    db.session.add(user)
    db.session.flush()
    _try_to_send(user, CodePurpose.CONFIRM, now)
    return user


def _try_to_send(user: User, purpose: CodePurpose, now: datetime) -> bool:
    """Send a code unless one went out too recently (then nothing changes); whether it was sent."""
    try:
        with db.session.begin_nested():
            codes.send_code(user, purpose, now)
    except codes.TooSoon:
        return False
    return True


def login_phone(login: str) -> str | None:
    """``login`` as an E.164 Kazakh mobile when it is written as one (not an IIN, not an e-mail), else None."""
    login = login.strip()
    if "@" in login or (len(login) == 12 and login.isdigit()):
        return None
    try:
        return normalize_kz_mobile(login)
    except PhoneError:
        return None


def find_user_for_login(login: str) -> User | None:
    """The account whose e-mail, IIN or mobile phone is ``login``.

    A phone names an account only when it is unambiguous: the one account that confirmed it, else the
    one account that has it at all. A family sharing one phone logs in with IINs or e-mails.
    """
    login = login.strip()
    if len(login) == 12 and login.isdigit():
        return db.session.scalar(select(User).where(User.iin == login))
    phone = login_phone(login)
    if phone is not None:
        users = db.session.scalars(select(User).where(User.phone == phone).order_by(User.id).limit(20)).all()
        confirmed = [u for u in users if u.phone_confirmed_at is not None]
        if len(confirmed) == 1:
            return confirmed[0]
        return users[0] if len(users) == 1 else None
    if login.isdigit():
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == login.lower()))


def authenticate(login: str, password: str) -> User | None:
    """The active user with these credentials, or None. Upgrades an outdated hash."""
    user = find_user_for_login(login)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def make_reset_token(user: User) -> str:
    # The hash fragment makes the link single-use: it stops matching once the password changes.
    return _serializer().dumps({"uid": user.id, "h": user.password_hash[-16:]})


def request_password_reset(login: str, now: datetime) -> None:
    """If an active account matches, queue a signed, expiring reset link by e-mail, or a reset code by SMS
    when ``login`` is a phone or the account has no e-mail (:mod:`.codes`).

    Says nothing about whether the account exists: a code not sent because one went out too recently
    is not sent, silently, as for an account that does not exist.
    """
    user = find_user_for_login(login)
    if user is None or not user.is_active:
        return
    if login_phone(login) is not None or not user.email:
        if user.phone:
            _try_to_send(user, CodePurpose.RESET, now)
        return
    token = make_reset_token(user)
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.reset_password", token=token)
    max_age_min = int(current_app.config["PASSWORD_RESET_MAX_AGE"]) // 60
    enqueue_email(user, "password_reset", _l("Reset your password"), "password_reset",
                  link=link, minutes=max_age_min)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link. Raises Invalid for a bad, used or expired link."""
    try:
        data = _serializer().loads(token, max_age=int(current_app.config["PASSWORD_RESET_MAX_AGE"]))
    except SignatureExpired:
        raise Invalid(_l("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise Invalid(_l("This link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("h"):
        raise Invalid(_l("This link has already been used. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    user.end_sessions()  # whoever knew the old password may be signed in somewhere
    return user


def reset_password_with_code(login: str, code: str, new_password: str, now: datetime) -> User:
    """Set a new password with a reset code sent by SMS. Raises codes.WrongCode, with one message
    whether or not ``login`` names an account (the wrong try is counted on the code: the caller commits);
    Invalid for a code that is not six digits. Ends every session of the account, and confirms its phone
    (the code proved it is the owner's)."""
    user = find_user_for_login(login or "")
    if not codes.is_code_format((code or "").strip()):
        raise Invalid(_l("The code is the 6 digits from the SMS."), field="code")
    if user is None or not user.is_active or not user.phone:
        raise codes.WrongCode(_l("This code is not right or no longer works. Check it, or ask for a new code."),
                              field="code")
    row = codes.use_code(user, CodePurpose.RESET, code, now, vague=True)
    user.password_hash = hash_password(new_password)
    if user.phone_confirmed_at is None and row.phone == user.phone:
        user.phone_confirmed_at = now
    user.end_sessions()  # whoever knew the old password may be signed in somewhere
    return user


def send_confirmation_code(user: User, now: datetime) -> None:
    """Send ``user`` a code confirming their phone. Raises Invalid (confirmed already, no phone),
    codes.TooSoon (429)."""
    if user.phone_confirmed_at is not None:
        raise Invalid(_l("Your phone number is confirmed already."))
    codes.send_code(user, CodePurpose.CONFIRM, now)


def confirm_phone(user: User, code: str, now: datetime) -> None:
    """Confirm ``user``'s phone with the code sent to it. Raises codes.WrongCode (the wrong try is counted:
    the caller commits), Invalid (not six digits)."""
    codes.use_code(user, CodePurpose.CONFIRM, code, now)
    user.phone_confirmed_at = now


def change_phone(user: User, raw_phone: str, now: datetime) -> bool:
    """Give ``user`` a new mobile phone: unconfirmed until the code sent to it is entered. Whether a code
    was sent (not when one went out too recently: the citizen asks again on the confirmation page).
    Raises Invalid for a number that is not a Kazakh mobile. Nothing changes for the same number."""
    phone = _mobile(raw_phone)
    if phone == user.phone:
        return False
    user.phone = phone
    user.phone_confirmed_at = None
    return _try_to_send(user, CodePurpose.CONFIRM, now)


def set_notify_by(user: User, value: str) -> None:
    """How ``user`` is told about receptions. Raises Invalid for e-mail without an e-mail address, SMS
    without a phone."""
    try:
        choice = NotifyBy(value)
    except ValueError:
        raise Invalid(_l("Choose one of the offered ways."), field="notify_by") from None
    if choice in (NotifyBy.EMAIL, NotifyBy.BOTH) and not user.email:
        raise Invalid(_l("You have no e-mail in your account: we tell you by SMS."), field="notify_by")
    if choice in (NotifyBy.SMS, NotifyBy.BOTH) and not user.phone:
        raise Invalid(_l("Enter a mobile phone to receive SMS."), field="notify_by")
    user.notify_by = choice


def end_sessions(user: User) -> None:
    """End every session of ``user`` ("log out everywhere", logging out): they stop working at their next
    request. The caller commits, and signs the current browser in again if it should stay signed in."""
    user.end_sessions()


def set_language(user: User | None, language: str) -> None:
    if language not in LANGUAGES:
        raise Invalid(_l("Choose one of the offered languages."))
    if user is not None and user.is_authenticated:
        user.language = language


@dataclass
class StaffData:
    full_name: str
    email: str
    phone: str | None
    language: str
    body_id: int | None
    roles: list[str]
    is_active: bool = True
    password: str | None = None


def _validate_staff(data: StaffData) -> tuple[str, str | None, set[Role]]:
    roles = set()
    for r in data.roles:
        try:
            role = Role(r)
        except ValueError:
            raise Invalid(_l("Unknown role."), field="roles") from None
        if role not in STAFF_ROLES:
            raise Invalid(_l("Unknown role."), field="roles")
        roles.add(role)
    if not roles:
        raise Invalid(_l("Give the account at least one role."), field="roles")
    body_bound = roles - {Role.ADMIN, Role.MONITOR}
    if body_bound and data.body_id is None:
        raise Invalid(_l("Staff in this role must belong to a body."), field="body_id")
    if data.body_id is not None and db.session.get(Body, data.body_id) is None:
        raise Invalid(_l("Choose a body from the list."), field="body_id")
    if data.language not in LANGUAGES:
        raise Invalid(_l("Choose one of the offered languages."), field="language")
    email = _email(data.email)
    phone = _mobile(data.phone) if data.phone else None
    return email, phone, roles


def create_staff(actor: User, data: StaffData) -> User:
    """Create a staff account tied to a body with the given roles (administrators only)."""
    if not actor.can(Permission.STAFF_MANAGE):
        raise NotAllowed(_l("You may not manage staff accounts."))
    email, phone, roles = _validate_staff(data)
    _check_unique(email, None)
    if not data.password:
        raise Invalid(_l("Set an initial password."), field="password")
    user = User(full_name=data.full_name.strip(), email=email, phone=phone, language=data.language,
                body_id=data.body_id, is_active=data.is_active, password_hash=hash_password(data.password))
    user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    return user


def update_staff(actor: User, user: User, data: StaffData) -> User:
    """Change a staff account's details, body, roles and active flag (administrators only).

    A change of roles, disabling or enabling the account, or a new password ends the account's sessions."""
    if not actor.can(Permission.STAFF_MANAGE):
        raise NotAllowed(_l("You may not manage staff accounts."))
    if user.has_role(Role.CITIZEN):
        raise NotAllowed(_l("Citizen accounts are not managed here."))
    email, phone, roles = _validate_staff(data)
    _check_unique(email, None, exclude_id=user.id)
    if user.id == actor.id and (Role.ADMIN not in roles or not data.is_active):
        raise Invalid(_l("You cannot remove your own administrator access."), field="roles")
    # A role taken away or an account disabled must take effect now, not when its sessions end.
    if roles != user.roles or data.is_active != user.is_active or data.password:
        user.end_sessions()
    user.full_name = data.full_name.strip()
    user.email = email
    if phone != user.phone:
        user.phone_confirmed_at = None  # a new number is nobody's proven number yet
    user.phone = phone
    user.language = data.language
    user.body_id = data.body_id
    user.is_active = data.is_active
    current = {r.role: r for r in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in sorted(roles)]
    if data.password:
        user.password_hash = hash_password(data.password)
    db.session.flush()
    return user


def check_account_to_link(user_id: int, body_id: int, **_) -> None:
    """Receiver of reception.directory.signals.account_to_link: only an official's account of the
    official's own body may be linked. Raises Invalid (field ``user_id``)."""
    account = get(User, user_id)
    if account is None or not account.has_role(Role.OFFICIAL):
        raise Invalid(_l("Choose a staff account with the official role."), field="user_id")
    if account.body_id != body_id:
        raise Invalid(_l("The linked account must belong to the same body as the official."), field="user_id")
