"""Legal review: flagging a case, the consultants' queue, versioned opinions with attachments, free consultations.

Who may do what:

- the official's side (an assistant of the official's body, an administrator) flags an appointment
  or request for review and may withdraw the flag while no opinion is signed;
- legal consultants see the reviews of their own region (``User.region_id``; the review's region is
  the citizen's) and take one; only the consultant who took a case writes its opinions;
- the official (and the official's side) read signed opinions; the citizen sees only that a signed
  opinion exists, and its conclusion.

Services add and flush; the view commits. They raise ``reception.core.errors`` exceptions.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User, UserRole
from ..audit.services import record_change
from ..booking.models import Appointment, Participant
from ..booking.policy import is_officials_side
from ..core.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from ..core.permissions import Permission, Role
from ..core.web import absolute_url
from ..directory.models import Body, BodyLevel, Topic
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from .models import (
    Addressee,
    FreeConsultation,
    LegalOpinion,
    LegalReview,
    OpinionAttachment,
    OpinionStatus,
    ReviewStatus,
)

MSG_NOT_FOUND = _l("The page or record you asked for does not exist.")
MSG_NOT_YOUR_QUEUE = _l("This case is in the queue of another region's legal consultants.")
MSG_NOT_YOUR_CASE = _l("Only the legal consultant who took this case may write its opinion.")
MSG_LOCKED = _l("This opinion is signed and can no longer be changed. Make a new version to change it.")
MSG_VERSION_RACE = _l("Someone has just made a new version of this opinion. Reload the page.")

#: Statuses whose opinion others may read (the official's side, the citizen's conclusion).
FINAL = (OpinionStatus.SIGNED, OpinionStatus.SENT)


class TooLarge(DomainError):
    """An uploaded file is larger than the configured maximum (413)."""

    status = 413


# --- who may do what --------------------------------------------------------------------------

def can_flag(user, appointment: Appointment) -> bool:
    """An assistant of the official's body (LEGAL_FLAG_OWN) or an administrator (LEGAL_FLAG)."""
    return (user.is_authenticated and user.is_active
            and user.can_in_body(Permission.LEGAL_FLAG, appointment.official.body_id))


def can_read_opinion(user, appointment: Appointment) -> bool:
    """The official's side of the appointment for legal review (the official, whoever may flag their cases)."""
    return is_officials_side(user, appointment, Permission.LEGAL_FLAG)


