"""Outcomes of receptions and their follow-up: recording results and instructions with working-day
deadlines, extensions, the responsible bodies' reports and the assistant's verdicts, contacts with
the citizen, deadline warnings, the citizen's rating and citizens' reports of refused bookings.

Every function adds and flushes in the caller's transaction (the view or the CLI commits) and
writes its messages to the outbox in that same transaction. State changes that two people may make
at once are conditional UPDATEs: the second, stale one raises :class:`Conflict` (409).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User, UserRole
from ..audit.services import record_change
from ..booking.lifecycle import Action, transition
from ..booking.models import Appointment, AppointmentStatus
from ..booking.policy import is_officials_side
from ..core.clock import local_today, utcnow
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.permissions import Permission, Role
from ..core.web import absolute_url
from ..core.workdays import WorkCalendar
from ..directory.models import Body, Official, Topic
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from . import signals
from .models import (
    FORWARDED_RESULTS,
    AccessReport,
    AccessReportKind,
    AnswerChannel,
    CitizenContact,
    ContactChannel,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
    Rating,
    ReportVerdict,
    SolvedCheck,
)

#: Appeal types of instructions (their default terms come from RECEPTION_FOLLOWUP_TERMS).
APPEAL_TYPE_LABELS = {
    "statement": _l("Statement"),
    "complaint": _l("Complaint"),
    "proposal": _l("Proposal"),
    "request": _l("Request"),
}
DEFAULT_TERM = 15
#: Appointments whose outcome may be recorded: the citizen came (checked in) or was received (held).
RECORDABLE = (AppointmentStatus.CHECKED_IN, AppointmentStatus.HELD)
MSG_STALE = _l("Someone else changed this record while you were looking at it. Please look at it again "
               "and repeat your change if it is still needed.")


# --- pure rules ---------------------------------------------------------------------------------

def followup_terms(config) -> dict[str, int]:
    """Working days per appeal type from RECEPTION_FOLLOWUP_TERMS ("statement=15,complaint=15,…")."""
    terms = dict.fromkeys(APPEAL_TYPE_LABELS, DEFAULT_TERM)
    for part in str(config.get("FOLLOWUP_TERMS") or "").split(","):
        kind, _, days = part.partition("=")
        if kind.strip() in terms and days.strip().isdigit():
            terms[kind.strip()] = int(days.strip())
    return terms


def default_due_on(appeal_type: str, given_on: date, config) -> date:
    """The default deadline of an instruction given on ``given_on``: its term in working days."""
    term = followup_terms(config).get(appeal_type, DEFAULT_TERM)
    return WorkCalendar.from_config(config).add_working_days(given_on, term)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def given_on(instruction: Instruction) -> date:
    """The local date the instruction was given (in the zone of the official's body)."""
    return local_today(instruction.outcome.appointment.official.body.timezone, instruction.created_at)


def latest_extension_on(instruction: Instruction) -> date:
    """The latest due date an extension may set: two months after the instruction was given."""
    return add_months(given_on(instruction), 2)


def is_overdue(instruction: Instruction, today: date) -> bool:
    return instruction.status is not InstructionStatus.CLOSED and instruction.due_on < today


# --- who may do what ----------------------------------------------------------------------------

def is_responsible_body(user, instruction: Instruction) -> bool:
    """An agency representative of the instruction's body (administrators act for any body)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return (user.can(Permission.INSTRUCTION_REPORT_OWN) and user.body_id is not None
            and user.body_id == instruction.body_id)


def can_view_instruction(user, instruction: Instruction) -> bool:
    return (is_responsible_body(user, instruction)
            or is_officials_side(user, instruction.outcome.appointment, Permission.OUTCOME_RECORD))


# --- reads --------------------------------------------------------------------------------------

def _with_questions():
    """Load options: an outcome's questions with their topic and responsible body, and each question's
    instructions with their body (and its region, for the zone the deadline is read in)."""
    questions = selectinload(Outcome.questions)
    return (questions.joinedload(Question.topic), questions.joinedload(Question.body),
            questions.selectinload(Question.instructions).joinedload(Instruction.body).joinedload(Body.region))


def get_outcome(appointment_id: int) -> Outcome | None:
    """The appointment's outcome with its questions and their instructions (in three queries)."""
    return db.session.scalar(select(Outcome).where(Outcome.appointment_id == appointment_id)
                             .options(*_with_questions()))


def outcomes_by_appointment(appointment_ids) -> dict[int, Outcome]:
    """The outcomes of these appointments (those that have one), with their questions and the questions'
    instructions and bodies, in three queries whatever their number."""
    appointment_ids = list(appointment_ids)
    if not appointment_ids:
        return {}
    rows = db.session.scalars(select(Outcome).where(Outcome.appointment_id.in_(appointment_ids))
                              .options(*_with_questions()))
    return {outcome.appointment_id: outcome for outcome in rows}


def get_rating(appointment_id: int) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.appointment_id == appointment_id))


