"""Booking by lot for oversubscribed receptions (issue 13): an assistant opens a draw, citizens apply through
the pages in kk, ru and en, direct booking is refused meanwhile, and at the close the free slots are drawn
with a recorded seed, first-time applicants before those received this quarter; the rest are told and put
on the waitlist when they asked. The race of applicants against the draw at the close is in
test_ballot_race.py."""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.audit.models import AuditEvent
from reception.booking import ballot
from reception.booking.models import (
    Appointment,
    AppointmentStatus,
    BallotEntry,
    BallotStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from reception.booking.services import book_slot
from reception.core.clock import utcnow
from reception.core.errors import Conflict, Invalid
from reception.core.permissions import Role
from reception.notifications.models import OutboxMessage
from reception.schedule.models import AttendanceFormat
from tests.booking.fixtures import new_session
from tests.conftest import login, post_form

CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def drawn_session(make_session, now):
    """A session of three slots in three days whose booking opened an hour ago, booked by a 24-hour draw."""
    def make(**kwargs):
        start = (now + timedelta(days=3)).replace(minute=0, second=0)
        session = make_session(start=start, opens_at=now - timedelta(hours=1), **kwargs)
        ballot.open_ballot(session, 24, now)
        return session
    return make


def _apply(citizens, session, booking_data, now, **kwargs):
    return [ballot.apply(c, session, booking_data(), kwargs.get("wants_waitlist", True), now, CONFIG)
            for c in citizens]


def _after_close(session):
    return session.ballot_closes_at + timedelta(minutes=1)


# --- the assistant opens a draw -------------------------------------------------------------------------

def test_the_window_runs_from_opening_for_the_hours_chosen_and_opening_twice_is_refused(drawn_session, now, db):
    session = drawn_session()
    assert session.ballot_closes_at == now + timedelta(hours=24)  # booking already open: from now
    with pytest.raises(Conflict):
        ballot.open_ballot(session, 12, now)
    changes = db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.entity == "session", AuditEvent.entity_id == session.id,
        AuditEvent.id > db.audit_floor)).all()
    assert any("ballot_closes_at" in c for c in changes)


@pytest.mark.parametrize("hours", [0, 169, 71])  # 71 hours from now is past the first slot, in three days
def test_a_window_out_of_range_or_past_the_reception_is_refused(make_session, now, hours):
    session = make_session(start=(now + timedelta(days=3)).replace(minute=0, second=0),
                           opens_at=now - timedelta(hours=1))
    with pytest.raises(Invalid) as caught:
        ballot.open_ballot(session, hours, now)
    assert caught.value.field == "hours" and session.ballot_closes_at is None


