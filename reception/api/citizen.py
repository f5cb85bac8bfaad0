"""The citizen's other resources: rescheduling, requests (send, accept an offered time, withdraw), the waitlist,
and the outcome with the questions' status.

Thin views over the services the pages call (reception.booking, reception.requests, reception.outcomes), so
every write has the pages' checks (a confirmed phone, the booking window, the cap on active appointments...).
A record of another citizen is a 404 before its body is even read (not even its existence is shown).
"""
from __future__ import annotations

import json
from functools import wraps

from flask import current_app, g, request, url_for
from flask_babel import gettext as _

from ..booking import queries as booking_queries
from ..booking import services as booking
from ..booking import waitlist
from ..booking.models import WaitlistStatus
from ..core.clock import local_today, utcnow
from ..core.errors import Conflict, Invalid, NotFound
from ..core.web import commit
from ..directory.models import Official
from ..directory.queries import get
from ..extensions import db
from ..outcomes import services as outcomes
from ..outcomes.models import AnswerChannel, InstructionStatus
from ..requests import policy as request_policy
from ..requests import queries as request_queries
from ..requests import services as requests
from ..schedule.models import VisitingReception
from . import citizen_schemas as schemas
from . import conventions, present, problems, queries
from . import schemas as schemas_base
from .auth import scoped
from .scopes import APPOINTMENTS_READ, APPOINTMENTS_WRITE
from .spec import spec
from .views import TOKEN, _docs, bp, taken


def _not_found():
    return NotFound(_("The page or record you asked for does not exist."))


