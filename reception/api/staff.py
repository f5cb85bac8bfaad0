"""Staff resources: the day board, holding receptions (check-in, no-show, start, finish), outcomes and
instructions, bodies' reports on instructions and the official's side's decision on them, the screening
queue and its decisions, the legal review's state; each with the pages' own permission checks (the same
policy functions the page views call).

A staff token's scopes are permission names. Where a page accepts a permission or its ``:own`` variant, the
resource asks for the ``:own`` one: every role that reaches the page holds it (administrators hold every
permission), and the object-level check then decides, as on the page.
"""
from __future__ import annotations

import json
from datetime import date

from flask import current_app, g, request, url_for
from flask_babel import gettext as _

from ..audit.services import record_view, record_views
from ..booking.models import Appointment
from ..booking.policy import is_officials_side
from ..core.clock import local_today, utcnow
from ..core.errors import NotAllowed, NotFound
from ..core.permissions import Permission
from ..core.web import commit
from ..core.workdays import WorkCalendar
from ..directory.queries import get
from ..extensions import db
from ..hearings import queries as hearings_queries
from ..hearings import services as hearings
from ..legal import services as legal
from ..outcomes import services as outcomes
from ..outcomes.models import Instruction
from ..outcomes.services import NewInstruction, QuestionData, QuestionsInvalid
from ..requests import policy as requests_policy
from ..requests import queries as requests_queries
from ..requests import services as requests_services
from . import conventions, problems
from . import staff_schemas as schemas
from .auth import scoped
from .present import local
from .schemas import IdempotencyHeaders
from .spec import spec
from .views import TOKEN, _docs, bp

#: The board's steps as the API names them, and the day board's (reception.hearings.services.Step).
STEPS = {"check-in": hearings.Step.CHECK_IN, "no-show": hearings.Step.NO_SHOW, "start": hearings.Step.START,
         "finish": hearings.Step.FINISH}


def _missing():
    return NotFound(_("The page or record you asked for does not exist."))


# --- presenters ---------------------------------------------------------------------------------------

def _board_appointment(row, tz: str) -> schemas.BoardAppointment:
    a = row.appointment
    return schemas.BoardAppointment(
        id=a.id, citizen_name=a.citizen.full_name, topic_id=a.topic_id, topic=a.topic.name, summary=a.summary,
        status=a.status, format=a.format, studio_id=a.studio_id, starts_at=local(a.slot.starts_at, tz),
        ends_at=local(a.slot.ends_at, tz), checked_in_at=local(a.checked_in_at, tz),
        started_at=local(a.started_at, tz), finished_at=local(a.finished_at, tz), talon_number=a.talon_number,
        repeat=row.repeat, needs_wheelchair=a.needs_wheelchair, needs_sign_language=a.needs_sign_language)


def _board_session(item, user) -> schemas.BoardSession:
    s = item.session
    tz = s.timezone
    return schemas.BoardSession(
        id=s.id, official_id=s.official_id, official_name=s.official.full_name, starts_at=local(s.starts_at, tz),
        ends_at=local(s.ends_at, tz), timezone=tz, venue=f"{s.venue.name}, {s.venue.address}", status=s.status,
        can_run=hearings.can_run_board(user, s.official),
        appointments=[_board_appointment(row, tz) for row in item.rows])


def _report(r, tz: str) -> schemas.InstructionReport:
    return schemas.InstructionReport(id=r.id, text=r.text, created_at=local(r.created_at, tz), verdict=r.verdict,
                                     verdict_note=r.verdict_note, verdict_at=local(r.verdict_at, tz))


def _instruction_fields(i, today) -> dict:
    return dict(id=i.id, body_id=i.body_id, responsible_name=i.responsible_name, text=i.text,
                appeal_type=i.appeal_type, due_on=i.due_on, original_due_on=i.original_due_on, status=i.status,
                overdue=outcomes.is_overdue(i, today), appointment_id=i.question.outcome.appointment_id)


def _instruction_detail(i) -> schemas.InstructionDetail:
    tz = i.body.timezone
    return schemas.InstructionDetail(**_instruction_fields(i, local_today(tz)), question=i.question.wording,
                                     reports=[_report(r, tz) for r in i.reports])


