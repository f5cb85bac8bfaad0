"""Pages of legal review: flagging (the official's side), the consultants' queue and case page, opinions
with attachments, the official's view of the opinion, and the consultants' log of free consultations."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..audit.services import record_view
from ..booking.models import Appointment
from ..core.clock import local_today, utcnow
from ..core.errors import DomainError, NotAllowed
from ..core.permissions import Permission, require
from ..core.web import attach_error, commit, render_form
from ..directory.queries import body_choices, topic_choices
from ..extensions import db
from ..schedule.models import FORMAT_LABELS
from . import services
from .forms import AttachmentForm, ButtonForm, ConsultationForm, FlagForm, OpinionForm, addressee_choices
from .models import (
    ADDRESSEE_LABELS,
    REVIEW_STATUS_LABELS,
    Addressee,
    LegalOpinion,
    LegalReview,
    OpinionAttachment,
    OpinionStatus,
    ReviewStatus,
)

bp = Blueprint("legal", __name__)



def _review_state(appointment, review) -> dict:
    if review is not None and review.status.value == "withdrawn":
        review = None
    user = current_user
    return {"review": review, "signed": services.latest_signed(review),
            "can_flag": bool(appointment is not None and user.is_authenticated
                             and services.can_flag(user, appointment)),
            "officials_side": bool(appointment is not None and user.is_authenticated
                                   and services.can_read_opinion(user, appointment))}


@bp.app_template_global()
def legal_review_of(appointment) -> dict:
    """For the board and the citizen's page: the appointment's review, its newest signed opinion, and
    whether the current user may flag it or read the opinion."""
    review = services.get_review_for_appointment(appointment.id) if appointment is not None else None
    return _review_state(appointment, review)


@bp.app_template_global()
def legal_reviews_of(appointments) -> dict[int, dict]:
    """``legal_review_of`` for each of a list's appointments, by appointment id, in one go (two queries)."""
    reviews = services.reviews_by_appointment(a.id for a in appointments)
    return {a.id: _review_state(a, reviews.get(a.id)) for a in appointments}


@bp.app_template_global()
def legal_queue_summary() -> dict:
    """For the consultant's home page: the cases waiting in their region's queue and the ones they took, the
    same lists as the queue page (:func:`.services.list_queue`)."""
    waiting, mine = services.list_queue(current_user)
    return {"waiting": waiting, "mine": [r for r in mine if r.status is ReviewStatus.TAKEN],
            "no_region": current_user.region_id is None and not services.is_administrator(current_user)}


# --- the official's side -------------------------------------------------------------------------

def _appointment_for(appointment_id: int, check) -> Appointment:
    appointment = services.get_or_404(Appointment, appointment_id)
    if not check(current_user, appointment):
        abort(403)
    return appointment


@bp.route("/staff/appointments/<int:appointment_id>/legal-review", methods=["GET", "POST"])
@login_required
def flag(appointment_id: int):
    """Send the appointment (or request) to the legal consultants of the citizen's region, with a reason."""
    appointment = _appointment_for(appointment_id, services.can_flag)
    review = services.get_review_for_appointment(appointment.id)
    form = FlagForm()
    context = {"appointment": appointment, "review": review, "signed": services.latest_signed(review),
               "format_labels": FORMAT_LABELS}
    if not form.validate_on_submit():
        if request.method == "GET":
            record_view("appointment", appointment.id, "legal review flag")
            db.session.commit()
        return render_form("legal/flag.html", form, **context)
    try:
        services.flag_for_review(current_user, appointment, form.reason.data, utcnow())
        commit(_l("This case has already been sent for legal review."))
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return render_form("legal/flag.html", form, exc.status, **context)
    flash(_l("The case has been sent to the legal consultants of the citizen's region."), "success")
    return redirect(url_for("legal.flag", appointment_id=appointment.id))


@bp.post("/staff/appointments/<int:appointment_id>/legal-review/withdraw")
@login_required
def withdraw(appointment_id: int):
    appointment = _appointment_for(appointment_id, services.can_flag)
    review = services.get_review_for_appointment(appointment.id)
    if review is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.withdraw_review(current_user, review)
    db.session.commit()
    flash(_l("The legal review has been withdrawn."), "success")
    return redirect(url_for("legal.flag", appointment_id=appointment.id))


@bp.get("/staff/appointments/<int:appointment_id>/legal-opinion")
@login_required
def staff_opinion(appointment_id: int):
    """The official's side reads the review's state and every signed version of the opinion."""
    appointment = _appointment_for(appointment_id, services.can_read_opinion)
    review = services.get_review_for_appointment(appointment.id)
    if review is None:
        abort(404)
    record_view("appointment", appointment.id, "legal opinion")
    db.session.commit()
    signed = [o for o in review.opinions if o.status in services.FINAL]
    return render_template("legal/staff_opinion.html", appointment=appointment, review=review,
                           opinions=list(reversed(signed)), tz=services.review_timezone(review))


# --- the consultants -----------------------------------------------------------------------------

