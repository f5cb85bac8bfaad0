"""A list page runs as many SQL statements for many rows as for a few: no N+1 queries.

Each test renders its page with a few rows, adds more, renders it again and compares the counts of
statements (``count_queries``). Rows are made as different as the page allows (each its own citizen,
official, body, topic...), so that a per-row query cannot hide behind an object loaded for an earlier row.
"""
from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.audit.models import AuditAction, AuditEvent
from reception.booking.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    Participant,
    ParticipantKind,
    RequestDecision,
    SlotOffer,
)
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Region, Topic, VenueKind
from reception.hearings.models import BodyInvitation, InvitationStatus
from reception.legal.models import Addressee, LegalOpinion, LegalReview, OpinionStatus, ReviewStatus
from reception.outcomes.models import Instruction, InstructionStatus, Outcome, OutcomeResult, Question
from reception.schedule.models import AttendanceFormat, BookingMode
from tests.hearings.conftest import place

SMALL, LARGE = 2, 8

_seq = itertools.count(1)


def load(db, client, count_queries, url: str) -> tuple[str, list[str]]:
    """The page at ``url`` (after committing what the test made) and the statements it ran."""
    db.session.commit()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True), queries


_PARAMETER = r"(?:\?|%s|%\(\w+\)s|\$\d+)"  # SQLite's, psycopg's


def _short(statement: str) -> str:
    """The statement without its column list and with IN lists folded, to tell which query repeats."""
    statement = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(statement.split()))
    return re.sub(rf"IN \({_PARAMETER}(?:, {_PARAMETER})*\)", "IN (...)", statement)


def assert_same_count(small: list[str], large: list[str]) -> None:
    grew = Counter(map(_short, large)) - Counter(map(_short, small))
    assert len(large) == len(small), (
        f"{len(small)} statements with {SMALL} rows, {len(large)} with {LARGE}; these ran more often:\n"
        + "\n".join(f"{n}x {statement}" for statement, n in grew.items()))


def shows_all(page: str, names: list[str]) -> bool:
    return all(name in page for name in names)


def _new_topic(db) -> Topic:
    n = next(_seq)
    topic = Topic(code=f"query-count-{n}", name_kk=f"Тақырып {n}", name_ru=f"Тема {n}", name_en=f"Topic QC{n}")
    db.session.add(topic)
    db.session.flush()
    return topic


@pytest.fixture
def new_topic(db):
    return lambda: _new_topic(db)


@pytest.fixture
def astana(db) -> Region:
    return db.session.scalars(select(Region).where(Region.code == "KZ-71")).one()