def active_bodies() -> list[Body]:
    return list(db.session.scalars(select(Body).where(Body.is_active).order_by(Body.name_en)))


def _instructions_ordered(stmt, today: date) -> list[Instruction]:
    # With what the lists show of each: the body, the question it was given on, and the reception's
    # official and citizen.
    question = joinedload(Instruction.question)
    appointment = question.joinedload(Question.outcome).joinedload(Outcome.appointment)
    rows = list(db.session.scalars(stmt.options(
        joinedload(Instruction.body), question.joinedload(Question.topic),
        appointment.joinedload(Appointment.official), appointment.joinedload(Appointment.citizen))))
    return sorted(rows, key=lambda i: instruction_order(i, today))


_RANK = {InstructionStatus.OPEN: 0, InstructionStatus.REPORTED: 1, InstructionStatus.CLOSED: 2}


def instruction_order(instruction: Instruction, today: date) -> tuple:
    """Where an instruction stands in the lists: open before reported, overdue first, then by deadline (the
    API's cursor over these lists is this key)."""
    return (instruction.status is InstructionStatus.CLOSED, not is_overdue(instruction, today),
            _RANK[instruction.status], instruction.due_on, instruction.id)


def list_body_instructions(user, today: date) -> list[Instruction]:
    """The instructions given to the user's body (all bodies for administrators): open first,
    overdue ones first among them."""
    stmt = select(Instruction)
    if not user.has_role(Role.ADMIN):
        if user.body_id is None:
            return []
        stmt = stmt.where(Instruction.body_id == user.body_id)
    return _instructions_ordered(stmt, today)


def list_follow_ups(user, today: date) -> list[Instruction]:
    """Open and reported instructions from the receptions of the user's side: an assistant's body,
    an official's own receptions, every body for administrators. Overdue first."""
    stmt = (select(Instruction).join(Instruction.question).join(Question.outcome).join(Outcome.appointment)
            .join(Appointment.official).where(Instruction.status != InstructionStatus.CLOSED))
    if not user.can(Permission.OUTCOME_RECORD):
        conditions = [Official.user_id == user.id]
        if user.has_role(Role.ASSISTANT) and user.body_id is not None:
            conditions.append(Official.body_id == user.body_id)
        stmt = stmt.where(or_(*conditions))
    return _instructions_ordered(stmt, today)


# --- outcomes, questions and instructions -------------------------------------------------------

#: Bounds of one outcome form (a reception rarely has more than a handful of questions).
MAX_QUESTIONS = 20
MAX_INSTRUCTIONS = 10


@dataclass
class NewInstruction:
    body_id: int | None  # None: the question's responsible body
    responsible_name: str
    text: str
    appeal_type: str
    due_on: date | None  # None: the default term


@dataclass
class QuestionData:
    """One question as the official's side records it. ``id`` is a recorded question being changed (None:
    a new one); ``remove`` takes a recorded question away. ``body_id`` is the responsible body (None: the
    official's own); ``instructions`` are new ones, added to those the question already has."""

    topic_id: int | None
    wording: str
    result: OutcomeResult | None
    grounds: str = ""
    body_id: int | None = None
    instructions: list[NewInstruction] = field(default_factory=list)
    id: int | None = None
    remove: bool = False


class QuestionsInvalid(Invalid):
    """Every problem of the questions at once: ``problems`` is a list of (field, message), the field named
    ``questions-<n>-<name>`` or ``questions-<n>-instructions-<m>-<name>`` by the indices of the lists given
    to :func:`record_outcome` (``questions`` alone: the outcome as a whole). ``field`` and ``message`` are
    the first problem's."""

    def __init__(self, problems: list[tuple[str, object]]):
        field_, message = problems[0]
        super().__init__(message, field=field_)
        self.problems = problems


def _active_body(body_id: int | None) -> Body | None:
    body = get(Body, body_id) if body_id else None
    return body if body is not None and body.is_active else None