def _review_in_queue(review_id: int) -> LegalReview:
    review = services.get_or_404(LegalReview, review_id)
    if not services.in_queue_of(current_user, review):
        abort(403)
    return review


def _opinion_in_queue(opinion_id: int) -> LegalOpinion:
    opinion = services.get_or_404(LegalOpinion, opinion_id)
    if not services.in_queue_of(current_user, opinion.review):
        abort(403)
    return opinion


@bp.get("/legal/")
@require(Permission.LEGAL_REVIEW)
def queue():
    waiting, mine = services.list_queue(current_user)
    return render_template("legal/queue.html", waiting=waiting, mine=mine,
                           status_labels=REVIEW_STATUS_LABELS, no_region=current_user.region_id is None
                           and not services.is_administrator(current_user))


def _opinion_form(opinion: LegalOpinion | None, formdata=None) -> OpinionForm:
    form = OpinionForm(formdata=formdata, obj=opinion if formdata is None else None)
    form.addressee.choices = addressee_choices()
    if formdata is None and opinion is not None:
        form.addressee.data = opinion.addressee.value if opinion.addressee else ""
        form.addressee_body_id.data = opinion.addressee_body_id or 0
    include = opinion.addressee_body_id if opinion is not None else None
    form.addressee_body_id.choices = body_choices(blank_label="—", include_id=include)
    return form


def _case_page(review: LegalReview, opinion_form: OpinionForm | None = None,
               attachment_form: AttachmentForm | None = None, status: int | None = None):
    draft = services.current_draft(review)
    writer = services.can_write(current_user, review)
    if opinion_form is None and draft is not None and writer:
        opinion_form = _opinion_form(draft)
    return render_template("legal/review.html", review=review, appointment=review.appointment, draft=draft,
                           writer=writer, opinion_form=opinion_form,
                           attachment_form=attachment_form or AttachmentForm(), tz=services.review_timezone(review),
                           format_labels=FORMAT_LABELS, max_mb=current_app.config["MAX_ATTACHMENT_MB"],
                           opinions=list(reversed(review.opinions))), status or 200


@bp.get("/legal/reviews/<int:review_id>")
@require(Permission.LEGAL_REVIEW)
def review(review_id: int):
    """The case: what the citizen submitted, the assistant's reason, and every version of the opinion."""
    case = _review_in_queue(review_id)
    record_view("legal_review", case.id, "legal case")
    db.session.commit()
    return _case_page(case)