def owned(load):
    """View decorator (between ``scoped`` and spectree's ``validate``): ``load(citizen_id, **url_values)`` finds
    the citizen's own record, kept in ``g.api_record``; someone else's (or none) is a 404 before the request's
    body is validated, so a stranger learns nothing from the answer."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            record = load(g.api_user.id, **kwargs)
            if record is None:
                raise _not_found()
            g.api_record = record
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _json(model) -> dict:
    return json.loads(model.model_dump_json())


# --- moving an appointment -------------------------------------------------------------------------

@bp.post("/me/appointments/<int:appointment_id>/reschedule")
@scoped(APPOINTMENTS_WRITE)
@owned(lambda citizen_id, appointment_id: booking_queries.get_own_appointment(citizen_id, appointment_id))
@spec.validate(json=schemas.RescheduleRequest, headers=schemas_base.IdempotencyHeaders,
               resp=_docs(201, schemas_base.Appointment, 401, 403, 404, 409, 422), tags=["my appointments"],
               security=TOKEN)
def reschedule(appointment_id: int):
    """Move a scheduled appointment to another free time of the same official, in one step: the answer is the
    new appointment with a new talon (the old one becomes ``rescheduled``). A time just taken is a 409 with
    ``alternatives`` and nothing changes; the same Idempotency-Key again gives the same answer and moves once."""
    user, appointment = g.api_user, g.api_record

    def move(key):
        now = utcnow()
        slot_id = request.context.json.slot_id
        try:
            new = booking.reschedule_appointment(user, appointment, slot_id, conventions.booking_key(
                g.api_token.id, key), now, current_app.config)
        except booking.SlotTaken as exc:
            raise taken(exc) from None
        moved = booking_queries.get_own_appointment(user.id, new.id)
        return (_json(present.appointment(moved, user, now)),
                url_for("api.my_appointment", appointment_id=new.id))

    return conventions.create_once(move, booking.MSG_SLOT_TAKEN)


# --- requests --------------------------------------------------------------------------------------

def _offer(o) -> schemas.RequestOffer:
    tz = o.slot.session.timezone
    return schemas.RequestOffer(id=o.id, status=o.status, expires_at=present.local(o.expires_at, tz),
                         slot=present.slot(o.slot))


def _request(a, user, now, urgency=None) -> schemas.MyRequest:
    """A request as the citizen sees it on the talon page; ``urgency`` is its urgency record (none: none)."""
    tz = a.official.body.timezone
    return schemas.MyRequest(
        id=a.id, status=a.status, official_id=a.official_id, official_name=a.official.full_name,
        body_id=a.official.body_id, format=a.format, topic_id=a.topic_id, summary=a.summary,
        studio_id=a.studio_id, received_at=present.local(a.created_at, tz), timezone=tz,
        redirect_due_on=a.redirect_due_on, decision=a.decision, decided_at=present.local(a.decided_at, tz),
        decline_ground=a.decline_ground, decision_note=a.decision_note, redirect_body_id=a.redirect_body_id,
        urgent=bool(urgency is not None and urgency.is_urgent),
        offers=[_offer(o) for o in request_policy.live_offers(a, now)],
        offers_expired=request_policy.offers_expired(a, now), can_accept=request_policy.can_accept(user, a, now),
        can_withdraw=a.is_active and a.slot_id is None)


def _own_request(citizen_id: int, my_request_id: int):
    return request_queries.get_own_request(citizen_id, my_request_id)


@bp.get("/me/requests")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.MyRequestList, 401, 403), tags=["my requests"], security=TOKEN)
def my_requests():
    """The citizen's requests (to officials who screen requests before giving a time), newest first: the
    decision, and the times offered that can still be accepted."""
    now, user = utcnow(), g.api_user
    rows = queries.list_my_requests(user.id)
    urgencies = queries.urgencies_by_request(a.id for a in rows)
    return schemas.MyRequestList(items=[_request(a, user, now, urgencies.get(a.id)) for a in rows])


@bp.get("/me/requests/<int:my_request_id>")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.MyRequest, 401, 403, 404), tags=["my requests"], security=TOKEN)
def my_request(my_request_id: int):
    """One of the citizen's requests, with the times offered on it. Once a time is accepted, the request is an
    appointment: its talon is at /me/appointments/{id} (the same id)."""
    found = _own_request(g.api_user.id, my_request_id)
    if found is None:
        raise _not_found()
    return _request(found, g.api_user, utcnow(), requests.get_urgency(found))


@bp.post("/me/requests")
@scoped(APPOINTMENTS_WRITE)
@spec.validate(json=schemas.RequestCreate, headers=schemas_base.IdempotencyHeaders,
               resp=_docs(201, schemas.MyRequest, 401, 403, 404, 409, 422), tags=["my requests"], security=TOKEN)
def send_request():
    """Send a request for a reception with an official who takes requests (the official's page says so). The
    same Idempotency-Key again gives the same answer and sends once."""
    user = g.api_user
    wanted = request.context.json

    def send(key):
        now = utcnow()
        official = request_queries.get_official(wanted.official_id)
        if official is None:
            raise NotFound(_("This official does not exist."))
        data = wanted.booking_data()
        urgency = (wanted.urgency_reason.value, wanted.urgency_note) if wanted.urgency_reason else None
        made = requests.submit_request(user, official, data, conventions.booking_key(g.api_token.id, key), now,
                                       current_app.config, urgency=urgency)
        sent = _own_request(user.id, made.id)
        location = url_for("api.my_request", my_request_id=made.id)
        return _json(_request(sent, user, now, requests.get_urgency(sent))), location

    return conventions.create_once(send, requests.MSG_ALREADY_ACTIVE)


@bp.post("/me/requests/<int:my_request_id>/accept")
@scoped(APPOINTMENTS_WRITE)
@owned(_own_request)
@spec.validate(json=schemas.AcceptOffer, resp=_docs(200, schemas_base.Appointment, 401, 403, 404, 409, 422),
               tags=["my requests"], security=TOKEN)
def accept_offer(my_request_id: int):
    """Accept one of the times offered on the request: the request becomes the appointment (the same id) with
    its talon. An offer withdrawn or run out, or a time taken meanwhile, is a 409."""
    user, found, now = g.api_user, g.api_record, utcnow()
    try:
        requests.accept_offer(user, found, request.context.json.offer_id, now)
    except booking.SlotTaken as exc:
        raise taken(exc) from None
    db.session.flush()
    payload = _json(present.appointment(booking_queries.get_own_appointment(user.id, found.id), user, now))
    commit(booking.MSG_SLOT_TAKEN)
    return payload


@bp.post("/me/requests/<int:my_request_id>/withdraw")
@scoped(APPOINTMENTS_WRITE)
@owned(_own_request)
@spec.validate(resp=_docs(200, schemas.MyRequest, 401, 403, 404, 409, 422), tags=["my requests"],
               security=TOKEN)
def withdraw_request(my_request_id: int):
    """Withdraw a request not yet turned into an appointment (the talon page's "Withdraw the request"): times
    offered on it are freed. An appointment made from a request is cancelled with /me/appointments/{id}/cancel."""
    user, found, now = g.api_user, g.api_record, utcnow()
    if found.slot_id is not None:
        raise Conflict(_("This request is already an appointment: cancel the appointment instead."))
    booking.cancel_appointment(user, found, now)
    db.session.flush()
    payload = _json(_request(_own_request(user.id, found.id), user, now, requests.get_urgency(found)))
    db.session.commit()
    return payload


# --- the waitlist ----------------------------------------------------------------------------------

def _entry(e, places: dict) -> schemas.MyWaitlistEntry:
    official = e.official
    slot = e.offered_slot if e.status is WaitlistStatus.OFFERED else None
    tz = slot.session.timezone if slot is not None else official.body.timezone
    return schemas.MyWaitlistEntry(
        id=e.id, status=e.status, official_id=e.official_id, official_name=official.full_name,
        body_id=official.body_id, visiting_id=e.visiting_id, topic_id=e.topic_id, place_in_line=places.get(e.id),
        offered_slot=present.slot(slot) if slot is not None else None,
        offer_expires_at=present.local(e.offer_expires_at, tz) if slot is not None else None,
        joined_at=present.local(e.created_at, tz), updated_at=present.local(e.updated_at, tz))


def _own_entry(citizen_id: int, entry_id: int):
    return booking_queries.get_own_waitlist_entry(citizen_id, entry_id)


def _one_entry(entry) -> schemas.MyWaitlistEntry:
    return _entry(entry, booking_queries.places_in_line([entry]))


@bp.get("/me/waitlist")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.MyWaitlistList, 401, 403), tags=["my waitlist"], security=TOKEN)
def my_waitlist():
    """The citizen's places in line (with the place, or the time kept for them), then the latest ended ones."""
    live = booking_queries.list_my_waitlist(g.api_user.id)
    ended = booking_queries.list_my_waitlist(g.api_user.id, live=False)
    places = booking_queries.places_in_line(live)
    return schemas.MyWaitlistList(items=[_entry(e, places) for e in live + ended])


@bp.get("/me/waitlist/<int:entry_id>")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.MyWaitlistEntry, 401, 403, 404), tags=["my waitlist"], security=TOKEN)
def my_waitlist_entry(entry_id: int):
    """One place in line. A time kept for the citizen (``offered``) is booked with POST /me/appointments and
    its ``slot_id`` before ``offer_expires_at``."""
    entry = _own_entry(g.api_user.id, entry_id)
    if entry is None:
        raise _not_found()
    return _one_entry(entry)