def test_the_assistant_opens_a_draw_on_the_sessions_page(client, make_user, make_official, make_venue, db,
                                                          booking_data, now):
    assistant = make_user(Role.ASSISTANT)
    official = make_official(body=assistant.body)
    session = new_session(official, make_venue(body=official.body), opens_at=now - timedelta(hours=1),
                          start=(now + timedelta(days=5)).replace(minute=0, second=0))
    db.session.add(session)
    db.session.commit()
    login(client, assistant)
    url = f"/staff/sessions/{session.id}/draw"
    assert post_form(client, url, {"hours": "500"}).status_code == 422
    response = post_form(client, url, {"hours": "48"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Applications for the draw close on" in page and "0 waiting for the draw" in page
    closes = db.session.get(type(session), session.id).ballot_closes_at
    assert timedelta(hours=48) <= closes - now <= timedelta(hours=48, minutes=5)


def test_only_the_bodys_staff_may_open_its_draw(client, make_user, make_session, db):
    session = make_session()
    db.session.commit()
    login(client, make_user(Role.ASSISTANT))  # an assistant of another body
    assert post_form(client, f"/staff/sessions/{session.id}/draw", {"hours": "24"}).status_code == 403
    assert client.get("/staff/sessions/2147483648/draw").status_code == 404


# --- citizens apply --------------------------------------------------------------------------------------

def test_while_the_draw_is_open_booking_is_refused_and_the_booking_page_leads_to_the_draw(
        drawn_session, make_user, booking_data, now, client, db):
    session = drawn_session()
    citizen = make_user()
    with pytest.raises(Invalid, match="draw"):
        book_slot(citizen, session.slots[0].id, booking_data(), None, now, CONFIG)
    db.session.commit()
    login(client, citizen)
    response = client.get(f"/reception/slots/{session.slots[0].id}/book")
    assert response.status_code == 302 and response.location.endswith(f"/reception/sessions/{session.id}/draw")


def test_applying_twice_keeps_one_application_and_applying_after_the_close_is_refused(
        drawn_session, make_user, booking_data, now, db):
    session = drawn_session()
    citizen = make_user()
    first, again = _apply([citizen, citizen], session, booking_data, now)
    assert first.id == again.id and first.status is BallotStatus.APPLIED
    with pytest.raises(Invalid, match="closed"):
        ballot.apply(make_user(), session, booking_data(), True, _after_close(session), CONFIG)
    with pytest.raises(Invalid) as caught:
        ballot.apply(make_user(), session, booking_data(format="video_remote"), True, now, CONFIG)
    assert caught.value.field == "format"


def test_a_citizen_with_an_appointment_with_the_official_cannot_apply(ctx, drawn_session, make_session, make_user,
                                                                      booking_data, now):
    session = drawn_session()
    other = make_session(official=session.official, venue=session.venue, start=session.starts_at + timedelta(days=1))
    citizen = make_user()
    book_slot(citizen, other.slots[0].id, booking_data(), None, now, CONFIG)
    with pytest.raises(Invalid, match="already have an active appointment with this official"):
        ballot.apply(citizen, session, booking_data(), True, now, CONFIG)


@pytest.mark.parametrize("language, applied, withdrawn", [
    ("en", "You have applied for the draw.", "Your application has been withdrawn."),
    ("ru", "Вы подали заявку на жеребьёвку.", "Ваша заявка отозвана."),
    ("kk", "Сіз жеребеге өтінім бердіңіз.", "Өтініміңіз кері қайтарылды."),
])
def test_a_citizen_applies_and_withdraws_through_the_pages_in_their_language(
        client, drawn_session, make_user, topic, db, language, applied, withdrawn):
    session = drawn_session()
    citizen = make_user(language=language)
    db.session.commit()
    login(client, citizen)
    url = f"/reception/sessions/{session.id}/draw"
    form = {"format": "in_person", "topic_id": str(topic.id), "summary": "Housing queue",
            "idempotency_key": "k" * 20, "wants_waitlist": "y", "studio_id": "0"}
    response = post_form(client, url, form)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert applied in page
    assert post_form(client, f"{url}/withdraw", {}, form_url=url).status_code == 302
    assert withdrawn in client.get(url).get_data(as_text=True)
    assert ballot.own_entry(citizen.id, session.id).status is BallotStatus.WITHDRAWN


@pytest.mark.parametrize("bad", [{"summary": "  "}, {"summary": "x" * 5000}, {"topic_id": "2147483648"},
                                 {"format": "teleport"}, {"studio_id": "abc"}, {"idempotency_key": "<script>"}])
def test_bad_input_is_answered_with_422_and_nothing_is_written(client, drawn_session, make_user, topic, db, bad):
    session = drawn_session()
    citizen = make_user()
    db.session.commit()
    login(client, citizen)
    form = {"format": "in_person", "topic_id": str(topic.id), "summary": "Housing", "idempotency_key": "k" * 20,
            "studio_id": "0", **bad}
    response = post_form(client, f"/reception/sessions/{session.id}/draw", form)
    assert response.status_code == 422
    assert ballot.own_entry(citizen.id, session.id) is None


# --- the draw --------------------------------------------------------------------------------------------

def _received_on(day, citizen, make_session, topic, now, db):
    """A reception held for ``citizen`` dated ``day``."""
    held = make_session(start=now - timedelta(hours=3), local_date=day, opens_at=now - timedelta(days=5),
                        closes_at=now - timedelta(hours=4))
    db.session.add(Appointment(citizen_id=citizen.id, official_id=held.official_id, session_id=held.id,
                               slot_id=held.slots[0].id, format=AttendanceFormat.IN_PERSON, topic_id=topic.id,
                               summary="earlier", status=AppointmentStatus.HELD, accepted_at=now - timedelta(days=1),
                               accepted_by_name="x", created_at=now - timedelta(days=1)))
    db.session.flush()


def test_the_draw_books_first_timers_first_and_tells_the_rest(ctx, drawn_session, make_session, make_user, topic,
                                                              booking_data, now, db):
    session = drawn_session()  # three slots
    returning = make_user()
    # Received on the day of the draw: in its quarter, whatever the date (the draw may fall in the next one).
    draw_day = _after_close(session).astimezone(ZoneInfo(session.timezone)).date()
    _received_on(draw_day, returning, make_session, topic, now, db)
    first_timers = [make_user() for _ in range(3)]
    no_waitlist = make_user()
    entries = _apply([returning, *first_timers], session, booking_data, now)
    _apply([no_waitlist], session, booking_data, now, wants_waitlist=False)
    assert ballot.draw(session.id, now, CONFIG) is None  # not before the close

    result = ballot.draw(session.id, _after_close(session), CONFIG)

    # Four first-timers for three slots: the citizen received this quarter is never drawn.
    statuses = {e.citizen_id: e.status for e in db.session.scalars(select(BallotEntry))}
    assert statuses[returning.id] is BallotStatus.LOST
    assert Counter(statuses.values()) == {BallotStatus.WON: 3, BallotStatus.LOST: 2}
    booked = db.session.scalars(select(Appointment).where(Appointment.session_id == session.id)).all()
    assert len(booked) == 3 and {a.slot_id for a in booked} == {s.id for s in session.slots}
    assert all(a.status is AppointmentStatus.SCHEDULED and a.talon_number for a in booked)
    losers = [e for e in db.session.scalars(select(BallotEntry)) if e.status is BallotStatus.LOST]
    waiting = set(db.session.scalars(select(WaitlistEntry.citizen_id).where(
        WaitlistEntry.official_id == session.official_id, WaitlistEntry.status == WaitlistStatus.WAITING)))
    assert waiting == {e.citizen_id for e in losers if e.wants_waitlist}
    told = db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "ballot_lost")).all()
    assert set(told) == {e.citizen_id for e in losers}
    assert result.won == [e.id for e in db.session.scalars(select(BallotEntry).where(
        BallotEntry.status == BallotStatus.WON).order_by(BallotEntry.drawn_rank))]
    assert ballot.draw(session.id, _after_close(session), CONFIG) is None  # held once
    assert entries[0].id in result.order


