"""Registration, login, logout, password reset, profile, and staff administration."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from ..core.clock import utcnow
from ..core.errors import DomainError
from ..core.forms import FlaskForm
from ..core.i18n import current_language
from ..core.permissions import Permission, Role, require
from ..core.web import attach_error, commit, render_form, safe_next
from ..directory.queries import body_choices, get, region_choices
from ..extensions import db, limiter
from . import codes, services, throttle
from .forms import (
    ConfirmPhoneForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetWithCodeForm,
    StaffForm,
)
from .models import User
from .queries import list_staff
from .sessions import start_session

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_ATTEMPTS"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ATTEMPTS_PER_ADDRESS"]


def _failed(response) -> bool:
    # A wrong password (or a bad form); not a refusal by the throttle itself, which tested no password.
    return response.status_code not in (302, 429)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: "5 per minute;20 per hour;50 per day", methods=["POST"])  # per address: a family, a cafe
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    form.region_id.choices = region_choices(blank_label=_l("Choose your region"))
    if request.method == "GET":
        form.language.data = current_language()
    if form.validate_on_submit():
        try:
            user = services.register_citizen(services.Registration(
                iin=form.iin.data, full_name=form.full_name.data, phone=form.phone.data, email=form.email.data,
                password=form.password.data, language=form.language.data, region_id=form.region_id.data,
                notify_visiting=form.notify_visiting.data), utcnow())
            commit(_l("An account with this IIN or e-mail already exists."))
        except DomainError as exc:
            attach_error(form, exc)
            return render_form("accounts/register.html", form, exc.status)
        start_session(user)
        flash(_l("Welcome! Your account has been created."), "success")
        if user.must_confirm_phone:  # phone-only: the code is needed before booking
            flash(_l("We have sent a code to your phone by SMS: enter it to confirm the number."), "info")
            return redirect(url_for("accounts.confirm_phone"))
        return redirect(url_for("main.home"))
    return render_form("accounts/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
# Failures count per account (however it was named) and per address, from devices that have not logged in to
# the account before; from a device that has, per device instead (see .throttle): others' failures never lock
# the owner out, and a stolen device cookie still meets growing delays.
@limiter.limit(_login_limit, key_func=throttle.account_key, methods=["POST"], deduct_when=_failed,
               exempt_when=throttle.is_known_device)
@limiter.limit(_address_limit, key_func=throttle.address_key, methods=["POST"], deduct_when=_failed,
               exempt_when=throttle.is_known_device)
@limiter.limit(_login_limit, key_func=throttle.device_key, methods=["POST"], deduct_when=_failed,
               exempt_when=throttle.is_unknown_device)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            db.session.commit()
            start_session(user)
            return throttle.remember_device(redirect(safe_next(request.args.get("next"), url_for("main.home"))),
                                            user.id)
        form.form_errors.append(str(_l("Wrong e-mail, IIN, phone or password.")))
        return render_form("accounts/login.html", form, 401)
    return render_form("accounts/login.html", form)


@bp.post("/logout")
def logout():
    # A copied cookie of this session must stop working too, and a signed cookie cannot be recalled:
    # logging out ends every session of the account (it raises the session version).
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    flash(_l("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: "10 per hour", methods=["POST"])
# Per account named (or per login typed, when it names none: the same answer either way), so SMS codes to one
# phone cannot be asked for in a loop from many addresses.
@limiter.limit(lambda: "3 per 10 minutes;10 per day", key_func=throttle.reset_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.login.data, utcnow())
        db.session.commit()
        if "@" in form.login.data:
            flash(_l("If an account matches, we have sent a link to reset the password. "
                     "Check your e-mail."), "info")
            return redirect(url_for("accounts.login"))
        # An IIN or a phone: the account may be phone-only (a code by SMS) or not (a link by e-mail). The login is
        # not kept for the next form: the session is a cookie anyone can read, and a shared computer keeps it.
        flash(_l("If an account matches, we have sent a code to its phone by SMS (or, for an account with an "
                 "e-mail, a link to its e-mail). Enter the code here."), "info")
        return redirect(url_for("accounts.reset_with_code"))
    return render_form("accounts/forgot.html", form)


@bp.route("/password/reset/code", methods=["GET", "POST"])
@limiter.limit(lambda: "20 per hour", methods=["POST"])
def reset_with_code():
    """A new password with the code sent by SMS (each code takes a few wrong tries, then dies)."""
    form = ResetWithCodeForm()
    if form.validate_on_submit():
        refused = _with_code(form, "accounts/reset_code.html", lambda: services.reset_password_with_code(
            form.login.data, form.code.data, form.password.data, utcnow()))
        if refused:
            return refused
        flash(_l("Your password has been changed. You can log in now."), "success")
        return redirect(url_for("accounts.login"))
    return render_form("accounts/reset_code.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
            db.session.commit()
        except DomainError as exc:
            attach_error(form, exc)
            return render_form("accounts/reset.html", form, exc.status)
        flash(_l("Your password has been changed. You can log in now."), "success")
        return redirect(url_for("accounts.login"))
    return render_form("accounts/reset.html", form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    form.stored_phone = current_user.phone
    form.region_id.choices = region_choices(blank_label="—")
    if current_user.is_phone_only:
        form.sms_only()
    if not current_user.has_role(Role.CITIZEN):
        del form.notify_visiting
    if request.method == "GET":
        form.region_id.data = current_user.region_id or 0
    if form.validate_on_submit():
        current_user.full_name = form.full_name.data.strip()
        old_phone = current_user.phone
        try:
            code_sent = services.change_phone(current_user, form.phone.data, utcnow()) if form.phone.data else False
            services.set_notify_by(current_user, form.notify_by.data)
        except DomainError as exc:
            attach_error(form, exc)
            return render_form("accounts/profile.html", form, exc.status)
        if form.region_id.data:
            current_user.region_id = form.region_id.data
        current_user.language = form.language.data
        if "notify_visiting" in form:
            current_user.notify_visiting = form.notify_visiting.data
        db.session.commit()
        flash(_l("Your profile has been saved."), "success")
        # A new number is confirmed next (its code is on its way); so is a phone-only account's, needed to book.
        if current_user.phone != old_phone or current_user.must_confirm_phone:
            if code_sent:
                flash(_l("We have sent a code to your new phone number by SMS: enter it to confirm the number."),
                      "info")
            return redirect(url_for("accounts.confirm_phone"))
        return redirect(url_for("accounts.profile"))
    return render_form("accounts/profile.html", form)


@bp.route("/profile/phone", methods=["GET", "POST"])
@login_required
def confirm_phone():
    """Confirm the account's phone with the code sent to it by SMS."""
    form = ConfirmPhoneForm()
    if current_user.phone_confirmed_at is None and current_user.phone and form.validate_on_submit():
        refused = _with_code(form, "accounts/confirm_phone.html",
                             lambda: services.confirm_phone(current_user, form.code.data, utcnow()))
        if refused:
            return refused
        flash(_l("Your phone number is confirmed."), "success")
        return redirect(url_for("main.home"))
    return render_form("accounts/confirm_phone.html", form)


