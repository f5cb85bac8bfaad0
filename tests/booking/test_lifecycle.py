"""The appointment's state machine (reception.booking.lifecycle): every allowed transition does what the
table says, every other is refused with nothing written, and of two transitions at once exactly one wins."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.audit.models import AuditAction, AuditEvent
from reception.booking.lifecycle import TRANSITIONS, Action, StatusConflict, transition
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.extensions import db as _db
from reception.schedule.models import AttendanceFormat, Slot
from tests.races import run_racers, statement

S = AppointmentStatus
ALLOWED = [(action, source) for action, rule in TRANSITIONS.items() for source in sorted(rule.sources)]
FORBIDDEN = [(action, status) for action, rule in TRANSITIONS.items() for status in S if status not in rule.sources]
#: Statuses of requests that have no reception time (yet, or any more).
WITHOUT_SLOT = (S.REQUESTED, S.SCREENING, S.CLOSED)


def test_the_table_covers_every_status():
    reachable = {rule.target for rule in TRANSITIONS.values()} | {S.SCHEDULED, S.REQUESTED}
    assert reachable == set(S)
    # Final statuses: nothing leaves them.
    for final in (S.HELD, S.NO_SHOW, S.CANCELLED, S.RESCHEDULED, S.CLOSED):
        assert not any(final in rule.sources for rule in TRANSITIONS.values()), final


@pytest.fixture
def make_appointment(db, make_session, make_user, topic):
    def make(status: AppointmentStatus, **values) -> Appointment:
        session = make_session()
        with_slot = status not in WITHOUT_SLOT
        appointment = Appointment(citizen_id=make_user().id, official_id=session.official_id,
                                  session_id=session.id if with_slot else None,
                                  slot_id=session.slots[0].id if with_slot else None,
                                  format=AttendanceFormat.IN_PERSON, topic_id=topic.id, summary="Lifecycle",
                                  status=status, **values)
        db.session.add(appointment)
        db.session.flush()
        return appointment
    return make


@pytest.fixture
def sent(monkeypatch):
    """Every signal the transitions send, as (signal name, sender, keyword arguments); receivers do not run."""
    calls = []
    for signal in {rule.signal for rule in TRANSITIONS.values() if rule.signal is not None}:
        monkeypatch.setattr(signal, "send", lambda sender, _name=signal.name, **kw: calls.append((_name, sender, kw)))
    return calls


def _audit(db, appointment_id):
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.id > db.audit_floor, AuditEvent.entity == "appointment", AuditEvent.entity_id == appointment_id,
        AuditEvent.action == AuditAction.UPDATE)).all()


@pytest.mark.parametrize(("action", "source"), ALLOWED, ids=[f"{a}-from-{s}" for a, s in ALLOWED])
def test_an_allowed_transition_writes_the_status_records_it_and_emits_its_event(
        ctx, db, make_appointment, sent, action, source):
    rule = TRANSITIONS[action]
    now = utcnow()
    # FINISH ends a reception the official started; the others need it not started.
    appointment = make_appointment(source, started_at=now if action is Action.FINISH else None)
    transition(appointment, action, now, values={"cancelled_at": now} if action is Action.CANCEL else None)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is rule.target
    changes = [event.changes for event in _audit(db, appointment.id)]
    assert len(changes) == 1
    if source is not rule.target:
        assert f'"status": ["{source.value}", "{rule.target.value}"]' in changes[0]
        assert [(name, sender.id) for name, sender, _ in sent] == (
            [(rule.signal.name, appointment.id)] if rule.signal is not None else [])
        assert all(kw["now"] == now for _, _, kw in sent)
    else:
        assert sent == []  # the status did not change: no event


@pytest.mark.parametrize(("action", "status"), FORBIDDEN, ids=[f"{a}-from-{s}" for a, s in FORBIDDEN])
def test_a_transition_not_in_the_table_is_refused_and_writes_nothing(ctx, db, make_appointment, sent, action,
                                                                      status):
    appointment = make_appointment(status)
    with pytest.raises(StatusConflict) as refused:
        transition(appointment, action, utcnow())
    assert refused.value.current is status and refused.value.status == 409
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is status
    assert _audit(db, appointment.id) == [] and sent == []


@pytest.mark.parametrize("action", [Action.START, Action.NO_SHOW])
def test_a_started_reception_can_neither_start_again_nor_become_a_no_show(ctx, db, make_appointment, sent, action):
    appointment = make_appointment(S.CHECKED_IN, started_at=utcnow())
    with pytest.raises(StatusConflict):
        transition(appointment, action, utcnow())
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is S.CHECKED_IN


def test_a_reception_not_started_cannot_be_finished_on_the_board(ctx, db, make_appointment, sent):
    appointment = make_appointment(S.CHECKED_IN)
    with pytest.raises(StatusConflict):
        transition(appointment, Action.FINISH, utcnow())


def test_a_stale_status_loses_even_when_the_new_one_allows_the_action(ctx, db, make_appointment, sent):
    """The caller saw scheduled; the row is checked in by now. No-show is allowed from both, but the change
    the caller meant was decided on what it saw: it is refused, not applied over the other change."""
    appointment = make_appointment(S.SCHEDULED)
    db.session.execute(Appointment.__table__.update().where(Appointment.id == appointment.id)
                       .values(status=S.CHECKED_IN.value))
    with pytest.raises(StatusConflict) as lost:
        transition(appointment, Action.NO_SHOW, utcnow())
    assert lost.value.current is S.CHECKED_IN and "Checked in" in str(lost.value.message)


# --- two transitions at once ---------------------------------------------------------------------------

THREADS = 6
STEP = statement(r"^UPDATE appointments SET status=")


@pytest.fixture
def committed_appointment(app, race_world):
    """A scheduled appointment committed on the app's engine (deleted afterwards with the race world)."""
    with app.app_context():
        engine = _db.engine
    with Session(engine) as s:
        appointment = Appointment(citizen_id=race_world.citizen_ids[0], official_id=race_world.official_ids[0],
                                  slot_id=race_world.slot_ids[0], format=AttendanceFormat.IN_PERSON,
                                  topic_id=race_world.topic_id, summary="Race", status=S.SCHEDULED)
        appointment.session_id = s.get(Slot, race_world.slot_ids[0]).session_id
        s.add(appointment)
        s.commit()
        appointment_id = appointment.id
    yield appointment_id
    with engine.begin() as conn:
        conn.execute(delete(Appointment).where(Appointment.id == appointment_id))