def _outcome(o, tz: str) -> schemas.Outcome:
    return schemas.Outcome(
        appointment_id=o.appointment_id, notes=o.notes, recorded_at=local(o.recorded_at, tz),
        updated_at=local(o.updated_at, tz),
        questions=[schemas.Question(id=q.id, position=q.position, topic_id=q.topic_id, wording=q.wording,
                                    result=q.result, grounds=q.grounds, body_id=q.body_id,
                                    instructions=[_instruction_detail(i) for i in q.instructions])
                   for q in o.questions])


def _json(model) -> dict:
    return json.loads(model.model_dump_json())


# --- the day board -------------------------------------------------------------------------------------

@bp.get("/staff/day")
@scoped(Permission.APPOINTMENT_VIEW_OWN.value)
@spec.validate(query=schemas.DayQuery, resp=_docs(200, schemas.DayBoard, 401, 403, 422), tags=["staff"],
               security=TOKEN)
def staff_day():
    """The day board of the token user's receptions on ``date`` (the page's): each session with its
    appointments in order, the citizen, topic, status and format, times with the offset of the session's
    zone, and whether the user may run the session's steps."""
    query, user = request.context.query, g.api_user
    sessions = hearings_queries.board(hearings_queries.appointment_scope(user), query.date, utcnow(),
                                      official_id=query.official)
    # The board shows these sessions' citizens' personal data.
    record_views("session", [item.session.id for item in sessions if item.rows], "day board (API)")
    payload = _json(schemas.DayBoard(date=query.date, sessions=[_board_session(item, user) for item in sessions]))
    db.session.commit()
    return payload


@bp.post("/staff/appointments/<int:appointment_id>/<any('check-in', 'no-show', start, finish):step>")
@scoped(Permission.BOARD_RUN_OWN.value)
@spec.validate(resp=_docs(200, schemas.BoardAppointment, 401, 403, 404, 409, 422), tags=["staff"],
               security=TOKEN)
def staff_step(appointment_id: int, step: str):
    """One step of the day board (check-in, no-show, start, finish): the page's state machine. A step the
    appointment's state does not allow (a finish before the start, a second check-in) is a 409."""
    appointment = get(Appointment, appointment_id)
    if appointment is None:
        raise _missing()
    if not hearings.can_run_board(g.api_user, appointment.official):
        raise NotAllowed(_("Only the official's side may run this reception."))
    now = utcnow()
    hearings.advance_appointment(g.api_user, appointment, STEPS[step], now)
    row = hearings_queries.build_rows([appointment], now)[0]
    payload = _json(_board_appointment(row, appointment.session.timezone))
    db.session.commit()
    return payload


# --- outcomes and instructions ------------------------------------------------------------------------

def _reception_for_staff(appointment_id: int) -> Appointment:
    appointment = get(Appointment, appointment_id)
    if appointment is None:
        raise _missing()
    if not is_officials_side(g.api_user, appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_("Only the official's side may see the outcome of this reception."))
    return appointment


@bp.get("/staff/appointments/<int:reception_id>/outcome")
@scoped(Permission.OUTCOME_RECORD_OWN.value)
@spec.validate(resp=_docs(200, schemas.Outcome, 401, 403, 404), tags=["staff"], security=TOKEN)
def staff_outcome(reception_id: int):
    """The recorded outcome of a reception: its questions, each with its result and the instructions given,
    with the bodies' reports (for the official's side)."""
    appointment = _reception_for_staff(reception_id)
    outcome = outcomes.get_outcome(appointment.id)
    if outcome is None:
        raise NotFound(_("No outcome has been recorded for this reception yet."))
    record_view("appointment", appointment.id, "outcome (API)")
    payload = _json(_outcome(outcome, appointment.session.timezone if appointment.session else "UTC"))
    db.session.commit()
    return payload


def _question_data(q: schemas.QuestionBody) -> QuestionData:
    """A question of the body as the page's form gives it to the service (reception.outcomes.forms)."""
    return QuestionData(
        id=q.id, remove=bool(q.id is not None and q.remove), topic_id=q.topic_id, wording=q.wording,
        result=q.result, grounds=q.grounds, body_id=q.body_id,
        instructions=[NewInstruction(body_id=i.body_id, responsible_name=i.responsible_name, text=i.text,
                                     appeal_type=i.appeal_type, due_on=i.due_on) for i in q.instructions])