def local_midnight(region: Region) -> datetime:
    """Today's local midnight in ``region``, in UTC."""
    tz = ZoneInfo(region.timezone)
    return datetime.combine(utcnow().astimezone(tz).date(), time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def outcome_with_instruction(db, appointment, body, now, **instruction) -> Instruction:
    """An outcome of two questions, each on its own topic: one forwarded to ``body`` with an instruction, one
    explained."""
    outcome = Outcome(appointment_id=appointment.id, notes="", recorded_at=now, updated_at=now)
    db.session.add(outcome)
    db.session.flush()
    forwarded = Question(outcome_id=outcome.id, position=1, topic_id=appointment.topic_id, wording="The roof leaks",
                         result=OutcomeResult.FORWARDED, body_id=body.id, created_at=now)
    explained = Question(outcome_id=outcome.id, position=2, topic_id=_new_topic(db).id, wording="The rent",
                         result=OutcomeResult.EXPLAINED, created_at=now)
    db.session.add_all([forwarded, explained])
    db.session.flush()
    due = instruction.pop("due_on", now.date() + timedelta(days=20))
    values = dict(question_id=forwarded.id, body_id=body.id, responsible_name="Serik Abenov",
                  text="Repair the roof", appeal_type="complaint", due_on=due, original_due_on=due, created_at=now)
    values.update(instruction)
    row = Instruction(**values)
    db.session.add(row)
    db.session.flush()
    return row


def add_request(db, citizen, official, topic, **extra) -> Appointment:
    """A request (request mode: no slot yet, a redirect deadline), written directly."""
    values = dict(citizen_id=citizen.id, official_id=official.id, format=AttendanceFormat.IN_PERSON,
                  topic_id=topic.id, summary="Our district has no school bus.", status=AppointmentStatus.REQUESTED,
                  redirect_due_on=utcnow().date() + timedelta(days=3))
    values.update(extra)
    request = Appointment(**values)
    db.session.add(request)
    db.session.flush()
    return request


# --- the day board ---------------------------------------------------------------------------------

def test_day_board_runs_as_many_queries_for_many_appointments_as_for_few(
        db, client, count_queries, login_as, make_body, make_user, make_official, make_venue, make_session,
        new_topic, astana):
    body = make_body()
    venue = make_venue(body=body)
    login_as(Role.ASSISTANT, body=body)
    consultant = make_user(Role.LEGAL_CONSULTANT, body=make_body(), region_id=astana.id)
    midnight, now = local_midnight(astana), utcnow()
    citizens: list[str] = []

    def add_rows(count: int) -> None:
        """Appointments held today, each in its own session, with everything the board shows beside it."""
        for _ in range(count):
            n = len(citizens)
            session = make_session(make_official(body=body), venue, start=midnight + timedelta(minutes=30 * n),
                                   slots=1, local_date=midnight.astimezone(ZoneInfo(astana.timezone)).date())
            citizen = make_user(Role.CITIZEN, full_name=f"Board Citizen {n}")
            citizens.append(citizen.full_name)
            studio = make_venue(kind=VenueKind.STUDIO)
            appointment = place(db, citizen, session.slots[0], new_topic(), status=AppointmentStatus.HELD,
                                format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
            invited = make_body()
            db.session.add_all([
                Participant(appointment_id=appointment.id, user_id=make_user(Role.ASSISTANT, body=body).id,
                            kind=ParticipantKind.INTERPRETER),
                BodyInvitation(appointment_id=appointment.id, body_id=invited.id, required=True,
                               status=InvitationStatus.ACCEPTED,
                               attendee_id=make_user(Role.AGENCY_REP, body=invited).id)])
            review = LegalReview(appointment_id=appointment.id, region_id=astana.id, status=ReviewStatus.DONE,
                                 consultant_id=consultant.id, taken_at=now)
            db.session.add(review)
            db.session.flush()
            db.session.add(LegalOpinion(review_id=review.id, status=OpinionStatus.SIGNED, conclusion="Lawful",
                                        recommended_action="Write to the akimat", addressee=Addressee.LOCAL_BODY,
                                        addressee_body_id=make_body().id, author_id=consultant.id, signed_at=now))
            outcome_with_instruction(db, appointment, make_body(), now)
            # The citizen's earlier reception, with another official, and its outcome.
            earlier_session = make_session(start=now - timedelta(days=40, minutes=-30 * n), slots=1)
            earlier = place(db, citizen, earlier_session.slots[0], new_topic(), status=AppointmentStatus.HELD)
            outcome_with_instruction(db, earlier, make_body(), now - timedelta(days=39),
                                     due_on=now.date() - timedelta(days=5))

    url = "/staff/day/?date=" + midnight.astimezone(ZoneInfo(astana.timezone)).date().isoformat()
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert shows_all(page, citizens) and page.count('class="card board-appointment"') == SMALL
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert shows_all(page, citizens) and page.count('class="card board-appointment"') == LARGE
    assert page.count("Lawful") == LARGE and page.count("1 earlier appointment") == LARGE
    assert page.count("The rent") == 2 * LARGE  # each question of the day's and the earlier outcomes
    assert_same_count(small, large)


# --- a body's invitations --------------------------------------------------------------------------

def test_body_invitations_run_as_many_queries_for_many_invitations_as_for_few(
        db, client, count_queries, login_as, make_body, make_user, make_official, make_session, new_topic):
    body = make_body()
    login_as(Role.AGENCY_REP, body=body)
    now = utcnow().replace(microsecond=0, second=0)
    citizens: list[str] = []

    def add_rows(count: int) -> None:
        """Invitations to receptions of officials of other bodies; half of them past, half to come."""
        for _ in range(count):
            n = len(citizens)
            start = now + timedelta(days=2, hours=n) if n % 2 else now - timedelta(days=3, hours=n)
            session = make_session(make_official(), start=start, slots=1)
            citizen = make_user(Role.CITIZEN, full_name=f"Invited Citizen {n}")
            citizens.append(session.official.full_name)
            appointment = place(db, citizen, session.slots[0], new_topic(),
                                status=AppointmentStatus.SCHEDULED if n % 2 else AppointmentStatus.HELD)
            db.session.add(BodyInvitation(appointment_id=appointment.id, body_id=body.id, required=bool(n % 2),
                                          status=InvitationStatus.ACCEPTED,
                                          attendee_id=make_user(Role.AGENCY_REP, body=body).id))

    add_rows(SMALL)
    page, small = load(db, client, count_queries, "/staff/invitations/")
    assert shows_all(page, citizens) and page.count("Attends: ") == SMALL
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, "/staff/invitations/")
    assert shows_all(page, citizens) and page.count("Attends: ") == LARGE
    assert_same_count(small, large)


# --- follow-ups ------------------------------------------------------------------------------------

def test_follow_ups_run_as_many_queries_for_many_instructions_as_for_few(
        db, client, count_queries, login_as, make_body, make_user, make_official, make_session, new_topic):
    body = make_body()
    login_as(Role.ASSISTANT, body=body)
    now = utcnow().replace(microsecond=0, second=0)
    names: list[str] = []

    def add_rows(count: int) -> None:
        """Open instructions to other bodies, from held receptions of the body's officials; some overdue."""
        for _ in range(count):
            n = len(names)
            session = make_session(make_official(body=body), start=now - timedelta(days=10, hours=n), slots=1)
            citizen = make_user(Role.CITIZEN, full_name=f"Followed Citizen {n}")
            names.append(citizen.full_name)
            appointment = place(db, citizen, session.slots[0], new_topic(), status=AppointmentStatus.HELD)
            outcome_with_instruction(db, appointment, make_body(), now, due_on=now.date() + timedelta(days=n - 3),
                                     status=InstructionStatus.REPORTED if n % 3 == 0 else InstructionStatus.OPEN)

    add_rows(SMALL)
    page, small = load(db, client, count_queries, "/staff/follow-ups/")
    assert shows_all(page, names) and page.count("Serik Abenov") == SMALL
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, "/staff/follow-ups/")
    assert shows_all(page, names) and page.count("Serik Abenov") == LARGE
    assert page.count("The roof leaks") == LARGE  # the question each instruction was given on
    assert_same_count(small, large)