_WAITLIST_FIELDS = {"official": "official_id", "visiting": "visiting_id", "topic": "topic_id"}


@bp.post("/me/waitlist")
@scoped(APPOINTMENTS_WRITE)
@spec.validate(json=schemas.WaitlistJoin, headers=schemas_base.IdempotencyHeaders,
               resp=_docs(201, schemas.MyWaitlistEntry, 401, 403, 404, 409, 422), tags=["my waitlist"],
               security=TOKEN)
def join_waitlist():
    """Join an official's waitlist when nothing is free: a freed time is then kept for the first in line. Free
    time to book, an active appointment with the official or a place in line already is a 409; the same
    Idempotency-Key again gives the same answer and joins once."""
    user, wanted = g.api_user, request.context.json

    def join(_key):
        now = utcnow()
        visiting = None
        if wanted.visiting_id is not None:
            visiting = get(VisitingReception, wanted.visiting_id)
            if visiting is None:
                raise problems.ApiProblem(422, _("Unknown visiting reception."), errors=[
                    {"field": "visiting_id", "message": _("Unknown visiting reception.")}])
        try:
            entry = waitlist.join_waitlist(user, get(Official, wanted.official_id), visiting=visiting,
                                           topic_id=wanted.topic_id, now=now)
        except Invalid as exc:
            if exc.field in _WAITLIST_FIELDS:
                exc.field = _WAITLIST_FIELDS[exc.field]
            raise
        joined = _own_entry(user.id, entry.id)
        return _json(_one_entry(joined)), url_for("api.my_waitlist_entry", entry_id=entry.id)

    return conventions.create_once(join, waitlist.MSG_ALREADY_WAITING)


@bp.post("/me/waitlist/<int:entry_id>/leave")
@scoped(APPOINTMENTS_WRITE)
@owned(_own_entry)
@spec.validate(json=schemas.WaitlistLeave, resp=_docs(200, schemas.MyWaitlistEntry, 401, 403, 404, 409, 422),
               tags=["my waitlist"], security=TOKEN)