@bp.put("/staff/appointments/<int:reception_id>/outcome")
@scoped(Permission.OUTCOME_RECORD_OWN.value)
@spec.validate(json=schemas.OutcomeRequest, resp=_docs(200, schemas.Outcome, 401, 403, 404, 409, 422),
               tags=["staff"], security=TOKEN)
def staff_record_outcome(reception_id: int):
    """Record the outcome of a reception, or change it (the page's form): the questions with their results
    and new instructions to bodies, and notes. A checked-in reception becomes held; the first recording tells
    the citizen (an edit tells them only of questions and instructions it adds). Before check-in: 409.

    ``seen_updated_at`` is null for a new outcome and the outcome's ``updated_at`` (GET) for a change: a stale
    one is a 409, so two people never overwrite each other. PUT needs no Idempotency-Key: sending the same body
    again is a 409 (its ``seen_updated_at`` is now stale) and changes nothing; after a lost answer, read the
    outcome (GET) to see whether the change was made. Every broken rule is listed in the 422's ``errors``."""
    appointment = _reception_for_staff(reception_id)
    wanted = request.context.json
    try:
        outcome = outcomes.record_outcome(g.api_user, appointment, [_question_data(q) for q in wanted.questions],
                                          wanted.notes, wanted.seen_updated_at, utcnow(), current_app.config)
    except QuestionsInvalid as exc:
        raise problems.ApiProblem(422, _("Some of the data is not valid."), errors=[
            {"field": field.replace("-", "."), "message": str(message)} for field, message in exc.problems]) \
            from None
    payload = _json(_outcome(outcome, appointment.session.timezone if appointment.session else "UTC"))
    commit(outcomes.MSG_STALE)
    return payload


def _cursor(raw: str | None):
    """An instruction list's cursor: the order key of the last instruction of the page before."""
    if raw is None:
        return None
    parts = raw.split(".")
    if len(parts) == 5 and all(p.isdigit() for p in parts) and len(parts[3]) == 8 and len(parts[4]) <= 10:
        try:
            due = date(int(parts[3][:4]), int(parts[3][4:6]), int(parts[3][6:]))
        except ValueError:
            due = None
        if due is not None:
            return bool(int(parts[0])), bool(int(parts[1])), int(parts[2]), due, int(parts[4])
    raise problems.ApiProblem(422, _("This cursor is damaged. Start again from the first page."),
                              errors=[{"field": "after", "message": _("Not a cursor of this list.")}])


def _cursor_of(key: tuple) -> str:
    closed, not_overdue, rank, due, ident = key
    return f"{int(closed)}.{int(not_overdue)}.{rank}.{due:%Y%m%d}.{ident}"


@bp.get("/staff/instructions")
@scoped(Permission.INSTRUCTION_REPORT_OWN.value)
@spec.validate(query=schemas.InstructionQuery, resp=_docs(200, schemas.InstructionPage, 401, 403, 422),
               tags=["staff"], security=TOKEN)
def staff_instructions():
    """The instructions given to the token user's body (the page's list): open first, overdue first among
    them, then by deadline; a page at a time."""
    query, user = request.context.query, g.api_user
    after = _cursor(query.after)
    today = local_today(user.timezone)
    rows = outcomes.list_body_instructions(user, today)
    if after is not None:
        rows = [i for i in rows if outcomes.instruction_order(i, today) > after]
    page, more = rows[:query.limit], len(rows) > query.limit
    cursor = _cursor_of(outcomes.instruction_order(page[-1], today)) if more else None
    if page:
        record_view("instruction", None, "instructions of the body (API)")
    payload = _json(schemas.InstructionPage(items=[schemas.Instruction(**_instruction_fields(i, today))
                                                   for i in page], next=cursor))
    db.session.commit()
    return payload, 200, conventions.next_link("api.staff_instructions", cursor)


def _instruction(instruction_id: int) -> Instruction:
    instruction = get(Instruction, instruction_id)
    if instruction is None:
        raise _missing()
    if not outcomes.can_view_instruction(g.api_user, instruction):
        raise NotAllowed(_("Only the responsible body and the official's side may see this instruction."))
    return instruction