@bp.post("/profile/phone/code")
@login_required
def send_phone_code():
    """Send a new confirmation code (throttled per account and per phone: 429 when too soon)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.send_confirmation_code(current_user, utcnow())
        db.session.commit()
    except DomainError as exc:
        form = ConfirmPhoneForm(formdata=None)
        form.form_errors.append(str(exc.message))
        return render_form("accounts/confirm_phone.html", form, exc.status)
    flash(_l("We have sent a new code by SMS."), "success")
    return redirect(url_for("accounts.confirm_phone"))


@bp.post("/profile/sessions/end")
@login_required
def end_other_sessions():
    """Log out everywhere else: every other session ends; this one goes on with the new version."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.end_sessions(current_user)
    db.session.commit()
    start_session(current_user)
    flash(_l("You have been logged out on every other device and browser."), "success")
    return redirect(url_for("accounts.profile"))


# --- staff administration ----------------------------------------------------

def _staff_form(user: User | None = None) -> StaffForm:
    form = StaffForm(obj=user)
    form.body_id.choices = body_choices(blank_label=_l("— no body (administrator, monitor) —"),
                                        include_id=user.body_id if user else None)
    if user is not None and request.method == "GET":
        form.body_id.data = user.body_id or 0
        form.roles.data = [r.value for r in user.roles]
    return form


def _staff_data(form: StaffForm) -> services.StaffData:
    return services.StaffData(
        full_name=form.full_name.data, email=form.email.data, phone=form.phone.data or None,
        language=form.language.data, body_id=form.body_id.data or None, roles=form.roles.data or [],
        is_active=form.is_active.data, password=form.password.data or None)


@bp.get("/admin/staff")
@require(Permission.STAFF_MANAGE)
def staff_list():
    return render_template("accounts/staff_list.html", staff=list_staff())


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@require(Permission.STAFF_MANAGE)
def staff_new():
    form = _staff_form()
    if form.validate_on_submit():
        try:
            services.create_staff(current_user, _staff_data(form))
            commit(_l("An account with this e-mail already exists."))
        except DomainError as exc:
            attach_error(form, exc)
            return render_form("accounts/staff_form.html", form, exc.status, staff=None)
        flash(_l("The staff account has been created."), "success")
        return redirect(url_for("accounts.staff_list"))
    return render_form("accounts/staff_form.html", form, staff=None)


@bp.route("/admin/staff/<int:user_id>", methods=["GET", "POST"])
@require(Permission.STAFF_MANAGE)
def staff_edit(user_id: int):
    staff = get(User, user_id)
    if staff is None or not staff.is_staff:
        abort(404)
    form = _staff_form(staff)
    if form.validate_on_submit():
        try:
            services.update_staff(current_user, staff, _staff_data(form))
            commit(_l("An account with this e-mail already exists."))
        except DomainError as exc:
            attach_error(form, exc)
            return render_form("accounts/staff_form.html", form, exc.status, staff=staff)
        if staff.id == current_user.id:
            start_session(current_user)  # an administrator's own change ends their other sessions only
        flash(_l("The staff account has been saved."), "success")
        return redirect(url_for("accounts.staff_list"))
    return render_form("accounts/staff_form.html", form, staff=staff)


def _with_code(form, template: str, act):
    """Run ``act`` (a service checking an SMS code) and commit; on a refusal, the form again with the message
    and the refusal's status. A wrong code is committed too: the try counts against the code."""
    try:
        act()
        db.session.commit()
    except codes.WrongCode as exc:
        db.session.commit()
        attach_error(form, exc)
        return render_form(template, form, exc.status)
    except DomainError as exc:
        attach_error(form, exc)
        return render_form(template, form, exc.status)
    return None