def is_administrator(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def in_queue_of(user, review: LegalReview) -> bool:
    """The review is in the user's queue: a consultant of its region (administrators see every region)."""
    if not (user.is_authenticated and user.is_active and user.can(Permission.LEGAL_REVIEW)):
        return False
    return is_administrator(user) or (review.region_id is not None and review.region_id == user.region_id)


def can_write(user, review: LegalReview) -> bool:
    """Only the consultant who took the case writes, while it is taken (or done, for a new version)."""
    return (user.is_authenticated and review.consultant_id == user.id
            and review.status in (ReviewStatus.TAKEN, ReviewStatus.DONE) and in_queue_of(user, review))


def can_download(user, attachment: OpinionAttachment) -> bool:
    """Consultants of the case's queue; the official's side once the opinion is signed."""
    review = attachment.opinion.review
    if in_queue_of(user, review):
        return True
    return attachment.opinion.status in FINAL and can_read_opinion(user, review.appointment)


def _check_queue(user, review: LegalReview) -> None:
    if not in_queue_of(user, review):
        raise NotAllowed(MSG_NOT_YOUR_QUEUE)


def _check_writer(user, review: LegalReview) -> None:
    _check_queue(user, review)
    if not can_write(user, review):
        raise NotAllowed(MSG_NOT_YOUR_CASE)


# --- reads ------------------------------------------------------------------------------------

def get_review_for_appointment(appointment_id: int) -> LegalReview | None:
    return db.session.scalar(select(LegalReview).where(LegalReview.appointment_id == appointment_id))


def reviews_by_appointment(appointment_ids) -> dict[int, LegalReview]:
    """The reviews of these appointments (those that have one), with their opinions, in two queries."""
    appointment_ids = list(appointment_ids)
    if not appointment_ids:
        return {}
    rows = db.session.scalars(select(LegalReview).where(LegalReview.appointment_id.in_(appointment_ids))
                              .options(selectinload(LegalReview.opinions).joinedload(LegalOpinion.addressee_body)))
    return {review.appointment_id: review for review in rows}


def latest_signed(review: LegalReview | None) -> LegalOpinion | None:
    """The newest signed (or sent) version, or None."""
    if review is None:
        return None
    signed = [o for o in review.opinions if o.status in FINAL]
    return signed[-1] if signed else None


def current_draft(review: LegalReview) -> LegalOpinion | None:
    return next((o for o in review.opinions if o.status is OpinionStatus.DRAFT), None)


#: What the queue shows of each case.
_QUEUE_DETAILS = (joinedload(LegalReview.region),
                  joinedload(LegalReview.appointment).options(joinedload(Appointment.topic),
                                                              joinedload(Appointment.official)))


def list_queue(user) -> tuple[list[LegalReview], list[LegalReview]]:
    """Reviews of the user's region waiting to be taken, and the ones the user took (newest first)."""
    waiting = select(LegalReview).where(LegalReview.status == ReviewStatus.QUEUED)
    if not is_administrator(user):
        waiting = waiting.where(LegalReview.region_id == user.region_id) if user.region_id else None
    waiting_rows = list(db.session.scalars(waiting.options(*_QUEUE_DETAILS)
                                           .order_by(LegalReview.created_at, LegalReview.id))) \
        if waiting is not None else []
    mine = select(LegalReview).where(LegalReview.consultant_id == user.id,
                                     LegalReview.status != ReviewStatus.WITHDRAWN)
    if not is_administrator(user):
        mine = mine.where(LegalReview.region_id == user.region_id)
    mine_rows = list(db.session.scalars(mine.options(*_QUEUE_DETAILS)
                                        .order_by(LegalReview.taken_at.desc(), LegalReview.id)))
    return waiting_rows, mine_rows


def review_timezone(review: LegalReview) -> str:
    appointment = review.appointment
    return appointment.session.timezone if appointment.session is not None else appointment.official.body.timezone


# --- flagging ---------------------------------------------------------------------------------

def flag_for_review(actor, appointment: Appointment, reason: str, now: datetime) -> LegalReview:
    """Put the appointment (or request) into the legal consultants' queue of the citizen's region.

    A withdrawn review is put back in the queue; any other existing review is a Conflict.
    Tells the region's consultants (e-mail/SMS). Raises NotAllowed, Conflict.
    """
    if not can_flag(actor, appointment):
        raise NotAllowed(_l("Only the official's reception staff may ask for a legal review."))
    review = get_review_for_appointment(appointment.id)
    if review is not None and review.status is not ReviewStatus.WITHDRAWN:
        raise Conflict(_l("This case has already been sent for legal review."))
    if review is None:
        review = LegalReview(appointment=appointment)
        db.session.add(review)
    else:
        # Put back after a withdrawal: the earlier consultant's unsigned drafts go (nothing was signed).
        for draft in [o for o in review.opinions if o.status is OpinionStatus.DRAFT]:
            for attachment in draft.attachments:
                db.session.delete(attachment)
            db.session.delete(draft)
        db.session.flush()
        db.session.expire(review, ["opinions"])
    review.region_id = appointment.citizen.region_id
    review.reason = reason
    review.status = ReviewStatus.QUEUED
    review.flagged_by_id = actor.id
    review.consultant_id = None
    review.taken_at = None
    review.created_at = now
    try:
        db.session.flush()
    except IntegrityError:  # flagged by someone else at the same moment (one review per appointment)
        raise Conflict(_l("This case has already been sent for legal review.")) from None
    _announce_queued(review)
    return review


def withdraw_review(actor, review: LegalReview) -> None:
    """Take the case back out of review; refused once an opinion is signed. Raises NotAllowed, Conflict."""
    if not can_flag(actor, review.appointment):
        raise NotAllowed(_l("Only the official's reception staff may withdraw a legal review."))
    if latest_signed(review) is not None or review.status not in (ReviewStatus.QUEUED, ReviewStatus.TAKEN):
        raise Conflict(_l("An opinion has already been signed: the review can no longer be withdrawn."))
    review.status = ReviewStatus.WITHDRAWN
    db.session.flush()


def take_review(actor, review: LegalReview, now: datetime) -> None:
    """The consultant takes a queued case. Race-safe: a conditional UPDATE, so of two consultants
    taking at once exactly one wins; the other gets a Conflict. Raises NotAllowed, Conflict."""
    _check_queue(actor, review)
    if not actor.has_role(Role.LEGAL_CONSULTANT):
        raise NotAllowed(_l("Only legal consultants take cases."))
    result = db.session.execute(
        update(LegalReview).where(LegalReview.id == review.id, LegalReview.status == ReviewStatus.QUEUED)
        .values(status=ReviewStatus.TAKEN, consultant_id=actor.id, taken_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Another consultant has already taken this case, or it was withdrawn."))
    record_change("legal_review", review.id, {"status": (ReviewStatus.QUEUED, ReviewStatus.TAKEN),
                                              "consultant_id": (None, actor.id)})
    db.session.flush()
    db.session.expire(review)


# --- opinions ---------------------------------------------------------------------------------

@dataclass
class OpinionData:
    findings: str = ""
    assessment: str = ""
    conclusion: str = ""
    recommended_action: str = ""
    addressee: Addressee | None = None
    addressee_body_id: int | None = None
    addressee_detail: str | None = None


def start_opinion(actor, review: LegalReview, now: datetime) -> LegalOpinion:
    """A new draft: version 1, or a copy (with attachments) of the newest signed version as version + 1.

    Not flushed: the caller's commit turns a twin version made at the same moment into a Conflict
    (unique review and version). Raises NotAllowed, Conflict.
    """
    _check_writer(actor, review)
    if current_draft(review) is not None:
        raise Conflict(_l("A draft already exists: finish it first."))
    last = review.opinions[-1] if review.opinions else None
    opinion = LegalOpinion(review_id=review.id, version=(last.version + 1) if last else 1,
                           status=OpinionStatus.DRAFT, author_id=actor.id, created_at=now, updated_at=now)
    db.session.add(opinion)
    if last is not None:
        for name in ("findings", "assessment", "conclusion", "recommended_action", "addressee",
                     "addressee_body_id", "addressee_detail"):
            setattr(opinion, name, getattr(last, name))
        opinion.attachments = [
            OpinionAttachment(filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256,
                              data=a.data, uploaded_by_id=actor.id, created_at=now) for a in last.attachments]
    return opinion


def _check_draft(actor, opinion: LegalOpinion) -> None:
    _check_writer(actor, opinion.review)
    if opinion.status is not OpinionStatus.DRAFT:
        raise Conflict(MSG_LOCKED)


def _check_addressee(data: OpinionData) -> None:
    if data.addressee in (Addressee.CENTRAL_BODY, Addressee.LOCAL_BODY):
        body = get(Body, data.addressee_body_id) if data.addressee_body_id else None
        if body is None:
            raise Invalid(_l("Choose the executive body the case should go to."), field="addressee_body_id")
        central = body.level in (BodyLevel.CENTRAL, BodyLevel.PRESIDENTIAL)
        if central != (data.addressee is Addressee.CENTRAL_BODY):
            raise Invalid(_l("This body does not match the kind of addressee: choose a central body for "
                             "a central executive body, a local one for a local executive body."),
                          field="addressee_body_id")
    elif data.addressee_body_id:
        raise Invalid(_l("A body is chosen only for a central or local executive body."), field="addressee_body_id")
    if data.addressee is Addressee.COURT_REVIEW and not data.addressee_detail:
        raise Invalid(_l("Say which court decision should be reviewed."), field="addressee_detail")


def save_opinion(actor, opinion: LegalOpinion, data: OpinionData, now: datetime) -> None:
    """Change a draft. A signed version is locked (Conflict). Raises NotAllowed, Conflict, Invalid."""
    _check_draft(actor, opinion)
    _check_addressee(data)
    opinion.findings, opinion.assessment = data.findings, data.assessment
    opinion.conclusion, opinion.recommended_action = data.conclusion, data.recommended_action
    opinion.addressee = data.addressee
    opinion.addressee_body_id = data.addressee_body_id if data.addressee_body_id else None
    opinion.addressee_detail = data.addressee_detail or None
    opinion.updated_at = now
    db.session.flush()


def sign_opinion(actor, opinion: LegalOpinion, now: datetime) -> None:
    """Sign (lock) a complete draft and tell the official's side. Raises NotAllowed, Conflict, Invalid."""
    _check_draft(actor, opinion)
    missing = [label for label, value in ((_l("findings"), opinion.findings),
                                          (_l("legal assessment"), opinion.assessment),
                                          (_l("conclusion"), opinion.conclusion),
                                          (_l("recommended action"), opinion.recommended_action),
                                          (_l("addressee"), opinion.addressee)) if not value]
    if missing:
        raise Invalid(_l("Fill in before signing: %(fields)s.", fields=", ".join(str(m) for m in missing)))
    _check_addressee(OpinionData(addressee=opinion.addressee, addressee_body_id=opinion.addressee_body_id,
                                 addressee_detail=opinion.addressee_detail))
    opinion.status = OpinionStatus.SIGNED
    opinion.signed_at = now
    db.session.flush()
    _announce_signed(opinion)


def send_opinion(actor, opinion: LegalOpinion, now: datetime) -> None:
    """Record that the signed opinion went to its addressee; the review is done. Raises NotAllowed, Conflict."""
    _check_writer(actor, opinion.review)
    if opinion.status is not OpinionStatus.SIGNED:
        raise Conflict(_l("Only a signed opinion that has not been sent yet can be sent."))
    opinion.status = OpinionStatus.SENT
    opinion.sent_at = now
    opinion.review.status = ReviewStatus.DONE
    db.session.flush()


# --- attachments ------------------------------------------------------------------------------

#: Accepted kinds: extension -> (content type, how the file starts).
ATTACHMENT_KINDS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
}


def _clean_filename(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    stem, ext = os.path.splitext(name)
    return (stem[: 255 - len(ext)] + ext) if name else ""


def add_attachment(actor, opinion: LegalOpinion, filename: str, data: bytes, max_bytes: int,
                   now: datetime) -> OpinionAttachment:
    """Attach a PDF, JPEG, PNG or DOCX file to a draft (type checked by its name and its first bytes).

    Raises TooLarge (413), Invalid (422: wrong type or empty), NotAllowed, Conflict (a signed version).
    """
    _check_draft(actor, opinion)
    if len(data) > max_bytes:
        raise TooLarge(_l("The file is too large: at most %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    name = _clean_filename(filename)
    kind = ATTACHMENT_KINDS.get(os.path.splitext(name)[1].lower())
    if not data:
        raise Invalid(_l("The file is empty."), field="file")
    if kind is None or not data.startswith(kind[1]):
        raise Invalid(_l("Attach a PDF, JPEG, PNG or DOCX file."), field="file")
    attachment = OpinionAttachment(opinion=opinion, filename=name, content_type=kind[0], size=len(data),
                                   sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by_id=actor.id,
                                   created_at=now)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def remove_attachment(actor, attachment: OpinionAttachment) -> None:
    """Remove a file from a draft. Raises NotAllowed, Conflict (a signed version)."""
    _check_draft(actor, attachment.opinion)
    db.session.delete(attachment)
    db.session.flush()


# --- free consultations -----------------------------------------------------------------------

def consultation_appointments(user) -> list[Appointment]:
    """Receptions a consultant may log a consultation at: those they took part in or examined."""
    taken = select(LegalReview.appointment_id).where(LegalReview.consultant_id == user.id)
    took_part = select(Participant.appointment_id).where(Participant.user_id == user.id)
    return list(db.session.scalars(select(Appointment).where(or_(Appointment.id.in_(taken),
                                                                 Appointment.id.in_(took_part)))
                                   .order_by(Appointment.id.desc()).limit(200)))


def record_consultation(actor, given_on: date, topic_id: int, summary: str, appointment_id: int | None,
                        today: date, now: datetime) -> FreeConsultation:
    """Log a free consultation the consultant gave. Raises Invalid (a future date, an unknown topic or
    a reception the consultant had nothing to do with)."""
    if given_on > today:
        raise Invalid(_l("The date cannot be in the future."), field="given_on")
    if get(Topic, topic_id) is None:
        raise Invalid(_l("Choose a topic from the list."), field="topic_id")
    if appointment_id and appointment_id not in {a.id for a in consultation_appointments(actor)}:
        raise Invalid(_l("Choose a reception from the list."), field="appointment_id")
    consultation = FreeConsultation(consultant_id=actor.id, given_on=given_on, topic_id=topic_id, summary=summary,
                                    appointment_id=appointment_id or None, created_at=now)
    db.session.add(consultation)
    db.session.flush()
    return consultation


def list_consultations(user) -> list[FreeConsultation]:
    return list(db.session.scalars(select(FreeConsultation).where(FreeConsultation.consultant_id == user.id)
                                   .order_by(FreeConsultation.given_on.desc(), FreeConsultation.id.desc())))


# --- notifications ----------------------------------------------------------------------------


def _staff(role: Role, *conditions) -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole)
                                   .where(UserRole.role == role, User.is_active, *conditions).order_by(User.id)))


def _announce_queued(review: LegalReview) -> None:
    """Tell the legal consultants of the review's region that a case waits in their queue."""
    if review.region_id is None:
        return
    url = absolute_url("legal.review", review_id=review.id)
    for user in _staff(Role.LEGAL_CONSULTANT, User.region_id == review.region_id):
        notify(user, "legal_review_queued", _l("A case is waiting for a legal review"),
               "legal_review_queued", review=review, appointment=review.appointment, case_url=url)


def _announce_signed(opinion: LegalOpinion) -> None:
    """Tell the official's side (the assistants of the official's body, and the official) that an opinion
    was signed."""
    appointment = opinion.review.appointment
    official = appointment.official
    people = _staff(Role.ASSISTANT, User.body_id == official.body_id)
    if official.user_id and official.user_id not in {u.id for u in people}:
        user = db.session.get(User, official.user_id)
        if user is not None and user.is_active:
            people.append(user)
    url = absolute_url("legal.staff_opinion", appointment_id=appointment.id)
    for user in people:
        notify(user, "legal_opinion_signed", _l("A legal opinion has been signed"),
               "legal_opinion_signed", dedupe_key=f"legal_signed:{opinion.id}:{user.id}", opinion=opinion,
               appointment=appointment, opinion_url=url)


def get_or_404(model, ident):
    """A record by id, or NotFound."""
    row = get(model, ident)
    if row is None:
        raise NotFound(MSG_NOT_FOUND)
    return row