@bp.get("/staff/instructions/<int:instruction_id>")
@scoped(Permission.INSTRUCTION_REPORT_OWN.value)
@spec.validate(resp=_docs(200, schemas.InstructionDetail, 401, 403, 404), tags=["staff"], security=TOKEN)
def staff_instruction(instruction_id: int):
    """An instruction given to the token user's body, with its reports and their verdicts."""
    instruction = _instruction(instruction_id)
    record_view("instruction", instruction.id, "instruction (API)")
    payload = _json(_instruction_detail(instruction))
    db.session.commit()
    return payload


@bp.post("/staff/instructions/<int:instruction_id>/reports")
@scoped(Permission.INSTRUCTION_REPORT_OWN.value)
@spec.validate(json=schemas.ReportRequest, headers=IdempotencyHeaders,
               resp=_docs(201, schemas.InstructionDetail, 401, 403, 404, 409, 422), tags=["staff"], security=TOKEN)
def staff_report(instruction_id: int):
    """The responsible body reports what it did: the instruction goes to ``reported`` for the official's
    side to check. The same Idempotency-Key again gives the same answer and reports once."""
    user, wanted = g.api_user, request.context.json

    def report(_key):
        instruction = _instruction(instruction_id)
        if not outcomes.is_responsible_body(user, instruction):
            raise NotAllowed(_("Only the responsible body may report on this instruction."))
        outcomes.report_instruction(user, instruction, wanted.text, wanted.seen_status, utcnow())
        return (_json(_instruction_detail(instruction)),
                url_for("api.staff_instruction", instruction_id=instruction.id))

    return conventions.create_once(report, outcomes.MSG_STALE)


@bp.post("/staff/instructions/<int:instruction_id>/reports/<int:instruction_report_id>/decision")
@scoped(Permission.OUTCOME_RECORD_OWN.value)
@spec.validate(json=schemas.DecisionRequest, resp=_docs(200, schemas.InstructionDetail, 401, 403, 404, 409, 422),
               tags=["staff"], security=TOKEN)
def staff_decision(instruction_id: int, instruction_report_id: int):
    """The official's side accepts the body's latest report (the instruction is done) or returns it with a
    note (the body works on it again). A report that is not the latest, or already judged, is a 409."""
    instruction = get(Instruction, instruction_id)
    if instruction is None:
        raise _missing()
    if not is_officials_side(g.api_user, instruction.outcome.appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_("Only the official's side may check the body's report."))
    wanted = request.context.json
    outcomes.judge_report(g.api_user, instruction, instruction_report_id, wanted.verdict == "accepted",
                          wanted.note, utcnow())
    payload = _json(_instruction_detail(instruction))
    db.session.commit()
    return payload


# --- the screening queue --------------------------------------------------------------------------------

def _offer(o, tz: str) -> schemas.Offer:
    return schemas.Offer(id=o.id, slot_id=o.slot_id, starts_at=local(o.slot.starts_at, tz),
                         expires_at=local(o.expires_at, tz), status=o.status)


def _request_fields(a) -> dict:
    tz = a.official.body.timezone
    return dict(id=a.id, status=a.status, citizen_name=a.citizen.full_name, official_id=a.official_id,
                official_name=a.official.full_name, topic_id=a.topic_id, topic=a.topic.name, summary=a.summary,
                format=a.format, studio_id=a.studio_id, sent_at=local(a.created_at, tz), timezone=tz,
                redirect_due_on=a.redirect_due_on, decision=a.decision, decided_at=local(a.decided_at, tz),
                decline_ground=a.decline_ground, redirect_body_id=a.redirect_body_id,
                offers=[_offer(o, tz) for o in a.offers])


def _queue_row(row) -> schemas.QueueRow:
    urgency = row.urgency
    return schemas.QueueRow(**_request_fields(row.request), deadline=row.flag,
                            urgent=urgency is not None and urgency.is_urgent,
                            urgency_reason=urgency.reason if urgency is not None and urgency.is_urgent else None,
                            urgent_late=row.urgent_late, offers_expired=row.offers_expired,
                            offers_until=local(row.offers_until, row.timezone))


