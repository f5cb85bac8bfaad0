"""Each linked citizen is told of each status change once, through the outbox, by the channels they chose; the
database refuses a second message for the same change and citizen; SMS fit in two segments."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reception.core.clock import utcnow
from reception.notifications.models import Channel, OutboxMessage
from reception.notifications.services import notify
from reception.systemic.models import IssueStatus
from reception.systemic.services import KIND, change_status, link_appointment, unlink_appointment
from tests.conftest import as_sent

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")


def segments(text: str) -> int:
    """SMS segments of ``text``: GSM-7 (160, or 153 a part) or UCS-2 for Cyrillic (70, or 67 a part)."""
    single, part = (160, 153) if set(text) <= GSM7 else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // part)


def _messages(db, user_id=None):
    stmt = select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id)
    if user_id is not None:
        stmt = stmt.where(OutboxMessage.user_id == user_id)
    return db.session.scalars(stmt).all()


@pytest.fixture
def linked(db, app, world, make_issue):
    """The world's issue with every citizen's talon linked, and the first citizen's request too."""
    issue = make_issue()
    with app.test_request_context():
        for number in [*world.talons, str(world.request.id)]:
            link_appointment(world.assistant, issue, number, utcnow())
        db.session.commit()
    return issue


def _change(app, db, world, issue, old, new, note="Repair started"):
    with app.test_request_context():
        change = change_status(world.assistant, issue, old, new, note, utcnow())
        db.session.commit()
    return change


def test_each_linked_citizen_gets_one_message_per_channel_for_a_change(app, db, world, linked):
    change = _change(app, db, world, linked, IssueStatus.OPEN, IssueStatus.IN_PROGRESS)
    messages = _messages(db)
    # The first citizen is linked twice (a talon and a request) and is told once.
    assert sorted((m.user_id, m.channel) for m in messages) == sorted(
        (c.id, ch) for c in world.citizens for ch in (Channel.EMAIL, Channel.SMS))
    assert {m.dedupe_key for m in messages} == {f"systemic:{change.id}:{c.id}:{ch}" for c in world.citizens
                                                for ch in ("email", "sms")}


def test_every_change_is_told_again_and_an_unlinked_citizen_is_not(app, db, world, linked, submit, client):
    _change(app, db, world, linked, IssueStatus.OPEN, IssueStatus.IN_PROGRESS)
    with app.test_request_context():
        unlink_appointment(world.assistant, linked, _appointment_of(db, world.talons[2]), utcnow())
        db.session.commit()
    _change(app, db, world, linked, IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED, "Heating is back")
    assert len(_messages(db, world.citizens[0].id)) == 4
    assert len(_messages(db, world.citizens[2].id)) == 2  # the first change only


def _appointment_of(db, talon):
    from reception.booking.models import Appointment

    return db.session.scalar(select(Appointment.id).where(Appointment.talon_number == talon))


def test_the_database_refuses_a_second_message_for_the_same_change_and_citizen(app, db, world, linked):
    change = _change(app, db, world, linked, IssueStatus.OPEN, IssueStatus.IN_PROGRESS)
    with app.test_request_context(), pytest.raises(IntegrityError), db.session.begin_nested():
        notify(world.citizens[1], KIND, "again", KIND, dedupe_key=f"systemic:{change.id}:{world.citizens[1].id}",
               issue=linked, change=change, link="x")


def test_the_message_names_the_issue_the_new_status_and_the_note(app, db, world, linked):
    _change(app, db, world, linked, IssueStatus.OPEN, IssueStatus.IN_PROGRESS, "The main is being repaired")
    email = next(m for m in _messages(db, world.citizens[2].id) if m.channel is Channel.EMAIL)  # English
    as_sent(email)
    assert "No heating in Alga district" in email.body_text and "In progress" in email.body_text
    assert "The main is being repaired" in email.body_text and f"/my/issues/{linked.id}" in email.body_text
    assert "In progress" in email.subject


@pytest.mark.parametrize("path", [(IssueStatus.IN_PROGRESS,), (IssueStatus.RESOLVED,), (IssueStatus.CLOSED,),
                                  (IssueStatus.IN_PROGRESS, IssueStatus.OPEN)])
def test_every_sms_fits_in_two_segments_in_every_language(app, db, world, linked, path):
    old = IssueStatus.OPEN
    for new in path:
        change = _change(app, db, world, linked, old, new, "A long note " * 40)
        old = new
    sms = [m for m in _messages(db) if m.channel is Channel.SMS and m.dedupe_key.startswith(f"systemic:{change.id}:")]
    as_sent(sms)
    assert {m.locale for m in sms} == {"ru", "kk", "en"}
    for m in sms:
        assert segments(m.body_text) <= 2, (m.locale, len(m.body_text), m.body_text)
        assert f"/my/issues/{linked.id}" in m.body_text
    assert segments("Проблема " * 8) == 2  # Cyrillic counts as UCS-2: 72 characters are two segments


def test_the_linked_citizen_reads_the_progress_on_their_page(app, db, world, linked, client):
    from tests.conftest import login

    _change(app, db, world, linked, IssueStatus.OPEN, IssueStatus.IN_PROGRESS, "The main is being repaired")
    login(client, world.citizens[2])
    page = client.get(f"/my/issues/{linked.id}").get_data(as_text=True)
    assert "No heating in Alga district" in page and "The main is being repaired" in page and "In progress" in page
    assert "Houses without heating" not in page  # the description is for staff