@bp.post("/legal/reviews/<int:review_id>/take")
@require(Permission.LEGAL_REVIEW)
def take(review_id: int):
    case = _review_in_queue(review_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.take_review(current_user, case, utcnow())
    db.session.commit()
    flash(_l("The case is yours. It has left the queue."), "success")
    return redirect(url_for("legal.review", review_id=case.id))


@bp.post("/legal/reviews/<int:review_id>/opinions")
@require(Permission.LEGAL_REVIEW)
def opinion_new(review_id: int):
    """Start the first draft, or make a new version from the newest signed one."""
    case = _review_in_queue(review_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    opinion = services.start_opinion(current_user, case, utcnow())
    commit(services.MSG_VERSION_RACE)
    flash(_l("Draft version %(n)d is ready to edit.", n=opinion.version), "success")
    return redirect(url_for("legal.review", review_id=case.id, _anchor="draft"))


def _opinion_data(form: OpinionForm) -> services.OpinionData:
    return services.OpinionData(
        findings=form.findings.data or "", assessment=form.assessment.data or "",
        conclusion=form.conclusion.data or "", recommended_action=form.recommended_action.data or "",
        addressee=Addressee(form.addressee.data) if form.addressee.data else None,
        addressee_body_id=form.addressee_body_id.data or None, addressee_detail=form.addressee_detail.data or None)


@bp.post("/legal/opinions/<int:opinion_id>")
@require(Permission.LEGAL_REVIEW)
def opinion_save(opinion_id: int):
    """Save the draft; with the button ``sign``, save and sign it."""
    opinion = _opinion_in_queue(opinion_id)
    case = opinion.review
    if not services.can_write(current_user, case):
        raise NotAllowed(services.MSG_NOT_YOUR_CASE)
    if opinion.status is not OpinionStatus.DRAFT:
        return _locked(case)
    form = _opinion_form(opinion, formdata=request.form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _case_page(case, opinion_form=form, status=422)
    now = utcnow()
    try:
        services.save_opinion(current_user, opinion, _opinion_data(form), now)
        if "sign" in request.form:
            services.sign_opinion(current_user, opinion, now)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        form = _opinion_form(opinion, formdata=request.form)
        form.validate()
        attach_error(form, exc)
        return _case_page(case, opinion_form=form, status=exc.status)
    flash(_l("The opinion is signed.") if "sign" in request.form else _l("The draft is saved."), "success")
    return redirect(url_for("legal.review", review_id=case.id, _anchor="draft"))


def _locked(case: LegalReview):
    db.session.rollback()
    return render_template("errors/error.html", status=409, message=str(services.MSG_LOCKED)), 409


@bp.post("/legal/opinions/<int:opinion_id>/send")
@require(Permission.LEGAL_REVIEW)
def send(opinion_id: int):
    opinion = _opinion_in_queue(opinion_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.send_opinion(current_user, opinion, utcnow())
    db.session.commit()
    flash(_l("Recorded: the opinion has been sent to the addressee."), "success")
    return redirect(url_for("legal.review", review_id=opinion.review_id))


def _max_bytes() -> int:
    return int(current_app.config["MAX_ATTACHMENT_MB"]) * 1024 * 1024


def _too_large() -> services.TooLarge:
    return services.TooLarge(_l("The file is too large: at most %(mb)s MB.", mb=_max_bytes() // (1024 * 1024)))


def _upload_body_limit():
    """Before any hook reads the form (the NUL check, CSRF): an opinion's attachment may be larger than
    RECEPTION_MAX_CONTENT_LENGTH, up to RECEPTION_MAX_ATTACHMENT_MB; a larger body is a clear 413."""
    if request.endpoint != "legal.upload" or request.method != "POST":
        return
    request.max_content_length = _max_bytes() + 256 * 1024  # room for the form around the file
    if request.content_length is not None and request.content_length > request.max_content_length:
        raise _too_large()
    return


@bp.record_once
def _register_upload_limit(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_body_limit)


@bp.post("/legal/opinions/<int:opinion_id>/attachments")
@require(Permission.LEGAL_REVIEW)
def upload(opinion_id: int):
    opinion = _opinion_in_queue(opinion_id)
    if not services.can_write(current_user, opinion.review):
        raise NotAllowed(services.MSG_NOT_YOUR_CASE)
    max_bytes = _max_bytes()
    try:
        form = AttachmentForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:  # a body without a Content-Length that ran over
        raise _too_large() from None
    if form.csrf_token.errors:
        abort(400)
    if not valid:
        return _case_page(opinion.review, attachment_form=form, status=422)
    upload_file = form.file.data
    data = upload_file.read(max_bytes + 1)
    try:
        services.add_attachment(current_user, opinion, upload_file.filename or "", data, max_bytes, utcnow())
    except services.TooLarge:
        raise
    except DomainError as exc:
        db.session.rollback()
        if exc.status != 422:
            raise
        attach_error(form, exc)
        return _case_page(opinion.review, attachment_form=form, status=422)
    db.session.commit()
    flash(_l("The file has been attached."), "success")
    return redirect(url_for("legal.review", review_id=opinion.review_id, _anchor="draft"))


@bp.post("/legal/attachments/<int:attachment_id>/remove")
@require(Permission.LEGAL_REVIEW)
def attachment_remove(attachment_id: int):
    attachment = services.get_or_404(OpinionAttachment, attachment_id)
    if not services.in_queue_of(current_user, attachment.opinion.review):
        abort(403)
    if not ButtonForm().validate_on_submit():
        abort(400)
    review_id = attachment.opinion.review_id
    services.remove_attachment(current_user, attachment)
    db.session.commit()
    flash(_l("The file has been removed."), "success")
    return redirect(url_for("legal.review", review_id=review_id, _anchor="draft"))


@bp.get("/legal/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """Download a file: consultants of the case's queue, the official's side once the opinion is signed."""
    item = services.get_or_404(OpinionAttachment, attachment_id)
    if not services.can_download(current_user, item):
        abort(403)
    record_view("opinion_attachment", item.id, "attachment download")
    db.session.commit()
    name = item.filename.encode("ascii", "replace").decode().replace("?", "_")
    from urllib.parse import quote
    return current_app.response_class(item.data, mimetype=item.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


# --- free consultations --------------------------------------------------------------------------

@bp.route("/legal/consultations/", methods=["GET", "POST"])
@require(Permission.LEGAL_REVIEW)
def consultations():
    """The consultant's log of free consultations given at receptions, and a form to add one."""
    form = ConsultationForm()
    form.topic_id.choices = topic_choices(blank_label="—")
    form.appointment_id.choices = [(0, "—")] + [
        (a.id, f"{a.talon_number or '#' + str(a.id)} · {a.official.full_name} · {a.topic.name}")
        for a in services.consultation_appointments(current_user)]
    if request.method == "GET" and not form.given_on.data:
        form.given_on.data = local_today(current_user.timezone)

    def page(status=None):
        return render_form("legal/consultations.html", form, status,
                           consultations=services.list_consultations(current_user))

    if not form.validate_on_submit():
        return page()
    try:
        services.record_consultation(current_user, form.given_on.data, form.topic_id.data, form.summary.data,
                                     form.appointment_id.data or None, local_today(current_user.timezone), utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return page(exc.status)
    flash(_l("The consultation has been logged."), "success")
    return redirect(url_for("legal.consultations"))


# Labels the templates use.
@bp.app_template_global()
def addressee_labels():
    return ADDRESSEE_LABELS