# --- the screening queue ---------------------------------------------------------------------------

def test_screening_queue_runs_as_many_queries_for_many_requests_as_for_few(
        db, client, count_queries, login_as, make_body, make_user, make_official, make_session, new_topic):
    body = make_body()
    login_as(Role.ASSISTANT, body=body)
    now = utcnow().replace(microsecond=0)
    names: list[str] = []

    def add_rows(count: int) -> None:
        """Requests to the body's officials: new ones, and ones with a time offered."""
        for _ in range(count):
            n = len(names)
            official = make_official(body=body)
            citizen = make_user(Role.CITIZEN, full_name=f"Requesting Citizen {n}")
            names.append(citizen.full_name)
            request = add_request(db, citizen, official, new_topic(), created_at=now - timedelta(hours=n),
                                  redirect_due_on=now.date() + timedelta(days=n - 2))
            if n % 2:
                session = make_session(official, start=now + timedelta(days=3), slots=1,
                                       booking_mode=BookingMode.REQUEST)
                request.status, request.decision = AppointmentStatus.SCREENING, RequestDecision.OFFERED
                db.session.add(SlotOffer(appointment_id=request.id, slot_id=session.slots[0].id,
                                         expires_at=now + timedelta(days=1), status=OfferStatus.OPEN))

    add_rows(SMALL)
    page, small = load(db, client, count_queries, "/staff/requests/")
    assert shows_all(page, names)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, "/staff/requests/")
    assert shows_all(page, names) and f"{LARGE // 2} requests wait for a decision" in page
    assert_same_count(small, large)


# --- the legal queue -------------------------------------------------------------------------------

def test_legal_queue_runs_as_many_queries_for_many_cases_as_for_few(
        db, client, count_queries, login_as, make_body, make_user, make_session, new_topic, astana):
    consultant = login_as(Role.LEGAL_CONSULTANT, body=make_body(), region_id=astana.id)
    now = utcnow().replace(microsecond=0)
    officials: list[str] = []

    def add_rows(count: int) -> None:
        """Cases of the consultant's region with different officials and topics: waiting, and taken by them."""
        for _ in range(count):
            n = len(officials)
            session = make_session(start=now + timedelta(days=2, hours=n), slots=1)
            officials.append(session.official.full_name)
            appointment = place(db, make_user(Role.CITIZEN), session.slots[0], new_topic())
            taken = dict(status=ReviewStatus.TAKEN, consultant_id=consultant.id, taken_at=now) if n % 2 else {}
            db.session.add(LegalReview(appointment_id=appointment.id, region_id=astana.id, reason="Check the law",
                                       **taken))

    add_rows(SMALL)
    page, small = load(db, client, count_queries, "/legal/")
    assert shows_all(page, officials)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, "/legal/")
    assert shows_all(page, officials) and page.count("Take the case") == LARGE // 2
    assert_same_count(small, large)