def test_two_transitions_from_the_same_status_at_once_have_one_winner(app, committed_appointment):
    """Half the racers cancel, half check in, all having seen the appointment scheduled: one of them wins,
    the others get StatusConflict (a cancel loses too, though cancelling a checked-in appointment is
    allowed: it was decided on what its racer saw), and the audit log has the one change."""
    # The audit log outlives the records (SQLite reuses their ids) and the clock may stand still (--today with
    # midday): this race's events are those written after this point.
    with app.app_context():
        floor = _db.session.scalar(select(func.max(AuditEvent.id))) or 0
        _db.session.remove()
    actions = [Action.CANCEL if i % 2 else Action.CHECK_IN for i in range(THREADS)]

    def racer(action):
        def prepare():
            appointment = _db.session.get(Appointment, committed_appointment)
            _db.session.expunge(appointment)  # what this racer saw: scheduled (pages show, then change)

            def act():
                now = utcnow()
                values = {"cancelled_at": now} if action is Action.CANCEL else {"checked_in_at": now}
                transition(appointment, action, now, values=values, emit=False)
                return "won"
            return act
        return prepare

    outcomes = run_racers(app, [racer(a) for a in actions], STEP, sides=[a.value for a in actions], prepare=True)
    assert outcomes.count("won") == 1, outcomes
    assert all(isinstance(o, StatusConflict) for o in outcomes if o != "won"), outcomes
    winner = actions[outcomes.index("won")]
    with app.app_context():
        try:
            assert _db.session.get(Appointment, committed_appointment).status is TRANSITIONS[winner].target
            events = _db.session.scalars(select(AuditEvent).where(
                AuditEvent.entity == "appointment", AuditEvent.entity_id == committed_appointment,
                AuditEvent.action == AuditAction.UPDATE, AuditEvent.id > floor)).all()
            assert len(events) == 1
        finally:
            _db.session.remove()