def leave_waitlist(entry_id: int):
    """Leave the waitlist. A time kept for the citizen is given to the next in line. ``expected_status`` is the
    status the citizen saw: if a time was kept for them meanwhile, nothing changes (409: look and confirm)."""
    user, entry = g.api_user, g.api_record
    waitlist.leave_waitlist(user, entry, WaitlistStatus(request.context.json.expected_status), utcnow())
    payload = _json(_one_entry(_own_entry(user.id, entry.id)))
    db.session.commit()
    return payload


# --- the outcome -----------------------------------------------------------------------------------

def _own_reception(citizen_id: int, reception_id: int):
    return booking_queries.get_own_appointment(citizen_id, reception_id)


def _instruction(i, today_of) -> schemas.MyInstruction:
    report = i.accepted_report if i.status is InstructionStatus.CLOSED else None
    return schemas.MyInstruction(
        id=i.id, body_id=i.body_id, body_name=i.body.name, text=i.text, due_on=i.due_on, status=i.status,
        overdue=outcomes.is_overdue(i, today_of(i.body.timezone)), extended=i.extended_at is not None,
        extension_reason=i.extension_reason if i.extended_at is not None else None,
        done=report.text if report is not None else None)


def _check(c, tz) -> schemas.MySolvedCheck | None:
    if c is None:
        return None
    return schemas.MySolvedCheck(asked_at=present.local(c.asked_at, tz), answered_at=present.local(c.answered_at, tz),
                               solved=c.solved, can_answer=c.answered_at is None)


def _outcome(appointment, outcome) -> schemas.MyOutcome:
    tz = appointment.official.body.timezone
    checks = outcomes.solved_checks_by_question(appointment.id)
    now = utcnow()

    def today_of(zone):
        return local_today(zone, now)

    return schemas.MyOutcome(
        appointment_id=appointment.id, result=outcome.result, notes=outcome.notes or "",
        recorded_at=present.local(outcome.recorded_at, tz), timezone=tz,
        questions=[schemas.MyQuestion(
            id=q.id, position=q.position, topic_id=q.topic_id, wording=q.wording, result=q.result,
            grounds=q.grounds, body_id=q.body_id, instructions=[_instruction(i, today_of) for i in q.instructions],
            solved_check=_check(checks.get(q.id), tz)) for q in outcome.questions])


def _recorded_outcome(appointment):
    outcome = outcomes.get_outcome(appointment.id)
    if outcome is None:
        raise NotFound(_("No outcome has been recorded for this reception yet."))
    return outcome


@bp.get("/me/appointments/<int:reception_id>/outcome")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.MyOutcome, 401, 403, 404), tags=["my appointments"], security=TOKEN)
def outcome(reception_id: int):
    """The outcome of a held reception as the talon page shows it: each question's result and responsible body,
    each instruction's due date and status (late or not, what was done), and the "is it solved?" check once the
    bodies have done their part. None recorded yet is a 404."""
    appointment = _own_reception(g.api_user.id, reception_id)
    if appointment is None:
        raise _not_found()
    return _outcome(appointment, _recorded_outcome(appointment))


@bp.post("/me/appointments/<int:reception_id>/questions/<int:question_id>/solved")
@scoped(APPOINTMENTS_WRITE)
@owned(lambda citizen_id, reception_id, question_id: _own_reception(citizen_id, reception_id))
@spec.validate(json=schemas.SolvedAnswer, resp=_docs(200, schemas.MyOutcome, 401, 403, 404, 409, 422),
               tags=["my appointments"], security=TOKEN)
def answer_solved(reception_id: int, question_id: int):
    """Answer "is your problem solved?" for one question, once: ``true`` confirms it, ``false`` makes the
    reception office call back and check what the body did. Asked only once every instruction on the question
    is done (before that: 409); a second answer is a 409 and changes nothing."""
    appointment = g.api_record
    outcome_ = _recorded_outcome(appointment)
    if question_id not in {q.id for q in outcome_.questions}:
        raise _not_found()
    check = outcomes.get_solved_check(appointment.id, question_id)
    if check is None:
        raise Conflict(_("You will be asked whether the problem is solved once the bodies have done what they "
                         "must."))
    outcomes.answer_solved(g.api_user, check, request.context.json.solved, AnswerChannel.API, utcnow())
    db.session.flush()
    payload = _json(_outcome(appointment, outcome_))
    commit(outcomes.MSG_ANSWERED)
    return payload
