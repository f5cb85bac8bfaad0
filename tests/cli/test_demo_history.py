"""The demo's year of history: receptions held and skipped, questions and instructions, demand, all in the
past, generated once from a fixed seed, with a case for every alert of monitoring."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from reception.accounts.models import User, UserRole
from reception.accounts.validation import iin_error, normalize_kz_mobile
from reception.audit.models import AuditEvent
from reception.booking.models import Appointment, AppointmentStatus, RequestDecision, WaitlistEntry, WaitlistStatus
from reception.cli.demo import load_demo_data
from reception.cli.demo_history import BEHAVIOUR, DOMAIN, _History, load_history
from reception.core.clock import local_today, utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, Official, Region, Topic
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.outcomes.models import (
    AccessReport,
    AccessReportKind,
    CitizenContact,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
    Rating,
    ReportVerdict,
)
from reception.outcomes.services import default_due_on
from reception.schedule.models import (
    ReceptionSession,
    SessionKind,
    SessionStatus,
    Slot,
    UnifiedDay,
    VisitingReception,
)

LATE_BODIES = {code for code, behaviour in BEHAVIOUR.items() if behaviour.late}
FROM_HISTORY = User.email.like(f"%@{DOMAIN}")


@pytest.fixture
def history(ctx):
    load_demo_data(local_today())
    _db.session.flush()


def _month(day: date, offset: int = 0) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + offset
    return index // 12, index % 12 + 1


def _past_sessions() -> list[tuple[str, date, SessionStatus, bool, bool]]:
    """(body code, local date, status, published, has a held appointment) of every past session."""
    held = select(Appointment.id).where(Appointment.session_id == ReceptionSession.id,
                                        Appointment.status == AppointmentStatus.HELD).exists()
    return list(_db.session.execute(
        select(Body.code, ReceptionSession.local_date, ReceptionSession.status, ReceptionSession.is_published, held)
        .join(Official, Official.id == ReceptionSession.official_id).join(Body, Body.id == Official.body_id)
        .where(ReceptionSession.local_date < local_today())).all())


def _planned_and_held(rows) -> tuple[int, int]:
    """Monitoring's counts: planned = published; held = marked held or with a held appointment."""
    planned = [r for r in rows if r[3]]
    return len(planned), sum(1 for r in planned if r[2] is SessionStatus.HELD or r[4])


def _history_questions():
    return _db.session.execute(
        select(Question.result, Topic.code, Topic.parent_id, ReceptionSession.local_date, Appointment.citizen_id)
        .join(Topic, Topic.id == Question.topic_id).join(Outcome, Outcome.id == Question.outcome_id)
        .join(Appointment, Appointment.id == Outcome.appointment_id)
        .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
        .join(User, User.id == Appointment.citizen_id).where(FROM_HISTORY)).all()