def _instruction_problems(item: NewInstruction, question_body_id: int | None, today: date, config,
                          at: str) -> tuple[list[tuple[str, object]], date | None]:
    """What is wrong with a new instruction (field suffix, message), and its deadline when nothing is."""
    problems = []
    if _active_body(item.body_id or question_body_id) is None:
        problems.append((f"{at}-body_id", _l("Choose an active body responsible for the instruction.")))
    if not (item.responsible_name or "").strip():
        problems.append((f"{at}-responsible_name", _l("Name the person responsible in the body.")))
    if not (item.text or "").strip():
        problems.append((f"{at}-text", _l("Say what must be done.")))
    if item.appeal_type not in APPEAL_TYPE_LABELS:
        problems.append((f"{at}-appeal_type", _l("Choose the type of appeal.")))
        return problems, None
    default = default_due_on(item.appeal_type, today, config)
    due = item.due_on or default
    if due < today:
        problems.append((f"{at}-due_on", _l("The due date cannot be in the past.")))
    elif due > default:
        problems.append((f"{at}-due_on", _l("The due date cannot be later than the term for this type of appeal "
                                            "(%(date)s). A later date needs an extension with reasons.",
                                            date=default.isoformat())))
    return problems, (None if problems else due)


def check_questions(questions: list[QuestionData], recorded: dict[int, Question], today: date,
                    config) -> list[list[date]]:
    """Check the questions of an outcome against the rules; ``recorded`` are the outcome's questions by id.

    At least one question stays; each has a topic, a wording and a result; a refusal has grounds; a
    forwarded question (fully or in part) names the body it went to and has at least one instruction (one
    given before counts); each new instruction has a body (its own or the question's), the person
    responsible, what must be done, a type of appeal and a due date from today to its type's term. A
    question with instructions is not removed (the bodies are working on them: change its result instead).
    Returns the due dates of each question's new instructions; raises QuestionsInvalid with every problem,
    Conflict when a question named is not one of the outcome's (changed meanwhile)."""
    problems: list[tuple[str, object]] = []
    dues: list[list[date]] = []
    named = {q.id for q in questions if q.id is not None}
    if not named <= set(recorded):
        raise Conflict(MSG_STALE)
    if len(named) != len([q for q in questions if q.id is not None]):
        raise Conflict(MSG_STALE)  # one question twice: a damaged form
    kept = [q for q in questions if not q.remove] + [q for qid, q in recorded.items() if qid not in named]
    if not kept:
        problems.append(("questions", _l("Record at least one question the citizen raised, with its result.")))
    for n, q in enumerate(questions):
        at = f"questions-{n}"
        dues.append([])
        if q.remove:
            if q.id is None:
                continue
            if recorded[q.id].instructions:
                problems.append((f"{at}-remove", _l("This question has instructions to bodies, so it stays: "
                                                    "change its result instead.")))
            continue
        if get(Topic, q.topic_id) is None:
            problems.append((f"{at}-topic_id", _l("Choose the topic of the question.")))
        if not (q.wording or "").strip():
            problems.append((f"{at}-wording", _l("Write the question in a few words.")))
        if q.result is None:
            problems.append((f"{at}-result", _l("Choose the result.")))
        elif q.result is OutcomeResult.REFUSED and not (q.grounds or "").strip():
            problems.append((f"{at}-grounds", _l("Give the grounds for the refusal.")))
        if q.body_id and _active_body(q.body_id) is None:
            problems.append((f"{at}-body_id", _l("Choose an active body.")))
        elif q.result in FORWARDED_RESULTS and not q.body_id:
            problems.append((f"{at}-body_id", _l("Choose the body the question is forwarded to.")))
        given = len(recorded[q.id].instructions) if q.id is not None else 0
        if q.result in FORWARDED_RESULTS and not given and not q.instructions:
            problems.append((f"{at}-instructions", _l("A forwarded question needs at least one instruction "
                                                      "to a body, with its deadline.")))
        for m, item in enumerate(q.instructions):
            found, due = _instruction_problems(item, q.body_id, today, config, f"{at}-instructions-{m}")
            problems.extend(found)
            dues[-1].append(due)
    if problems:
        raise QuestionsInvalid(problems)
    return dues


