"""A small reception history whose every figure is worked out by hand (see ``test_figures``).

February 2024, three bodies:

- A, Aktobe Region Akimat (regional, Asia/Aqtobe), officials a1 and a2:
  S1 a1 05.02 held (3 slots: X with two co-applicants and Y held, W no-show);
  S2 a1 12.02 never marked, but X was received there (so it was held; its 2nd slot was booked, then cancelled);
  S3 a2 14.02 cancelled "Business trip" (2 slots).
- B, Saryarka District Akimat of Astana (district, Asia/Almaty), official b1:
  S4 b1 20.02 never marked, nobody came (1 slot); S5 b1 27.02 unpublished (not counted);
  demand: a request received at 01:30 on 1 February in Astana (still 31 January in UTC), a waitlist
  join, a citizen's report of a refused booking; a request at 00:30 on 1 March in Astana (29 February UTC).
- C, a ministry (central, no region), official c1: S8 c1 21.02 held (2 slots, X received); S6 31.01.

Questions: at S1, X: q1 housing resolved, q2 land refused; Y: q3 social protection forwarded in part with
i1 (to B, done), i2 (to B, due 20.02, open) and i4 (to C, due 26.02, extended to 05.03, open); at S2, X:
q4 housing explained (a repeat: X raised housing at S1); at S8, X: q5 construction forwarded with i3 (to A,
done), q6 "other" under consideration.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment, AppointmentStatus, WaitlistEntry
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.outcomes.models import (
    AccessReport,
    AccessReportKind,
    Instruction,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
)
from reception.schedule.models import AttendanceFormat, ReceptionSession, SessionStatus, Slot
from tests.conftest import _PASSWORD_HASH

UTC = ZoneInfo("UTC")


@dataclass
class History:
    a: Body
    b: Body
    c: Body
    officials: dict[str, Official]
    sessions: dict[str, ReceptionSession]
    citizens: dict[str, User]
    instructions: dict[str, Instruction]
    topics: dict[str, Topic]


def _region(db, code):
    return db.session.scalars(select(Region).where(Region.code == code)).one()


def _topic(db, code):
    return db.session.scalars(select(Topic).where(Topic.code == code)).one()


@pytest.fixture
def history(db, make_body, make_official):
    aktobe, astana = _region(db, "KZ-15"), _region(db, "KZ-71")
    a = make_body(level=BodyLevel.REGIONAL, region=aktobe, name_en="Aktobe Region Akimat")
    b = make_body(level=BodyLevel.DISTRICT, region=astana, name_en="Saryarka District Akimat")
    c = make_body(level=BodyLevel.CENTRAL, region=None, name_en="Ministry of Labour")
    officials = {"a1": make_official(body=a), "a2": make_official(body=a), "b1": make_official(body=b),
                 "c1": make_official(body=c)}
    venues = {}
    for body, region in ((a, aktobe), (b, astana), (c, astana)):
        venues[body.id] = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk="v", name_ru="v",
                                name_en="v", address_kk="a", address_ru="a", address_en="a")
    db.session.add_all(venues.values())

    def session(name, official, day, slots, status=SessionStatus.PLANNED, published=True, reason=None):
        official = officials[official]
        venue = venues[official.body_id]
        start = datetime.combine(day, time(10), tzinfo=ZoneInfo(venue.region.timezone)).astimezone(UTC)
        s = ReceptionSession(official=official, venue=venue, local_date=day, starts_at=start,
                             ends_at=start + timedelta(minutes=30 * slots), opens_at=start - timedelta(days=30),
                             closes_at=start - timedelta(hours=1), status=status, is_published=published,
                             status_reason=reason)
        s.slots = [Slot(starts_at=start + timedelta(minutes=30 * i), ends_at=start + timedelta(minutes=30 * (i + 1)))
                   for i in range(slots)]
        db.session.add(s)
        return s

    sessions = {
        "S1": session("S1", "a1", date(2024, 2, 5), 3, SessionStatus.HELD),
        "S2": session("S2", "a1", date(2024, 2, 12), 2),
        "S3": session("S3", "a2", date(2024, 2, 14), 2, SessionStatus.CANCELLED, reason="Business trip"),
        "S4": session("S4", "b1", date(2024, 2, 20), 1),
        "S5": session("S5", "b1", date(2024, 2, 27), 1, published=False),
        "S6": session("S6", "c1", date(2024, 1, 31), 1, SessionStatus.HELD),
        "S8": session("S8", "c1", date(2024, 2, 21), 2, SessionStatus.HELD),
    }
    citizens = {}
    for name in ("X", "Y", "W", "V"):
        user = User(email=f"citizen-{name}-{id(sessions)}@example.kz", full_name=f"Citizen {name}",
                    password_hash=_PASSWORD_HASH, language="en", region_id=aktobe.id,
                    role_rows=[UserRole(role=Role.CITIZEN)])
        citizens[name] = user
    db.session.add_all(citizens.values())
    db.session.flush()
    topics = {code: _topic(db, code) for code in ("housing", "land", "social", "construction", "other")}

    def appointment(citizen, s, slot_index, status, days_before, co=None):
        slot = sessions[s].slots[slot_index]
        appt = Appointment(citizen=citizens[citizen], official_id=sessions[s].official_id, session=sessions[s],
                           slot=slot, format=AttendanceFormat.IN_PERSON, topic_id=topics["housing"].id,
                           summary="s", status=status, co_applicants=co,
                           created_at=slot.starts_at - timedelta(days=days_before))
        db.session.add(appt)
        return appt

    x1 = appointment("X", "S1", 0, AppointmentStatus.HELD, 4, co="Aigerim Sadykova\nBolat Sadykov")
    y1 = appointment("Y", "S1", 1, AppointmentStatus.HELD, 3)
    appointment("W", "S1", 2, AppointmentStatus.NO_SHOW, 2)
    x2 = appointment("X", "S2", 0, AppointmentStatus.HELD, 3)
    appointment("V", "S2", 1, AppointmentStatus.CANCELLED, 5)
    x8 = appointment("X", "S8", 0, AppointmentStatus.HELD, 10)
    db.session.flush()

    def outcome(appt, *questions):
        o = Outcome(appointment_id=appt.id, notes="")
        o.questions = [Question(position=n, topic_id=topics[t].id, wording=t, result=r,
                                grounds="No grounds" if r is OutcomeResult.REFUSED else None)
                       for n, (t, r) in enumerate(questions, 1)]
        db.session.add(o)
        return o

    o1 = outcome(x1, ("housing", OutcomeResult.RESOLVED), ("land", OutcomeResult.REFUSED))
    o2 = outcome(y1, ("social", OutcomeResult.FORWARDED_PART))
    outcome(x2, ("housing", OutcomeResult.EXPLAINED))
    o8 = outcome(x8, ("construction", OutcomeResult.FORWARDED), ("other", OutcomeResult.UNDER_CONSIDERATION))
    db.session.flush()
    assert o1.id

    def instruction(question, body, due, status, created, closed=None, original=None):
        i = Instruction(question_id=question.id, body_id=body.id, responsible_name="R", text="t",
                        appeal_type="statement", due_on=due, original_due_on=original or due, status=status,
                        created_at=datetime.combine(created, time(6), tzinfo=UTC),
                        closed_at=datetime.combine(closed, time(6), tzinfo=UTC) if closed else None)
        db.session.add(i)
        return i

    q3, q5 = o2.questions[0], o8.questions[0]
    instructions = {
        "i1": instruction(q3, b, date(2024, 2, 26), InstructionStatus.CLOSED, date(2024, 2, 5), date(2024, 2, 15)),
        "i2": instruction(q3, b, date(2024, 2, 20), InstructionStatus.OPEN, date(2024, 2, 5)),
        "i4": instruction(q3, c, date(2024, 3, 5), InstructionStatus.REPORTED, date(2024, 2, 5),
                          original=date(2024, 2, 26)),
        "i3": instruction(q5, a, date(2024, 3, 1), InstructionStatus.CLOSED, date(2024, 2, 21), date(2024, 2, 28)),
    }
    # Demand for B: a request at 01:30 on 1 February in Astana (UTC+6 until 1 March 2024), one at 00:30 on
    # 1 March (UTC+5 from then on), a waitlist join, a report of a refused booking.
    for at in (datetime(2024, 1, 31, 19, 30, tzinfo=UTC), datetime(2024, 2, 29, 19, 30, tzinfo=UTC)):
        db.session.add(Appointment(citizen=citizens["V"], official_id=officials["b1"].id,
                                   format=AttendanceFormat.IN_PERSON, topic_id=topics["land"].id, summary="r",
                                   status=AppointmentStatus.CLOSED, redirect_due_on=at.date() + timedelta(days=5),
                                   created_at=at))
    db.session.add(WaitlistEntry(citizen=citizens["W"], official_id=officials["b1"].id,
                                 created_at=datetime(2024, 2, 15, 8, tzinfo=UTC),
                                 updated_at=datetime(2024, 2, 15, 8, tzinfo=UTC)))
    db.session.add(AccessReport(citizen=citizens["W"], body=b, kind=AccessReportKind.REFUSED, text="refused",
                                created_at=datetime(2024, 2, 16, 8, tzinfo=UTC)))
    db.session.flush()
    return History(a, b, c, officials, sessions, citizens, instructions, topics)