@bp.get("/staff/requests")
@scoped(Permission.REQUEST_SCREEN_OWN.value)
@spec.validate(resp=_docs(200, schemas.Queue, 401, 403), tags=["staff"], security=TOKEN)
def staff_requests():
    """The screening queue of the token user's body (the page's): requests waiting for a decision, urgent
    first, then oldest first, with their redirect deadline; and those whose offered times the citizen has
    not chosen from yet."""
    user = g.api_user
    if not requests_policy.can_screen_any(user):
        raise NotAllowed(requests_services.MSG_NOT_YOURS)
    scope, now = requests_policy.screen_scope(user), utcnow()
    calendar = WorkCalendar.from_config(current_app.config)
    awaiting = requests_queries.list_awaiting(scope, now, calendar)
    offered = requests_queries.list_offered(scope, now, calendar)
    record_view("appointment", None, "screening queue (API)",
                appointments=[row.request.id for row in awaiting + offered])
    payload = _json(schemas.Queue(awaiting=[_queue_row(r) for r in awaiting], offered=[_queue_row(r) for r in offered],
                                  total_awaiting=requests_queries.count_awaiting(scope, now)))
    db.session.commit()
    return payload


@bp.post("/staff/requests/<int:request_id>/decision")
@scoped(Permission.REQUEST_SCREEN_OWN.value)
@spec.validate(json=schemas.RequestDecisionBody, resp=_docs(200, schemas.ScreeningRequest, 401, 403, 404, 409, 422),
               tags=["staff"], security=TOKEN)
def staff_request_decision(request_id: int):
    """Decide a request waiting for screening: offer times, redirect it to a competent body, resolve it
    without a reception, or decline it on a ground; the citizen is told. A request already decided or
    withdrawn is a 409."""
    found = requests_queries.get_request(request_id)
    if found is None:
        raise _missing()
    user, wanted, now = g.api_user, request.context.json, utcnow()
    if not requests_policy.can_screen(user, found):
        raise NotAllowed(requests_services.MSG_NOT_YOURS)
    if wanted.action == "offer":
        requests_services.offer_slots(user, found, wanted.slot_ids, wanted.note, now, current_app.config)
    elif wanted.action == "redirect":
        requests_services.redirect_request(user, found, wanted.body_id, wanted.reasons or "", now)
    elif wanted.action == "resolve":
        requests_services.resolve_request(user, found, wanted.resolution or "", now)
    else:
        requests_services.decline_request(user, found, wanted.ground, wanted.note, now)
    db.session.flush()
    payload = _json(schemas.ScreeningRequest(**_request_fields(requests_queries.get_request(found.id))))
    db.session.commit()
    return payload


# --- legal review ----------------------------------------------------------------------------------------

@bp.get("/staff/appointments/<int:appointment_id>/legal-review")
@scoped(Permission.APPOINTMENT_VIEW_OWN.value)
@spec.validate(resp=_docs(200, schemas.LegalReviewState, 401, 403, 404), tags=["staff"], security=TOKEN)
def staff_legal_review(appointment_id: int):
    """The legal review of a reception the token user's board shows (the official themself, an assistant of
    the official's body): flagged, taken, the opinion signed or sent. The opinion's conclusion, recommended
    action and addressee only for whom the page shows them (the official's side for legal review)."""
    appointment = get(Appointment, appointment_id)
    if appointment is None:
        raise _missing()
    user = g.api_user
    if not is_officials_side(user, appointment, Permission.APPOINTMENT_VIEW):
        raise NotAllowed(_("Only the official's side may see this reception."))
    review = legal.get_review_for_appointment(appointment.id)
    if review is None:
        raise NotFound(_("This reception has not been sent for legal review."))
    readable = legal.can_read_opinion(user, appointment)
    tz = legal.review_timezone(review)
    signed = legal.latest_signed(review)
    opinion = None
    if signed is not None:
        text = dict(conclusion=signed.conclusion, recommended_action=signed.recommended_action,
                    addressee=signed.addressee, addressee_body_id=signed.addressee_body_id) if readable else \
            dict(conclusion=None, recommended_action=None, addressee=None, addressee_body_id=None)
        opinion = schemas.SignedOpinion(version=signed.version, status=signed.status,
                                        signed_at=local(signed.signed_at, tz), sent_at=local(signed.sent_at, tz),
                                        **text)
    record_view("appointment", appointment.id, "legal review (API)")
    payload = _json(schemas.LegalReviewState(
        appointment_id=appointment.id, status=review.status, flagged_at=local(review.created_at, tz),
        taken_at=local(review.taken_at, tz), region=review.region.code if review.region else None, timezone=tz,
        can_read_opinion=readable, opinion=opinion))
    db.session.commit()
    return payload