def record_outcome(actor, appointment: Appointment, questions: list[QuestionData], notes: str,
                   seen: datetime | None, now: datetime, config) -> Outcome:
    """Record (or update) the outcome of a reception: the questions the citizen raised, each with its
    result and new instructions to bodies, and notes on the reception as a whole.

    A checked-in appointment becomes held (the reception took place). On an update, recorded questions
    named by ``id`` are changed (or removed, see :func:`check_questions`), those not named stay as they
    are, and new ones follow them; instructions are only ever added. The first recording tells the
    citizen (``outcome_recorded``, once: an edit does not resend); questions or instructions added by a
    later edit are told in a message of their own. ``seen`` is the outcome's ``updated_at`` the form was
    built from (None for a new one); a stale form raises Conflict. Raises NotAllowed for anyone but the
    official's side, Conflict before check-in, QuestionsInvalid (422) with every broken rule.
    """
    if not is_officials_side(actor, appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_l("Only the official's side may record the outcome of this reception."))
    if appointment.status not in RECORDABLE:
        raise Conflict(_l("The outcome can be recorded once the citizen has been checked in."))
    today = local_today(appointment.official.body.timezone, now)
    outcome = get_outcome(appointment.id)
    created = outcome is None
    if (seen is not None) if created else (seen != outcome.updated_at):
        raise Conflict(MSG_STALE)
    recorded = {} if created else {q.id: q for q in outcome.questions}
    dues = check_questions(questions, recorded, today, config)
    notes = (notes or "").strip()

    if created:
        outcome = Outcome(appointment_id=appointment.id, notes=notes, recorded_by_id=actor.id, recorded_at=now,
                          updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(outcome)
        except IntegrityError:
            raise Conflict(MSG_STALE) from None
    else:
        # The conditional UPDATE orders two editors of one outcome: the second finds it changed.
        changed = db.session.execute(
            update(Outcome).where(Outcome.id == outcome.id, Outcome.updated_at == outcome.updated_at)
            .values(notes=notes, updated_at=now).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise Conflict(MSG_STALE)
        if notes != outcome.notes:
            record_change("outcome", outcome.id, {"notes": (outcome.notes, notes)})
        db.session.refresh(outcome, ["notes", "updated_at"])

    if appointment.status is AppointmentStatus.CHECKED_IN:
        # Recording the outcome means the reception took place (the day board may not have been used).
        transition(appointment, Action.HOLD, now, values={"finished_at": appointment.finished_at or now})

    # Questions: changed in place (the audit records each field), removed, or added after the others.
    # Positions are never reused: a removed question leaves a gap, pages number questions by their order.
    position = max((q.position for q in recorded.values()), default=0)
    added_questions, added = [], []
    for data, question_dues in zip(questions, dues, strict=True):
        if data.remove:
            if data.id is not None:
                db.session.delete(recorded[data.id])
            continue
        values = dict(topic_id=data.topic_id, wording=data.wording.strip(), result=data.result,
                      grounds=(data.grounds or "").strip() or None, body_id=data.body_id or None)
        if data.id is not None:
            question = recorded[data.id]
            for key, value in values.items():
                if getattr(question, key) != value:
                    setattr(question, key, value)
        else:
            position += 1
            question = Question(outcome_id=outcome.id, position=position, created_at=now, **values)
            db.session.add(question)
            added_questions.append(question)
        for item, due in zip(data.instructions, question_dues, strict=True):
            instruction = Instruction(question=question, body_id=item.body_id or data.body_id,
                                      responsible_name=item.responsible_name.strip(), text=item.text.strip(),
                                      appeal_type=item.appeal_type, due_on=due, original_due_on=due,
                                      status=InstructionStatus.OPEN, created_at=now)
            db.session.add(instruction)
            added.append(instruction)
    db.session.flush()
    db.session.expire(outcome, ["questions"])
    outcome = get_outcome(appointment.id)
    if created:
        _tell_citizen_outcome(outcome, outcome.questions, outcome.instructions, f"outcome:{outcome.id}",
                              update=False)
        signals.outcome_recorded.send(outcome, now=now)
    elif added_questions or added:
        new_ids = {q.id for q in added_questions}
        shown = [q for q in outcome.questions if q.id in new_ids or any(i in added for i in q.instructions)]
        first = min([q.id for q in added_questions] or [0]), min([i.id for i in added] or [0])
        _tell_citizen_outcome(outcome, shown, added, f"outcome:{outcome.id}:added:{first[0]}:{first[1]}",
                              update=True)
    return outcome


def _tell_citizen_outcome(outcome: Outcome, questions: list[Question], instructions: list[Instruction], key: str,
                          update: bool) -> None:
    """``questions`` are those the message tells of, each with those of its ``instructions`` it lists."""
    appointment = outcome.appointment
    citizen = appointment.citizen
    notify(citizen, "outcome_recorded",
           _l("The outcome of your reception: talon %(talon)s", talon=appointment.talon_number),
           "outcome_recorded", dedupe_key=key, appointment_id=appointment.id, outcome=outcome,
           questions=questions, instructions=instructions, update=update,
           numbers={q.id: n for n, q in enumerate(outcome.questions, 1)}, with_context="appointment",
           appointment=appointment)


def extend_instruction(actor, instruction: Instruction, new_due_on: date, reason: str, seen_due_on: date,
                       now: datetime) -> Instruction:
    """Move an instruction's deadline by a reasoned decision and tell the citizen (``instruction_extended``).

    The new date must be later than the current one and at most two months after the instruction
    was given. The deadline warnings re-arm by themselves (they are kept per deadline). Raises
    NotAllowed, Invalid, or Conflict when the instruction is closed or the form is stale.
    """
    appointment = instruction.outcome.appointment
    if not is_officials_side(actor, appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_l("Only the official's side may extend this instruction."))
    if instruction.status is InstructionStatus.CLOSED:
        raise Conflict(_l("This instruction is done; its deadline cannot change."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Give the reasons for the extension."), field="reason")
    if seen_due_on != instruction.due_on:
        raise Conflict(MSG_STALE)
    if new_due_on <= instruction.due_on:
        raise Invalid(_l("The new due date must be later than the current one (%(date)s).",
                         date=instruction.due_on.isoformat()), field="due_on")
    latest = latest_extension_on(instruction)
    if new_due_on > latest:
        raise Invalid(_l("The due date can be extended to %(date)s at the latest: two months after the "
                         "instruction was given.", date=latest.isoformat()), field="due_on")
    changed = db.session.execute(
        update(Instruction).where(Instruction.id == instruction.id, Instruction.due_on == seen_due_on,
                                  Instruction.status != InstructionStatus.CLOSED)
        .values(due_on=new_due_on, extension_reason=reason, extended_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(MSG_STALE)
    record_change("instruction", instruction.id,
                  {"due_on": (seen_due_on, new_due_on), "extension_reason": (None, reason)})
    db.session.refresh(instruction)
    citizen = appointment.citizen
    notify(citizen, "instruction_extended",
           _l("A deadline after your reception has been extended: talon %(talon)s",
                                talon=appointment.talon_number),
           "instruction_extended", dedupe_key=f"extended:{instruction.id}:{new_due_on.isoformat()}",
           appointment_id=appointment.id, instruction=instruction, with_context="appointment", appointment=appointment)
    return instruction


def report_instruction(actor, instruction: Instruction, text: str, seen_status: InstructionStatus,
                       now: datetime) -> InstructionReport:
    """The responsible body reports what it did: the instruction goes to ``reported`` for checking.

    A body may add to its report while it waits. ``seen_status`` is the status the form was built
    from: if the report was returned or accepted meanwhile, Conflict (the body should read the
    verdict first). Raises NotAllowed for anyone outside the responsible body, Conflict once the
    instruction is done.
    """
    if not is_responsible_body(actor, instruction):
        raise NotAllowed(_l("Only the responsible body may report on this instruction."))
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Say what was done."), field="text")
    if instruction.status is InstructionStatus.CLOSED:
        raise Conflict(_l("This instruction is already done: no report is needed."))
    changed = db.session.execute(
        update(Instruction).where(Instruction.id == instruction.id, Instruction.status == seen_status)
        .values(status=InstructionStatus.REPORTED).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(MSG_STALE)
    record_change("instruction", instruction.id, {"status": (seen_status, InstructionStatus.REPORTED)})
    report = InstructionReport(instruction_id=instruction.id, author_id=actor.id, text=text, created_at=now)
    db.session.add(report)
    db.session.flush()
    db.session.refresh(instruction)
    return report


def judge_report(actor, instruction: Instruction, report_id: int, accept: bool, note: str,
                 now: datetime) -> InstructionReport:
    """The official's side accepts the body's latest report (the instruction is closed) or returns it
    with a note (the instruction is open again; the report keeps the verdict).

    ``report_id`` is the report the form showed: if the body reported again or someone else judged
    it meanwhile, Conflict. Raises NotAllowed, Invalid (no note for a return).
    """
    if not is_officials_side(actor, instruction.outcome.appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_l("Only the official's side may check the body's report."))
    note = (note or "").strip()
    if not accept and not note:
        raise Invalid(_l("Say why the report is returned."), field="note")
    report = get(InstructionReport, report_id)
    if report is None or report.instruction_id != instruction.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    latest = instruction.reports[-1] if instruction.reports else None
    if report is not latest or report.verdict is not None or instruction.status is not InstructionStatus.REPORTED:
        raise Conflict(MSG_STALE)
    values = dict(status=InstructionStatus.CLOSED, closed_at=now, closed_by_id=actor.id) if accept \
        else dict(status=InstructionStatus.OPEN)
    changed = db.session.execute(
        update(Instruction).where(Instruction.id == instruction.id, Instruction.status == InstructionStatus.REPORTED)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    judged = db.session.execute(
        update(InstructionReport).where(InstructionReport.id == report.id, InstructionReport.verdict.is_(None))
        .values(verdict=ReportVerdict.ACCEPTED if accept else ReportVerdict.RETURNED, verdict_note=note or None,
                verdict_by_id=actor.id, verdict_at=now).execution_options(synchronize_session=False)).rowcount
    if changed != 1 or judged != 1:
        raise Conflict(MSG_STALE)
    record_change("instruction", instruction.id, {"status": (InstructionStatus.REPORTED, values["status"])})
    record_change("instruction_report", report.id, {"verdict": (None, "accepted" if accept else "returned"),
                                                    "verdict_note": (None, note or None)})
    db.session.refresh(instruction)
    db.session.refresh(report)
    if accept:
        ask_if_solved(instruction.question, now)
    return report


def log_contact(actor, instruction: Instruction, channel: ContactChannel, confirmed: bool | None, note: str,
                now: datetime) -> CitizenContact:
    """Log the official's side's contact with the citizen about what the body claims it did."""
    if not is_officials_side(actor, instruction.outcome.appointment, Permission.OUTCOME_RECORD):
        raise NotAllowed(_l("Only the official's side may log contacts with the citizen."))
    contact = CitizenContact(instruction_id=instruction.id, staff_id=actor.id, channel=channel,
                             confirmed=confirmed, note=(note or "").strip(), contacted_at=now)
    db.session.add(contact)
    # The call back the citizen's "not solved" asked for has been made: the follow-up task is done.
    for check in db.session.scalars(select(SolvedCheck).where(
            SolvedCheck.question_id == instruction.question_id, SolvedCheck.solved.is_(False),
            SolvedCheck.follow_up_done_at.is_(None))):
        check.follow_up_done_at, check.follow_up_done_by_id = now, actor.id
    db.session.flush()
    return contact


# --- closing the loop: is the citizen's problem solved? ----------------------------------------

MSG_ANSWERED = _l("You have already answered whether this problem is solved. Thank you.")
#: The replies to the "solved?" SMS: "1" solved, "2" not solved.
SMS_ANSWERS = {"1": True, "2": False}


def ask_if_solved(question: Question, now: datetime) -> SolvedCheck | None:
    """Once every instruction on ``question`` is done, ask the citizen whether the problem is solved.

    Writes the question's SolvedCheck (one per question: the database refuses a second, so a second
    acceptance or a race between two changes nothing) and tells the citizen by the channels they chose
    (``solved_asked``: what the bodies reported, a yes/no on the talon page, and by SMS "reply 1 if solved, 2
    if not"), in the caller's transaction. Returns the new check, or None when an instruction is still open or
    the citizen was asked already.
    """
    # Two instructions of one question accepted at once: the question's row orders them, and the second
    # reads the statuses after the first committed (so one of them asks). Statuses are read from the database:
    # they are changed by UPDATE statements, not through the loaded objects.
    db.session.execute(select(Question.id).where(Question.id == question.id).with_for_update())
    statuses = list(db.session.scalars(select(Instruction.status).where(Instruction.question_id == question.id)))
    if not statuses or any(status is not InstructionStatus.CLOSED for status in statuses):
        return None
    appointment = question.outcome.appointment
    check = SolvedCheck(question_id=question.id, appointment_id=appointment.id,
                        citizen_id=appointment.citizen_id, asked_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(check)
    except IntegrityError:
        return None  # asked already
    notify(appointment.citizen, "solved_asked",
           _l("Is your problem solved? Talon %(talon)s", talon=appointment.talon_number), "solved_asked",
           dedupe_key=f"solved_asked:{question.id}", appointment_id=appointment.id, with_context="appointment",
           appointment=appointment, question=question)
    return check


def solved_checks_by_question(appointment_id: int) -> dict[int, SolvedCheck]:
    """The "solved?" checks of an appointment's questions, by question id (one query)."""
    return {c.question_id: c for c in db.session.scalars(
        select(SolvedCheck).where(SolvedCheck.appointment_id == appointment_id))}


def get_solved_check(appointment_id: int, question_id: int) -> SolvedCheck | None:
    return db.session.scalar(select(SolvedCheck).where(SolvedCheck.appointment_id == appointment_id,
                                                       SolvedCheck.question_id == question_id))


def answer_solved(citizen, check: SolvedCheck, solved: bool, via: AnswerChannel, now: datetime) -> SolvedCheck:
    """Record the citizen's answer to "is your problem solved?", once.

    "Yes" confirms the question solved; "no" opens a follow-up task for the official's side (listed at
    /staff/follow-ups/ until a contact with the citizen is logged, see :func:`log_contact`). A conditional
    UPDATE takes the first answer only (the page and an SMS at once included). Audited. Raises NotFound
    (another citizen's question) and Conflict (answered already).
    """
    if check.citizen_id != citizen.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    changed = db.session.execute(
        update(SolvedCheck).where(SolvedCheck.id == check.id, SolvedCheck.answered_at.is_(None))
        .values(answered_at=now, solved=solved, answered_via=via)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(MSG_ANSWERED)
    record_change("solved_check", check.id, {"answered_at": (None, now), "solved": (None, solved),
                                             "answered_via": (None, via)})
    db.session.refresh(check)
    return check


def open_check_for_phone(phone: str) -> SolvedCheck | None:
    """The unanswered "solved?" check of the citizen with this phone (E.164); of several, the one asked last
    (the SMS a reply answers is most likely the latest), whichever citizen of that phone it belongs to."""
    return db.session.scalar(
        select(SolvedCheck).join(User, User.id == SolvedCheck.citizen_id)
        .where(User.phone == phone, SolvedCheck.answered_at.is_(None))
        .order_by(SolvedCheck.asked_at.desc(), SolvedCheck.id.desc()).limit(1))


def on_sms_received(sender, text: str | None = None, received_at: datetime | None = None, **_) -> bool:
    """Receiver of reception.notifications.signals.sms_received: "1" (solved) or "2" (not solved) from a
    citizen's phone answers their open "solved?" question. Anything else, a phone with no open question, or
    a question answered meanwhile: not understood (False), nothing changes."""
    solved = SMS_ANSWERS.get((text or "").strip())
    if solved is None or not isinstance(sender, str):
        return False
    check = open_check_for_phone(sender)
    if check is None:
        return False
    try:
        with db.session.begin_nested():
            answer_solved(check.citizen, check, solved, AnswerChannel.SMS, received_at or utcnow())
    except Conflict:
        return False
    return True


def list_unsolved(user) -> list[SolvedCheck]:
    """Follow-up tasks: citizens who answered that their problem is not solved and have not been called back
    yet, from the receptions of the user's side (as :func:`list_follow_ups`); the latest answers first."""
    stmt = (select(SolvedCheck).join(SolvedCheck.appointment).join(Appointment.official)
            .where(SolvedCheck.solved.is_(False), SolvedCheck.follow_up_done_at.is_(None)))
    if not user.can(Permission.OUTCOME_RECORD):
        conditions = [Official.user_id == user.id]
        if user.has_role(Role.ASSISTANT) and user.body_id is not None:
            conditions.append(Official.body_id == user.body_id)
        stmt = stmt.where(or_(*conditions))
    question = joinedload(SolvedCheck.question)
    appointment = joinedload(SolvedCheck.appointment)
    return list(db.session.scalars(stmt.order_by(SolvedCheck.answered_at.desc(), SolvedCheck.id.desc()).options(
        question.joinedload(Question.topic), question.selectinload(Question.instructions).joinedload(Instruction.body),
        appointment.joinedload(Appointment.official), appointment.joinedload(Appointment.citizen))))


# --- deadline warnings --------------------------------------------------------------------------

@dataclass
class WarnResult:
    due_soon: int = 0
    overdue: int = 0
    messages: int = 0


def _representatives(body_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.AGENCY_REP, User.body_id == body_id, User.is_active)
        .order_by(User.id).distinct()))


def warn_followups(now: datetime, config) -> WarnResult:
    """Warn the responsible bodies' active agency representatives of deadlines within
    RECEPTION_FOLLOWUP_WARN_DAYS working days (``followup_due_soon``) or passed (``followup_overdue``).

    Each warning goes once per deadline: ``near_warned_for`` / ``overdue_warned_for`` are set by a
    conditional UPDATE, so of two runs at once only one sends; an extension (a new deadline)
    re-arms both. Commits after each instruction.
    """
    calendar_ = WorkCalendar.from_config(config)
    warn_days = int(config.get("FOLLOWUP_WARN_DAYS") or 0)
    result = WarnResult()
    ids = list(db.session.scalars(select(Instruction.id).where(Instruction.status != InstructionStatus.CLOSED)
                                  .order_by(Instruction.due_on, Instruction.id)))
    for instruction_id in ids:
        instruction = db.session.get(Instruction, instruction_id)
        today = local_today(instruction.body.timezone, now)
        due = instruction.due_on
        if due < today:
            column, kind = Instruction.overdue_warned_for, "followup_overdue"
        elif calendar_.working_days_between(today, due) <= warn_days:
            column, kind = Instruction.near_warned_for, "followup_due_soon"
        else:
            continue
        claimed = db.session.execute(
            update(Instruction).where(Instruction.id == instruction.id, Instruction.due_on == due,
                                      Instruction.status != InstructionStatus.CLOSED,
                                      or_(column.is_(None), column != due))
            .values({column.key: due}).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        record_change("instruction", instruction.id, {column.key: (None, due)})
        appointment = instruction.outcome.appointment
        for rep in _representatives(instruction.body_id):
            subject = (_l("Deadline passed: instruction No. %(id)s", id=instruction.id) if kind == "followup_overdue"
                       else _l("Deadline near: instruction No. %(id)s", id=instruction.id))
            result.messages += len(notify(
                rep, kind, subject, kind, dedupe_key=f"{kind}:{instruction.id}:{due}:{rep.id}",
                instruction=instruction, appointment=appointment, today=today,
                instruction_url=absolute_url("outcomes.instruction", instruction_id=instruction.id)))
        if kind == "followup_overdue":
            signals.instruction_overdue.send(instruction, now=now, due_on=due)
            result.overdue += 1
        else:
            result.due_soon += 1
        db.session.commit()
    return result


# --- the citizen ------------------------------------------------------------------------------

def rate_reception(citizen, appointment: Appointment, score: int, comment: str, now: datetime) -> Rating:
    """The citizen rates their held reception, once (a second rating is a Conflict)."""
    if appointment.citizen_id != citizen.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    if appointment.status is not AppointmentStatus.HELD:
        raise Conflict(_l("You can rate a reception once it has been held."))
    if not 1 <= score <= 5:
        raise Invalid(_l("Choose a mark from 1 to 5."), field="score")
    if get_rating(appointment.id) is not None:
        raise Conflict(_l("You have already rated this reception. Thank you."))
    rating = Rating(appointment_id=appointment.id, citizen_id=citizen.id, score=score,
                    comment=(comment or "").strip(), created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise Conflict(_l("You have already rated this reception. Thank you.")) from None
    return rating


def report_access(citizen, body_id: int, official_id: int | None, kind: AccessReportKind, text: str,
                  now: datetime) -> AccessReport:
    """A citizen reports being refused a booking or finding no reception time; monitors read it."""
    body = get(Body, body_id)
    if body is None or not body.is_active:
        raise Invalid(_l("Choose the body."), field="body_id")
    if official_id:
        official = get(Official, official_id)
        if official is None or official.body_id != body.id:
            raise Invalid(_l("Choose an official of that body, or none."), field="official_id")
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Tell us what happened."), field="text")
    report = AccessReport(citizen_id=citizen.id, body_id=body.id, official_id=official_id or None, kind=kind,
                          text=text, created_at=now)
    db.session.add(report)
    db.session.flush()
    return report


def review_access_report(actor, report: AccessReport, now: datetime) -> AccessReport:
    """A monitor marks a citizen's report as reviewed (once: a second is a Conflict)."""
    if not actor.can(Permission.ACCESS_REPORT_VIEW):
        raise NotAllowed(_l("Only monitors may review these reports."))
    changed = db.session.execute(
        update(AccessReport).where(AccessReport.id == report.id, AccessReport.reviewed_at.is_(None))
        .values(reviewed_at=now, reviewed_by_id=actor.id).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(_l("This report has already been marked as reviewed."))
    record_change("access_report", report.id, {"reviewed_at": (None, now)})
    db.session.refresh(report)
    return report


def list_access_reports(body_id: int | None = None) -> list[AccessReport]:
    stmt = select(AccessReport).order_by(AccessReport.reviewed_at.is_not(None), AccessReport.created_at.desc())
    if body_id:
        stmt = stmt.where(AccessReport.body_id == body_id)
    return list(db.session.scalars(stmt))


def list_own_access_reports(citizen) -> list[AccessReport]:
    return list(db.session.scalars(select(AccessReport).where(AccessReport.citizen_id == citizen.id)
                                   .order_by(AccessReport.created_at.desc())))