def _counts() -> dict[str, int]:
    models = (User, ReceptionSession, Slot, Appointment, Outcome, Question, Instruction, InstructionReport,
              CitizenContact, Rating, WaitlistEntry, AccessReport, UnifiedDay, VisitingReception, OutboxMessage)
    return {m.__tablename__: _db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_the_history_covers_the_twelve_months_before_this_one_up_to_yesterday(history):
    today = local_today()
    dates = [r[1] for r in _past_sessions()]
    first = date(*_month(today, -12), 1)
    assert min(dates) < first + timedelta(days=8)
    assert max(dates) < today
    assert {_month(d) for d in dates} >= {_month(today, -n) for n in range(1, 13)}
    assert len(dates) > 1500, "every head of a demo body received about weekly"


def test_nothing_in_the_history_lies_ahead(history):
    now = utcnow()
    citizen = select(User.id).where(FROM_HISTORY)
    appointment = select(Appointment.id).where(Appointment.citizen_id.in_(citizen))
    outcome = select(Outcome.id).where(Outcome.appointment_id.in_(appointment))
    instruction = select(Instruction.id).join(Question).where(Question.outcome_id.in_(outcome))
    checks = {
        "users": (select(User).where(FROM_HISTORY), [User.created_at, User.last_login_at]),
        "appointments": (select(Appointment).where(Appointment.id.in_(appointment)),
                         [Appointment.created_at, Appointment.accepted_at, Appointment.decided_at,
                          Appointment.cancelled_at, Appointment.checked_in_at, Appointment.started_at,
                          Appointment.finished_at]),
        "sessions": (select(ReceptionSession).where(ReceptionSession.local_date < local_today()),
                     [ReceptionSession.ends_at, ReceptionSession.status_changed_at, ReceptionSession.created_at]),
        "outcomes": (select(Outcome).where(Outcome.id.in_(outcome)), [Outcome.recorded_at, Outcome.updated_at]),
        "questions": (select(Question).where(Question.outcome_id.in_(outcome)), [Question.created_at]),
        "instructions": (select(Instruction).where(Instruction.id.in_(instruction)),
                         [Instruction.created_at, Instruction.closed_at, Instruction.extended_at]),
        "reports": (select(InstructionReport).where(InstructionReport.instruction_id.in_(instruction)),
                    [InstructionReport.created_at, InstructionReport.verdict_at]),
        "contacts": (select(CitizenContact).where(CitizenContact.instruction_id.in_(instruction)),
                     [CitizenContact.contacted_at]),
        "ratings": (select(Rating).where(Rating.citizen_id.in_(citizen)), [Rating.created_at]),
        "waitlist": (select(WaitlistEntry).where(WaitlistEntry.citizen_id.in_(citizen)),
                     [WaitlistEntry.created_at, WaitlistEntry.updated_at]),
        "access reports": (select(AccessReport).where(AccessReport.citizen_id.in_(citizen)),
                           [AccessReport.created_at, AccessReport.reviewed_at]),
    }
    for name, (rows, columns) in checks.items():
        subquery = rows.subquery()
        for column in columns:
            latest = _db.session.scalar(select(func.max(subquery.c[column.key])))
            assert latest is not None or name == "contacts", (name, column.key)  # contacts: Aktobe's assistant only
            assert latest is None or latest <= now, (name, column.key, latest)
    assert _db.session.scalar(select(func.count()).select_from(UnifiedDay)
                              .where(UnifiedDay.local_date < local_today())) == 1
    assert _db.session.scalar(select(func.count()).select_from(VisitingReception)) == 3  # 2 past, the demo's coming


def test_loading_again_adds_nothing(history):
    before = _counts()
    load_demo_data(local_today())
    _db.session.flush()
    assert _counts() == before
    assert load_history(local_today(), {b.code: b for b in _db.session.scalars(select(Body))}, "x") is None


def test_the_same_day_gives_the_same_history(ctx):
    load_demo_data(local_today(), history=False)
    bodies = {b.code: b for b in _db.session.scalars(select(Body))}

    def shape():
        generator = _History(local_today(), utcnow(), bodies)
        generator.generate()
        return ([(s.receiver.body.code, s.day, s.fate, sorted(a.slot for a in s.booked)) for s in generator.sessions],
                [(a.citizen.row["iin"], a.topic, a.row["status"]) for a in generator.appointments],
                [(i.row["body_id"], i.row["due_on"], i.row["status"]) for i in generator.instructions])

    assert shape() == shape()


def test_receptions_were_held_cancelled_marked_not_held_or_never_marked(history):
    rows = _past_sessions()
    statuses = Counter(r[2] for r in rows if r[3])
    planned, held = _planned_and_held(rows)
    assert 0.75 < held / planned < 0.95
    assert statuses[SessionStatus.CANCELLED] > 20 and statuses[SessionStatus.NOT_HELD] > 5
    assert statuses[SessionStatus.PLANNED] > 20, "sessions nobody marked"
    assert any(r[2] is SessionStatus.PLANNED and r[4] for r in rows), "held, though the session was never marked"
    reasons = _db.session.scalars(select(ReceptionSession.status_reason).where(
        ReceptionSession.status.in_([SessionStatus.CANCELLED, SessionStatus.NOT_HELD])))
    assert all(reasons)
    kinds = Counter(_db.session.scalars(select(ReceptionSession.kind).where(
        ReceptionSession.local_date < local_today())))
    assert kinds[SessionKind.UNIFIED_DAY] > 20 and kinds[SessionKind.VISITING] == 3
    assert any(not r[3] for r in rows), "bodies that never published their unified-day session"


def test_some_bodies_hold_under_half_of_their_receptions_and_one_month_many_were_skipped(history):
    by_body, by_body_month, by_month = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in _past_sessions():
        by_body[row[0]].append(row)
        by_body_month[row[0], _month(row[1])].append(row)
        by_month[_month(row[1])].append(row)
    skippers = {code for code, rows in by_body.items() if 2 * _planned_and_held(rows)[1] < _planned_and_held(rows)[0]}
    assert "akimat-kz-61-tole-bi" in skippers and len(skippers) >= 2
    assert skippers <= {"akimat-kz-61-tole-bi", "akimat-kz-35-osakarovka", "min-agriculture"}
    assert any(planned >= 3 and 2 * held < planned
               for planned, held in map(_planned_and_held, by_body_month.values()))
    shares = [held / planned for planned, held in map(_planned_and_held, by_month.values()) if planned > 50]
    assert min(shares) < 0.6 < 0.8 < sorted(shares)[len(shares) // 2]


def test_questions_follow_the_published_shares_of_topics_and_results(history):
    questions = _history_questions()
    parents = dict(_db.session.execute(select(Topic.id, Topic.code)).all())
    top = Counter(parents[parent] if parent else code for _, code, parent, _, _ in questions)
    (first, n_first), (second, n_second), *_ = top.most_common()
    assert (first, second) == ("housing", "land")
    assert 0.25 < n_first / len(questions) < 0.45 and 0.15 < n_second / len(questions) < 0.3
    held = _db.session.scalar(select(func.count()).select_from(Outcome).join(Appointment)
                              .join(User, User.id == Appointment.citizen_id).where(FROM_HISTORY))
    assert 1.15 < len(questions) / held < 1.45
    results = Counter(r for r, *_ in questions)
    share = {r: n / len(questions) for r, n in results.items()}
    assert 0.45 < share[OutcomeResult.EXPLAINED] < 0.7
    assert 0.2 < share[OutcomeResult.SATISFIED] + share[OutcomeResult.RESOLVED] < 0.4
    assert 0.01 < share[OutcomeResult.REFUSED] < 0.08
    assert 0.05 < share[OutcomeResult.FORWARDED] + share[OutcomeResult.FORWARDED_PART] < 0.2
    assert results[OutcomeResult.UNDER_CONSIDERATION] > 0


def test_a_topic_rises_over_the_last_two_months(history):
    today = local_today()
    by_month = defaultdict(Counter)
    for _, code, _, day, _ in _history_questions():
        by_month[_month(day)][code] += 1
    last, before = by_month[_month(today, -1)], by_month[_month(today, -2)]
    rising = [code for code in last if last[code] >= 1.5 * before[code] + 8]
    assert rising, (last, before)


def test_citizens_come_back_about_the_same_question(history):
    held = _db.session.execute(
        select(Appointment.citizen_id, Appointment.topic_id, ReceptionSession.local_date)
        .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
        .join(User, User.id == Appointment.citizen_id)
        .where(FROM_HISTORY, Appointment.status == AppointmentStatus.HELD)).all()
    days = defaultdict(set)
    for citizen, topic, day in held:
        days[citizen, topic].add(day)
    assert sum(1 for d in days.values() if len(d) > 1) >= 20
    collective = _db.session.scalars(select(Appointment.co_applicants).where(Appointment.co_applicants.is_not(None)))
    assert all(len(names.splitlines()) >= 2 for names in collective)


def test_instructions_are_due_in_working_days_and_the_overdue_gather_in_two_bodies(history):
    today = local_today()
    rows = _db.session.execute(
        select(Instruction, Body.code).join(Body, Body.id == Instruction.body_id)
        .join(Question).join(Outcome).join(Appointment).join(User, User.id == Appointment.citizen_id)
        .where(FROM_HISTORY)).all()
    overdue = Counter(code for i, code in rows if i.status is not InstructionStatus.CLOSED and i.due_on < today)
    assert sum(overdue.values()) >= 8
    assert overdue.most_common(1)[0][0] in LATE_BODIES
    assert sum(n for code, n in overdue.items() if code in LATE_BODIES) * 2 > sum(overdue.values())
    statuses = Counter(i.status for i, _ in rows)
    assert statuses[InstructionStatus.CLOSED] > statuses[InstructionStatus.OPEN] > 0
    assert statuses[InstructionStatus.REPORTED] > 0
    extended = [i for i, _ in rows if i.extension_reason]
    assert extended and all(i.due_on > i.original_due_on and i.extended_at is not None for i in extended)
    for instruction, _ in rows[:40]:
        zone = ZoneInfo(instruction.question.outcome.appointment.official.body.timezone)
        given = instruction.created_at.astimezone(zone).date()
        assert instruction.original_due_on == default_due_on(instruction.appeal_type, given, current_app.config)
    for instruction, _ in rows:
        verdicts = [r.verdict for r in instruction.reports]
        if instruction.status is InstructionStatus.CLOSED:
            assert verdicts[-1] is ReportVerdict.ACCEPTED and instruction.closed_at is not None
        elif instruction.status is InstructionStatus.REPORTED:
            assert verdicts == [None]
        else:
            assert verdicts == []


def test_demand_is_requests_waitlists_and_refused_bookings_with_a_body_that_does_not_meet_it(history):
    requests = _db.session.execute(select(Appointment.status, Appointment.decision).join(
        User, User.id == Appointment.citizen_id).where(FROM_HISTORY, Appointment.redirect_due_on.is_not(None))).all()
    assert {d for _, d in requests} == {*RequestDecision, None}
    assert any(s is AppointmentStatus.REQUESTED for s, _ in requests), "some still wait for screening"
    waiting = Counter(_db.session.scalars(select(WaitlistEntry.status)))
    assert all(waiting[s] > 0 for s in (WaitlistStatus.WAITING, WaitlistStatus.BOOKED, WaitlistStatus.LEFT,
                                        WaitlistStatus.EXPIRED))
    assert set(_db.session.scalars(select(AccessReport.kind))) == set(AccessReportKind)
    body = _db.session.scalars(select(Body).where(Body.code == "akimat-kz-61-tole-bi")).one()
    waitlist = select(func.count()).select_from(WaitlistEntry).join(Official).where(Official.body_id == body.id)
    reports = select(func.count()).select_from(AccessReport).where(AccessReport.body_id == body.id)
    demand = _db.session.scalar(waitlist) + _db.session.scalar(reports)
    planned, held = _planned_and_held([r for r in _past_sessions() if r[0] == body.code])
    assert demand >= 20 and 2 * held < planned


def test_no_official_receives_twice_at_once_and_no_slot_is_held_twice(history):
    sessions = _db.session.execute(select(ReceptionSession.official_id, ReceptionSession.starts_at,
                                          ReceptionSession.ends_at).where(ReceptionSession.local_date < local_today())
                                   .order_by(ReceptionSession.official_id, ReceptionSession.starts_at)).all()
    for (a, _, end), (b, start, _) in pairwise(sessions):
        assert a != b or start >= end
    taken = Counter(_db.session.scalars(select(Appointment.slot_id).where(
        Appointment.slot_id.is_not(None), Appointment.status != AppointmentStatus.CANCELLED)))
    assert max(taken.values()) == 1


def test_synthetic_citizens_look_real_and_share_one_password_hash(history):
    today = local_today()
    citizens = list(_db.session.scalars(select(User).join(UserRole).where(FROM_HISTORY, UserRole.role == Role.CITIZEN)))
    assert 300 < len(citizens) < 2000
    assert all(iin_error(c.iin, today) is None for c in citizens)
    assert all(normalize_kz_mobile(c.phone) == c.phone for c in citizens)
    assert all(len(c.full_name.split()) == 3 for c in citizens)
    assert {c.language for c in citizens} == {"kk", "ru"}
    assert len(set(_db.session.scalars(select(User.password_hash).where(FROM_HISTORY)))) == 1
    regions = Counter(_db.session.scalars(select(Region.code).join(User, User.region_id == Region.id)
                                          .where(FROM_HISTORY)))
    five = sum(regions[c] for c in ("KZ-19", "KZ-11", "KZ-39", "KZ-31", "KZ-61"))
    assert five > 0.3 * sum(regions.values())
    assert not any(c.notify_visiting for c in citizens)


def test_the_history_sends_nothing_and_is_audited_once(history):
    history_users = select(User.id).where(FROM_HISTORY)
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.user_id.in_(history_users))) == 0
    events = Counter(_db.session.scalars(select(AuditEvent.entity).where(AuditEvent.id > _db.audit_floor)))
    assert events["demo_history"] == 1
    assert sum(events.values()) < 50, events