# --- the public search and an official's page -------------------------------------------------------

def test_reception_search_runs_as_many_queries_for_many_free_times_as_for_few(
        db, client, count_queries, make_body, make_official, make_session):
    body = make_body()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    officials: list[str] = []

    def add_rows(count: int) -> None:
        """Free times of the body's officials, each at their own venue; every other one in request mode."""
        for _ in range(count):
            n = len(officials)
            session = make_session(make_official(body=body), start=now + timedelta(days=2, hours=n), slots=1,
                                   booking_mode=BookingMode.REQUEST if n % 2 else BookingMode.SELF)
            officials.append(session.official.full_name)

    url = f"/reception/?body={body.id}"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert shows_all(page, officials)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert shows_all(page, officials) and page.count(">Book</a>") == LARGE // 2
    assert_same_count(small, large)


def test_officials_page_runs_as_many_queries_for_many_free_times_as_for_few(
        db, client, count_queries, make_official, make_venue, make_session):
    official = make_official()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    venues: list[str] = []

    def add_rows(count: int) -> None:
        """Free times of the official, each day at another venue."""
        for _ in range(count):
            venue = make_venue(body=official.body)
            make_session(official, venue, start=now + timedelta(days=2 + len(venues)), slots=1)
            venues.append(venue.name_en)

    url = f"/reception/officials/{official.id}"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert shows_all(page, venues) and page.count(">Book</a>") == SMALL
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert shows_all(page, venues) and page.count(">Book</a>") == LARGE
    assert_same_count(small, large)


# --- the audit log ---------------------------------------------------------------------------------

def test_audit_log_runs_as_many_queries_for_many_events_as_for_few(db, client, count_queries, login_as):
    login_as(Role.ADMIN)
    entity_id = 2_000_000_000 + next(_seq)  # a record of its own: the log keeps other tests' events
    actors: list[str] = []

    def add_rows(count: int) -> None:
        """Changes to one record by different people."""
        for _ in range(count):
            n = len(actors)
            actors.append(f"Auditor {entity_id} {n}")
            db.session.add(AuditEvent(actor_id=1000 + n, actor_name=actors[-1], action=AuditAction.UPDATE,
                                      entity="appointment", entity_id=entity_id,
                                      changes=json.dumps({"status": ["scheduled", "held"]}), path="/staff/day/"))

    url = f"/admin/audit/appointment/{entity_id}"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert shows_all(page, actors)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert shows_all(page, actors)
    assert_same_count(small, large)


# --- the citizen's appointments --------------------------------------------------------------------

def test_my_appointments_run_as_many_queries_for_many_appointments_as_for_few(
        db, client, count_queries, login_as, make_body, make_official, make_session, new_topic):
    citizen = login_as(Role.CITIZEN)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    officials: list[str] = []

    def add_rows(count: int) -> None:
        """Bookings with different officials, and requests: with times offered, or redirected to a body."""
        for _ in range(count):
            n = len(officials)
            session = make_session(start=now + timedelta(days=2, hours=n), slots=1, booking_mode=BookingMode.REQUEST)
            official = session.official
            officials.append(official.full_name)
            if n % 2 == 0:
                place(db, citizen, session.slots[0], new_topic(), status=AppointmentStatus.CLOSED)
                continue
            request = add_request(db, citizen, official, new_topic(), status=AppointmentStatus.SCREENING,
                                  decision=RequestDecision.OFFERED)
            if n % 4 == 1:
                db.session.add(SlotOffer(appointment_id=request.id, slot_id=session.slots[0].id,
                                         expires_at=now + timedelta(days=1), status=OfferStatus.OPEN))
            else:
                request.status, request.decision = AppointmentStatus.CLOSED, RequestDecision.REDIRECTED
                request.redirect_body_id = make_body().id

    add_rows(SMALL)
    page, small = load(db, client, count_queries, "/my/appointments/")
    assert shows_all(page, officials)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, "/my/appointments/")
    assert shows_all(page, officials) and page.count("time offered: choose") == LARGE // 4
    assert_same_count(small, large)
