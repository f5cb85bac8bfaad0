"""Request mode changes: a citizen's request, the four screening decisions, accepting an offered time.

Every service takes the acting user and ``now``, adds and flushes, and never commits:
the caller (a request or a CLI command) commits once. Each decision writes one
e-mail to the citizen into the outbox, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record_change, record_created
from ..booking import holds, waitlist
from ..booking import policy as booking_policy
from ..booking import queries as booking_queries
from ..booking import services as booking_services
from ..booking.lifecycle import Action, emit_event, transition
from ..booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    DeclineGround,
    OfferStatus,
    RequestDecision,
    SlotOffer,
)
from ..booking.services import (
    MSG_SLOT_TAKEN,
    BookingData,
    SlotTaken,
    insert_or_none,
    reserve_and_issue_talon,
    scoped_idempotency_key,
)
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.timeutil import format_local
from ..core.workdays import WorkCalendar
from ..directory.models import Body, Topic, Venue
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from ..schedule.models import FORMAT_LABELS, AttendanceFormat
from . import policy, queries, rules, signals
from .models import URGENT_STATUSES, RequestUrgency, UrgencyReason, UrgencyStatus

DEFAULT_OFFER_HOLD_HOURS = 48
#: At most this many times are held for one citizen at once: every held time is closed to others.
MAX_OFFERED_SLOTS = 5
MAX_NOTE_LENGTH = 2000

MSG_NOT_TAKING = _l("This official does not take requests at the moment. Look for free reception time instead.")
MSG_ALREADY_ACTIVE = _l("You already have an active request or appointment with this official. "
                        "You can see it under My appointments.")
MSG_ALREADY_DECIDED = _l("This request has already been decided. Reload the page to see the decision.")
MSG_NOT_YOURS = _l("You may screen the requests to your own body's officials only.")
MSG_CHOOSE_OFFER = _l("Choose one of the times offered to you.")


def hold_hours(config) -> int:
    return int(config.get("OFFER_HOLD_HOURS", DEFAULT_OFFER_HOLD_HOURS))


def _clean(text: str | None, *, required, field: str) -> str | None:
    text = (text or "").strip()
    if required is not None and not text:
        raise Invalid(required, field=field)
    if len(text) > MAX_NOTE_LENGTH:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=MAX_NOTE_LENGTH), field=field)
    return text or None


# --- the citizen's request ----------------------------------------------------------------------

def _validate_request(citizen, official, data: BookingData, now: datetime, config) -> Venue | None:
    booking_policy.check_phone_confirmed(citizen)
    if not queries.official_takes_requests(official.id, now):
        raise Invalid(MSG_NOT_TAKING)
    if data.format not in queries.request_formats(official.id, now):
        raise Invalid(_l("This official's receptions cannot be attended in the chosen format."), field="format")
    studio = None
    if data.format is AttendanceFormat.VIDEO_STUDIO:
        studio = get(Venue, data.studio_id) if data.studio_id else None
        if not booking_policy.is_usable_studio(studio, citizen):
            raise Invalid(_l("Choose a video studio of an akimat in your region."), field="studio_id")
    if get(Topic, data.topic_id) is None:
        raise Invalid(_l("Choose the topic of your issue."), field="topic_id")
    if not (data.summary or "").strip():
        raise Invalid(_l("Describe your issue briefly."), field="summary")
    if db.session.scalar(select(Appointment.id).where(
            Appointment.citizen_id == citizen.id, Appointment.official_id == official.id,
            Appointment.status.in_(ACTIVE_STATUSES)).limit(1)) is not None:
        raise Conflict(MSG_ALREADY_ACTIVE)
    booking_services.check_active_cap(citizen, config)
    return studio


def submit_request(citizen, official, data: BookingData, idempotency_key: str | None, now: datetime,
                   config, urgency: tuple[str | None, str | None] | None = None) -> Appointment:
    """Send ``citizen``'s request for a reception with ``official``; adds and flushes, the caller commits.

    Writes an appointment without a slot in status requested, with the same details as a
    booking and ``redirect_due_on`` = the 3rd working day after the local date of receipt
    (the official's region). The same ``idempotency_key`` from the same citizen returns the
    request already sent. ``urgency`` is the citizen's (reason, note) when they marked the request
    urgent: it is recorded as claimed (urgent until screening staff confirm or clear it, see
    :func:`set_urgency`), due the next working day. Raises Invalid (a rule is broken, or an urgency
    reason not on the list) and Conflict (the citizen already has an active request or appointment
    with this official; the database has the last word).
    """
    key = scoped_idempotency_key(citizen, idempotency_key)
    if key is not None:
        # The citizen's row first: a twin sent at the same moment has committed by the time we look for it,
        # so it is answered with the request sent, not counted against the cap (issue 14, finding 5).
        booking_services.lock_citizen(citizen)
        existing = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
        if existing is not None:
            return existing
    studio = _validate_request(citizen, official, data, now, config)
    urgency = _urgency_values(*urgency, "urgency_reason", "urgency_note") if urgency else None
    calendar = WorkCalendar.from_config(config)
    values = dict(
        citizen_id=citizen.id, official_id=official.id, format=data.format,
        studio_id=studio.id if studio else None, topic_id=data.topic_id, summary=data.summary.strip(),
        appeal_numbers=(data.appeal_numbers or "").strip() or None,
        needs_wheelchair=bool(data.needs_wheelchair), needs_sign_language=bool(data.needs_sign_language),
        co_applicants=(data.co_applicants or "").strip() or None, status=AppointmentStatus.REQUESTED,
        redirect_due_on=rules.redirect_due_on(now, official.body.timezone, calendar),
        idempotency_key=key, created_at=now)
    appointment_id = insert_or_none(Appointment, values)
    if appointment_id is not None:
        record_created("appointment", appointment_id, values)  # a Core insert: the audit hook does not see it
    if appointment_id is None:
        if key is not None:
            # A double submit that raced itself: the twin was sent, which is what the citizen wanted.
            twin = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
            if twin is not None:
                return twin
        raise Conflict(MSG_ALREADY_ACTIVE)
    if urgency is not None:
        reason, note = urgency
        db.session.add(RequestUrgency(
            appointment_id=appointment_id, status=UrgencyStatus.CLAIMED, reason=reason, note=note,
            claimed_by_citizen=True, since=now, due_on=rules.urgent_due_on(now, official.body.timezone, calendar),
            set_by_id=citizen.id, set_at=now))
        db.session.flush()
    return db.session.get(Appointment, appointment_id)


# --- urgency ------------------------------------------------------------------------------------

MSG_URGENCY_REASON = _l("Choose why the request is urgent from the list.")


def _urgency_values(reason, note, reason_field: str, note_field: str) -> tuple[UrgencyReason, str | None]:
    """A reason from the list and the note (required when the reason is "other")."""
    try:
        reason = UrgencyReason(reason)
    except ValueError:
        raise Invalid(MSG_URGENCY_REASON, field=reason_field) from None
    note = _clean(note, required=_l("Say why the request is urgent.") if reason is UrgencyReason.OTHER else None,
                  field=note_field)
    return reason, note


def get_urgency(request: Appointment) -> RequestUrgency | None:
    return db.session.get(RequestUrgency, request.id)


def set_urgency(actor, request: Appointment, reason: str | None, note: str | None, now: datetime,
                config) -> RequestUrgency | None:
    """Screening staff mark a request urgent (``reason`` from the list, with a note), confirm the citizen's
    mark (the same), change the reason, or clear it (``reason`` empty: not urgent).

    An urgent request comes first in the screening queue and is due the next working day after it became
    urgent (the citizen's mark counts from when the request was sent; a request marked urgent again after
    being cleared starts a new day). Allowed while the request waits for a decision or for the citizen's
    choice of an offered time. Adds and flushes; the audit records every change (``request_urgency``).
    Returns the urgency (None when a request that was never urgent is "cleared"). Raises NotAllowed
    (another body), Conflict (the request is closed) and Invalid (a reason not on the list, no note for
    "other").
    """
    if not policy.can_screen(actor, request):
        raise NotAllowed(MSG_NOT_YOURS)
    db.session.execute(select(Appointment.id).where(Appointment.id == request.id).with_for_update())
    db.session.expire(request)
    if request.status not in (AppointmentStatus.REQUESTED, AppointmentStatus.SCREENING) \
            or not policy.is_request(request):
        raise Conflict(_l("This request has been decided or withdrawn: its urgency can no longer change."))
    urgency = get_urgency(request)
    if not reason:
        if urgency is None or urgency.status is UrgencyStatus.CLEARED:
            return urgency
        urgency.status, urgency.set_by_id, urgency.set_at = UrgencyStatus.CLEARED, actor.id, now
        db.session.flush()
        return urgency
    reason, note = _urgency_values(reason, note, "reason", "note")
    if urgency is None:
        urgency = RequestUrgency(appointment_id=request.id, claimed_by_citizen=False)
        db.session.add(urgency)
    if urgency.status not in URGENT_STATUSES:  # newly urgent (or again): the working day starts now
        urgency.since = now
        urgency.due_on = rules.urgent_due_on(now, request.official.body.timezone, WorkCalendar.from_config(config))
    urgency.status, urgency.reason, urgency.note = UrgencyStatus.CONFIRMED, reason, note
    urgency.set_by_id, urgency.set_at = actor.id, now
    db.session.flush()
    return urgency


# --- screening decisions ------------------------------------------------------------------------

def check_decidable(actor, request: Appointment, now: datetime) -> None:
    """Refuse a decision the actor may not take, or on a request that is not waiting for one.

    Locks the request's row for the rest of the transaction and reloads it.
    """
    if not policy.can_screen(actor, request):
        raise NotAllowed(MSG_NOT_YOURS)
    # Two assistants deciding at once: the second waits for the first and then sees its decision
    # (PostgreSQL row lock; SQLite runs one writing transaction at a time anyway).
    db.session.execute(select(Appointment.id).where(Appointment.id == request.id).with_for_update())
    db.session.expire(request)
    if request.status is AppointmentStatus.CANCELLED:
        raise Conflict(_l("The citizen has withdrawn this request."))
    if not policy.is_awaiting_decision(request, now):
        raise Conflict(MSG_ALREADY_DECIDED)


def _record(actor, request: Appointment, decision: RequestDecision, note: str | None, now: datetime) -> None:
    """Write the decision; offers that ran out before it are marked expired (their holds lapsed with them)."""
    for offer in request.offers:
        if offer.status is OfferStatus.OPEN:
            offer.status = OfferStatus.EXPIRED
    request.decision = decision
    request.decision_note = note
    request.decided_at = now
    request.decided_by_id = actor.id


def _link(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _notify(request: Appointment, subject, template: str, dedupe_key: str, **context) -> None:
    notify(request.citizen, f"request_{request.decision.value}", subject, template, dedupe_key=dedupe_key,
                  appointment=request, official=request.official,
                  link=_link("booking.appointment", appointment_id=request.id), **context)


def offer_slots(actor, request: Appointment, slot_ids, note: str | None, now: datetime, config) -> list[SlotOffer]:
    """Offer the citizen one or more free times of the official's request-mode sessions.

    Each time is held for the citizen until the hold period (``OFFER_HOLD_HOURS``) ends, or
    until its booking closes if that is sooner, and gets an open SlotOffer. The request becomes
    screening (the citizen chooses one), decision offered; one e-mail lists the times with
    their deadlines and a link. Writes nothing when a time cannot be held. Raises NotAllowed
    (another body), Conflict (already decided, or a time was just booked or held for someone
    else) and Invalid (no time chosen, too many, or a time that is not free for this request).
    """
    check_decidable(actor, request, now)
    slot_ids = list(dict.fromkeys(slot_ids or []))
    if not slot_ids:
        raise Invalid(_l("Choose at least one time to offer."), field="slot_ids")
    if len(slot_ids) > MAX_OFFERED_SLOTS:
        raise Invalid(_l("Offer at most %(n)d times at once.", n=MAX_OFFERED_SLOTS), field="slot_ids")
    note = _clean(note, required=None, field="offer_note")
    slots = queries.get_offerable_slots(request, slot_ids, now)
    if len(slots) != len(slot_ids):
        raise Invalid(_l("One of the chosen times is no longer free or is not a request-mode time of "
                         "this official. Choose again."), field="slot_ids")
    hold_until = now + timedelta(hours=hold_hours(config))
    existing = {o.slot_id: o for o in request.offers}
    offers = []
    with db.session.begin_nested():
        transition(request, Action.OFFER, now)
        _record(actor, request, RequestDecision.OFFERED, note, now)
        for slot_id in slot_ids:
            slot = slots[slot_id]
            until = min(hold_until, slot.session.closes_at)
            if not holds.place_hold(slot.id, request.citizen_id, until, now):
                raise Conflict(_l("The time %(when)s has just been booked or offered to someone else. "
                                  "Choose again.", when=format_local(slot.starts_at, slot.session.timezone)),
                               field="slot_ids")
            offer = existing.get(slot.id)  # offered before and expired: offered again
            if offer is None:
                offer = SlotOffer(appointment=request, slot=slot)
                db.session.add(offer)
            offer.status, offer.expires_at, offer.created_at = OfferStatus.OPEN, until, now
            offers.append(offer)
        db.session.flush()
    for slot in slots.values():
        db.session.expire(slot, ["held_for_id", "held_until"])

    citizen = request.citizen
    with force_locale(citizen.language):
        subject = _("Reception time offered: %(name)s", name=request.official.full_name)
        times = [dict(when=format_local(o.slot.starts_at, o.slot.session.timezone),
                      until=format_local(o.expires_at, o.slot.session.timezone),
                      place=f"{o.slot.session.venue.name}, {o.slot.session.venue.address}") for o in offers]
        format_label = str(FORMAT_LABELS[request.format])
    _notify(request, subject, "request_offered", f"request_offered:{request.id}:{now.isoformat()}",
            times=times, format_label=format_label,
            accept_link=_link("requests.accept", my_request_id=request.id))
    signals.decided.send(request, now=now)
    return offers


def redirect_request(actor, request: Appointment, body_id: int | None, reasons: str, now: datetime) -> None:
    """Send the request to the competent body with reasons; the request is closed.

    Allowed after the deadline (``redirect_due_on``) too: the decision time then shows it was
    late. One e-mail tells the citizen where the request went and why. Raises NotAllowed,
    Conflict (already decided) and Invalid (no such active body, no reasons).
    """
    check_decidable(actor, request, now)
    body = get(Body, body_id) if body_id else None
    if body is None or not body.is_active:
        raise Invalid(_l("Choose an active body to send the request to."), field="body_id")
    if body.id == request.official.body_id:
        raise Invalid(_l("Choose another body: the request is already with this one."), field="body_id")
    reasons = _clean(reasons, required=_l("Give the reasons: the citizen will read them."), field="reasons")
    transition(request, Action.CLOSE, now)
    request.redirect_body_id = body.id
    _record(actor, request, RequestDecision.REDIRECTED, reasons, now)
    db.session.flush()
    with force_locale(request.citizen.language):
        subject = _("Your request has been sent to %(body)s", body=body.name)
        body_name = body.name
    _notify(request, subject, "request_redirected", f"request_redirected:{request.id}", body_name=body_name,
            body=body)
    signals.decided.send(request, now=now)


def resolve_request(actor, request: Appointment, note: str, now: datetime) -> None:
    """Close the request as resolved without a reception, with a note for the citizen (required).

    One e-mail carries the note. Raises NotAllowed, Conflict (already decided) and Invalid (no note).
    """
    check_decidable(actor, request, now)
    note = _clean(note, required=_l("Say how the issue was resolved: the citizen will read it."),
                  field="resolution")
    transition(request, Action.CLOSE, now)
    _record(actor, request, RequestDecision.RESOLVED, note, now)
    db.session.flush()
    with force_locale(request.citizen.language):
        subject = _("Your request to %(name)s has been resolved", name=request.official.full_name)
    _notify(request, subject, "request_resolved", f"request_resolved:{request.id}")
    signals.decided.send(request, now=now)


def decline_request(actor, request: Appointment, ground: DeclineGround | str | None, note: str | None,
                    now: datetime) -> None:
    """Decline the request on one of the fixed grounds (required), with an optional note; it is closed.

    One e-mail gives the ground and the note. Raises NotAllowed, Conflict (already decided) and
    Invalid (no ground from the list).
    """
    check_decidable(actor, request, now)
    try:
        ground = DeclineGround(ground)
    except ValueError:
        raise Invalid(_l("Choose the ground for declining from the list."), field="ground") from None
    note = _clean(note, required=None, field="decline_note")
    transition(request, Action.CLOSE, now)
    request.decline_ground = ground
    _record(actor, request, RequestDecision.DECLINED, note, now)
    db.session.flush()
    with force_locale(request.citizen.language):
        subject = _("Your request to %(name)s has been declined", name=request.official.full_name)
        ground_label = str(rules.DECLINE_GROUND_LABELS[ground])
    _notify(request, subject, "request_declined", f"request_declined:{request.id}", ground_label=ground_label)
    signals.decided.send(request, now=now)


# --- the citizen accepts an offered time --------------------------------------------------------

def accept_offer(citizen, request: Appointment, offer_id: int | None, now: datetime) -> Appointment:
    """Turn the request into the booking of the offered time ``offer_id``; adds and flushes.

    The request itself becomes the appointment: scheduled, with slot, session, talon number,
    acceptance time and the deciding assistant's name, and the same reservations as a booking
    (the citizen's time, the studio for video). The offer is accepted, the others withdrawn and
    their holds released. Raises NotFound (another citizen's request), Invalid (not an offer of
    this request), Conflict (accepted already, the offer expired or was withdrawn) and SlotTaken
    (the citizen's time or the studio is taken meanwhile).
    """
    if request.citizen_id != citizen.id or not policy.is_request(request):
        raise NotFound(_l("The page or record you asked for does not exist."))
    offer = next((o for o in request.offers if o.id == offer_id), None)
    if offer is None:
        raise Invalid(MSG_CHOOSE_OFFER, field="offer_id")
    if request.status is not AppointmentStatus.SCREENING:
        if offer.status is OfferStatus.ACCEPTED:
            raise Conflict(_l("You have already accepted this time. Your talon is on the request's page."))
        raise Conflict(_l("This request is no longer waiting for your choice."))
    if offer.status is not OfferStatus.OPEN:
        raise Conflict(_l("This offer has been withdrawn. Choose another offered time."), field="offer_id")
    if offer.expires_at <= now:
        raise Conflict(_l("This offer expired on %(when)s. The reception office will decide on your request again.",
                          when=format_local(offer.expires_at, offer.slot.session.timezone)), field="offer_id")
    slot = booking_queries.get_slot(offer.slot_id)
    booking_policy.check_slot_bookable(slot, citizen, now)
    studio = request.studio if request.format is AttendanceFormat.VIDEO_STUDIO else None
    if studio is not None and not booking_policy.is_usable_studio(studio, citizen):
        raise Invalid(_l("The video studio you chose is no longer available. Send a new request."))
    session = slot.session
    accepted_by = (request.decided_by.full_name if request.decided_by is not None
                   else booking_queries.responsible_assistant_name(session.official.body))
    try:
        with db.session.begin_nested():
            if not holds.claim(slot.id, citizen.id, now):
                raise SlotTaken(MSG_SLOT_TAKEN)
            try:
                with db.session.begin_nested():
                    transition(request, Action.ACCEPT, now, emit=False, values=dict(
                        slot_id=slot.id, session_id=session.id, accepted_at=now, accepted_by_name=accepted_by[:200]),
                        conflict=_l("You have already accepted a time for this request."))  # a twin submit won
            except IntegrityError:
                raise SlotTaken(MSG_SLOT_TAKEN) from None
            number = reserve_and_issue_talon(request.id, citizen, slot, studio, now)
            record_change("appointment", request.id, {"talon_number": (None, number)})
            for other in request.offers:
                if other.id == offer.id:
                    other.status = OfferStatus.ACCEPTED
                elif other.status is OfferStatus.OPEN:
                    other.status = OfferStatus.WITHDRAWN
                    holds.release_hold(other.slot_id, citizen.id)
            db.session.flush()
    except SlotTaken as exc:
        raise SlotTaken(exc.message, field=exc.field) from None
    db.session.expire(request)
    db.session.expire(slot, ["held_for_id", "held_until"])
    emit_event(request, Action.ACCEPT, now)  # booked: confirmation, reminders, competent bodies invited
    return request


def withdraw_open_offers(request: Appointment, now: datetime) -> list:
    """Withdraw a request's open offers and release their holds; returns the slots freed by it.

    For the citizen withdrawing (cancelling) a request while times are offered (see
    :func:`on_cancelled`).
    Offers that ran out are marked expired (their holds have lapsed already). Adds and flushes.
    """
    freed = []
    for offer in request.offers:
        if offer.status is not OfferStatus.OPEN:
            continue
        if offer.expires_at > now:
            offer.status = OfferStatus.WITHDRAWN
            holds.release_hold(offer.slot_id, request.citizen_id)
            db.session.expire(offer.slot, ["held_for_id", "held_until"])
            freed.append(offer.slot)
        else:
            offer.status = OfferStatus.EXPIRED
    db.session.flush()
    return freed


def on_cancelled(appointment: Appointment, now: datetime, by: str, **_) -> None:
    """Receiver of reception.booking.signals.cancelled: a request withdrawn while times were offered
    frees them, and each goes to the official's waitlist."""
    if by == "citizen" and appointment.slot_id is None and appointment.offers:
        for slot in withdraw_open_offers(appointment, now):
            waitlist.offer_freed_slot(slot, now)