def test_the_recorded_seed_replays_the_draw(ctx, drawn_session, make_user, booking_data, now, db):
    session = drawn_session()
    _apply([make_user() for _ in range(6)], session, booking_data, now)
    result = ballot.draw(session.id, _after_close(session), CONFIG)
    db.session.refresh(session)
    recorded = [json.loads(c) for c in db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.entity == "session", AuditEvent.entity_id == session.id,
        AuditEvent.id > db.audit_floor))]
    drawn = next(c for c in recorded if "ballot_seed" in c)
    assert drawn["ballot_seed"][1] == session.ballot_seed == result.seed
    entries = db.session.scalars(select(BallotEntry).where(BallotEntry.session_id == session.id)).all()
    replayed = ballot.draw_order(entries, drawn["ballot_seed"][1], set())
    assert [e.id for e in replayed] == drawn["ballot_order"][1] == result.order
    assert [e.drawn_rank for e in replayed] == list(range(1, 7))


def test_every_applicant_has_the_same_chance():
    class Entry:
        def __init__(self, i):
            self.id, self.citizen_id = i, i

    entries = [Entry(i) for i in range(1, 4)]
    firsts = Counter(ballot.draw_order(entries, seed, set())[0].id for seed in range(600))
    assert set(firsts) == {1, 2, 3} and all(150 <= n <= 250 for n in firsts.values()), firsts
    # Within each group the order stays random; the group received this quarter comes last.
    assert all(ballot.draw_order(entries, seed, {1})[-1].id == 1 for seed in range(50))


def test_what_the_draw_leaves_free_is_booked_as_usual_and_a_withdrawal_after_it_is_refused(
        ctx, drawn_session, make_user, booking_data, now, db):
    session = drawn_session()
    applicant, withdrawer, later = make_user(), make_user(), make_user()
    entry, gone = _apply([applicant, withdrawer], session, booking_data, now)
    ballot.withdraw(withdrawer, gone, now)
    after = _after_close(session)
    result = ballot.draw(session.id, after, CONFIG)
    assert result.won == [entry.id] and gone.id not in result.order
    assert book_slot(later, session.slots[2].id, booking_data(), None, after, CONFIG).status \
        is AppointmentStatus.SCHEDULED
    with pytest.raises(Conflict):
        ballot.withdraw(applicant, entry, after)


def test_the_citizens_page_shows_the_result(ctx, client, drawn_session, make_user, booking_data, now, db):
    session = drawn_session()
    citizen = make_user()
    _apply([citizen], session, booking_data, now)
    ballot.draw(session.id, _after_close(session), CONFIG)
    db.session.commit()
    login(client, citizen)
    page = client.get(f"/reception/sessions/{session.id}/draw").get_data(as_text=True)
    assert "Drawn: your reception is booked" in page and "Your talon" in page
    assert "Drawn: your reception is booked" in client.get("/my/appointments/").get_data(as_text=True)


def test_the_draw_command_holds_each_closed_draw_once(app, ctx, drawn_session, make_user, booking_data, now, db):
    session = drawn_session()
    entries = _apply([make_user(), make_user()], session, booking_data, now)
    session.ballot_closes_at = utcnow() - timedelta(minutes=1)  # applications closed a minute ago
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["booking", "draw-ballots"])
    assert result.exit_code == 0, result.output
    assert f"session {session.id}: 2 applicant(s), 2 drawn" in result.output and "held 1 draw(s)" in result.output
    assert {db.session.get(BallotEntry, e.id).status for e in entries} == {BallotStatus.WON}
    assert "held 0 draw(s)" in runner.invoke(args=["booking", "draw-ballots"]).output
