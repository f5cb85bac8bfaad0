"""Phone-only citizens: registering without an e-mail, logging in by phone, booking once the phone is confirmed,
and hearing about everything by SMS."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reception.accounts.models import NotifyBy, User
from reception.booking.models import Appointment, WaitlistEntry
from reception.booking.services import BookingData, book_slot
from reception.booking.waitlist import join_waitlist
from reception.core.clock import utcnow
from reception.core.errors import Invalid
from reception.notifications.models import Channel, OutboxMessage
from reception.requests.services import submit_request
from reception.schedule.models import AttendanceFormat
from tests.accounts.conftest import fresh_phone, last_code, log_in_with, sent_codes, valid_iin
from tests.conftest import PASSWORD, as_sent, post_form, region


def _registration(**overrides) -> dict:
    data = {"iin": "850101300015", "full_name": "Бақыт Сейітов", "phone": "8 701 555 00 11", "email": "",
            "region_id": str(region("KZ-15").id), "language": "kk", "password": PASSWORD,
            "password_confirm": PASSWORD}
    data.update(overrides)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


def _messages(db, user, **where) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.user_id == user.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(stmt.order_by(OutboxMessage.id)).all()


# --- registration -----------------------------------------------------------------------------------------

def test_a_citizen_registers_without_an_e_mail_and_gets_a_code_by_sms(client, db):
    r = post_form(client, "/register", _registration())
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/phone")
    user = db.session.scalars(select(User).where(User.iin == "850101300015")).one()
    assert user.email is None and user.phone == "+77015550011"
    assert user.notify_by is NotifyBy.SMS  # the only channel such a citizen has
    assert user.phone_confirmed_at is None and user.must_confirm_phone
    [code_sms] = sent_codes(db, user)
    assert code_sms.channel is Channel.SMS and code_sms.recipient == "+77015550011"
    assert not _messages(db, user, channel=Channel.EMAIL)
    page = _text(client.get("/profile/phone"))
    assert "+7 701 555 0011" in page and 'autocomplete="one-time-code"' in page


def test_two_citizens_without_e_mail_can_both_register(client, db):
    """No e-mail is not a value: the unique index lets any number of accounts have none."""
    assert post_form(client, "/register", _registration()).status_code == 302
    post_form(client, "/logout", form_url="/profile")
    r = post_form(client, "/register", _registration(iin=valid_iin(77), phone="8 701 555 00 12"))
    assert r.status_code == 302, _text(r)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email.is_(None))) == 2


def test_registration_with_an_e_mail_still_lands_on_home_and_keeps_e_mail_notices(client, db):
    r = post_form(client, "/register", _registration(email="bakyt@example.kz"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/home")
    user = db.session.scalars(select(User).where(User.iin == "850101300015")).one()
    assert user.email == "bakyt@example.kz" and user.notify_by is NotifyBy.EMAIL
    assert not user.must_confirm_phone  # may book at once; the phone can be confirmed from the profile
    assert len(sent_codes(db, user)) == 1


def test_registration_without_a_phone_is_refused_with_a_message(client, db):
    r = post_form(client, "/register", _registration(phone=""))
    assert r.status_code == 422 and 'id="phone-error"' in _text(r)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.iin == "850101300015")) == 0


def test_registration_without_a_phone_is_refused_in_russian(client, db):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    r = post_form(client, "/register", _registration(phone="   ", language="ru"))
    assert r.status_code == 422 and 'id="phone-error"' in _text(r)
    assert "Это поле обязательно для заполнения." in _text(r)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.iin == "850101300015")) == 0


# --- logging in by phone ----------------------------------------------------------------------------------

def test_a_phone_only_citizen_logs_in_with_the_phone_written_any_common_way(client, db, make_phone_only):
    user = make_phone_only(phone="+77015550042")
    db.session.commit()
    for written in ("+7 701 555 00 42", "87015550042", "8 (701) 555-00-42"):
        r = log_in_with(client, written)
        assert r.status_code == 302 and r.headers["Location"].endswith("/home"), written
        post_form(client, "/logout", form_url="/profile")
    assert log_in_with(client, user.iin).status_code == 302  # and with the IIN


def test_a_phone_shared_by_two_accounts_does_not_log_in_either(client, db, make_phone_only):
    """A family's one phone names nobody: they log in with their IINs."""
    a = make_phone_only(phone="+77015550043")
    make_phone_only(phone="+77015550043")
    db.session.commit()
    r = log_in_with(client, "+77015550043")
    assert r.status_code == 401 and "Wrong e-mail, IIN, phone or password" in _text(r)
    assert log_in_with(client, a.iin).status_code == 302


def test_of_two_accounts_with_one_phone_the_one_that_confirmed_it_logs_in(client, db, make_phone_only):
    make_phone_only(phone="+77015550044")
    owner = make_phone_only(phone="+77015550044", confirmed=True)
    db.session.commit()
    assert log_in_with(client, "87015550044").status_code == 302
    assert _text(client.get("/profile")).count(owner.full_name) >= 1


def test_a_wrong_password_with_a_phone_is_refused(client, db, make_phone_only):
    make_phone_only(phone="+77015550045")
    db.session.commit()
    assert log_in_with(client, "+77015550045", "not the password").status_code == 401


# --- what an unconfirmed account may do -------------------------------------------------------------------

def test_an_unconfirmed_phone_only_citizen_cannot_book_until_the_phone_is_confirmed(client, db, make_phone_only,
                                                                                    make_session):
    user = make_phone_only()
    slot = make_session().slots[0]
    db.session.commit()
    assert log_in_with(client, user.phone).status_code == 302
    r = client.get(f"/reception/slots/{slot.id}/book")
    assert r.status_code == 422 and "Confirm your phone number first" in _text(r)
    assert "Confirm my phone" in _text(client.get("/home"))
    assert post_form(client, "/profile/phone/code", form_url="/profile/phone").status_code == 302
    r = post_form(client, "/profile/phone", {"code": last_code(db, user)})
    assert r.status_code == 302
    assert client.get(f"/reception/slots/{slot.id}/book").status_code == 200


# --- the profile --------------------------------------------------------------------------------------------

def _profile(**changes) -> dict:
    return {"full_name": "Бақыт Сейітов", "region_id": str(region("KZ-15").id), "language": "en",
            "notify_by": "sms", **changes}


def test_the_profile_of_a_phone_only_citizen_offers_sms_only_and_refuses_e_mail(client, db, make_phone_only):
    user = make_phone_only(confirmed=True)
    db.session.commit()
    log_in_with(client, user.phone)
    page = _text(client.get("/profile"))
    assert 'value="sms"' in page and 'value="email"' not in page and 'value="both"' not in page
    for choice in ("email", "both"):
        r = post_form(client, "/profile", _profile(phone=user.phone, notify_by=choice))
        assert r.status_code == 422 and "You have no e-mail in your account" in _text(r)
    db.session.refresh(user)
    assert user.notify_by is NotifyBy.SMS
    assert post_form(client, "/profile", _profile(phone=user.phone)).status_code == 302


def test_changing_the_phone_unconfirms_it_and_sends_a_code_to_the_new_number(client, db, make_phone_only):
    user = make_phone_only(confirmed=True)
    db.session.commit()
    log_in_with(client, user.phone)
    new = fresh_phone()
    r = post_form(client, "/profile", _profile(phone=new))
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/phone")
    db.session.refresh(user)
    assert user.phone == new and user.phone_confirmed_at is None
    assert sent_codes(db, user)[-1].recipient == new
    assert post_form(client, "/profile/phone", {"code": last_code(db, user)}).status_code == 302
    db.session.refresh(user)
    assert user.phone_confirmed_at is not None


def test_saving_the_profile_with_the_same_phone_keeps_it_confirmed_and_sends_nothing(client, db, make_phone_only):
    user = make_phone_only(confirmed=True)
    db.session.commit()
    log_in_with(client, user.phone)
    assert post_form(client, "/profile", _profile(phone=user.phone)).status_code == 302
    db.session.refresh(user)
    assert user.phone_confirmed_at is not None and not sent_codes(db, user)


# --- notices by SMS ---------------------------------------------------------------------------------------

def test_a_booking_confirmation_for_a_phone_only_citizen_is_an_sms_and_no_e_mail(app, ctx, db, make_phone_only,
                                                                                 make_session, booking_data):
    user = make_phone_only(confirmed=True)
    slot = make_session().slots[0]
    appointment = book_slot(user, slot.id, booking_data(), None, utcnow(), app.config)
    db.session.flush()
    confirmations = _messages(db, user, kind="booking_confirmed")
    assert [m.channel for m in confirmations] == [Channel.SMS]
    assert confirmations[0].recipient == user.phone
    assert appointment.talon_number in as_sent(confirmations[0]).body_text
    assert not _messages(db, user, channel=Channel.EMAIL)


def test_a_phone_only_citizen_whose_stored_choice_says_e_mail_is_still_told_by_sms(app, ctx, db, make_phone_only,
                                                                                   make_session, booking_data):
    """An account from before (or edited by hand) with notify_by e-mail and no e-mail must not go unheard."""
    user = make_phone_only(confirmed=True, notify_by=NotifyBy.EMAIL)
    book_slot(user, make_session().slots[0].id, booking_data(), None, utcnow(), app.config)
    db.session.flush()
    assert [m.channel for m in _messages(db, user, kind="booking_confirmed")] == [Channel.SMS]


def test_a_visiting_reception_is_announced_to_a_phone_only_citizen_by_sms(app, db, make_phone_only, make_user,
                                                                          make_body, make_official, make_venue):
    """Announcements written for e-mail (schedule.visiting) reach a citizen without one by SMS."""
    from datetime import time

    from reception.directory.models import BodyLevel, VenueKind
    from reception.schedule import visiting
    from tests.schedule.factories import working_day_after

    citizen = make_phone_only(confirmed=True, notify_visiting=True, region_id=region("KZ-15").id)
    ministry = make_body(level=BodyLevel.CENTRAL)
    minister = make_official(body=ministry, full_name="Minister Of Health", is_head=True)
    hall = make_venue(body=make_body(region=region("KZ-15")), kind=VenueKind.HALL)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        visiting.announce_visiting(make_user("admin"), visiting.VisitingData(
            official_id=minister.id, region_id=region("KZ-15").id, venue_id=hall.id, dates=[working_day_after(10)],
            start_time=time(10), end_time=time(12), slot_minutes=30, formats=frozenset({"in_person"})),
            now=utcnow())
        db.session.flush()
        [sms] = _messages(db, citizen, kind="visiting_announced")
        assert sms.channel is Channel.SMS and sms.recipient == citizen.phone
        assert "Minister Of Health" in as_sent(sms).body_text



def test_an_unconfirmed_phone_only_citizen_sends_no_request_and_joins_no_waitlist(app, db, make_phone_only,
                                                                                 make_official):
    user, official = make_phone_only(), make_official()
    data = BookingData(format=AttendanceFormat.IN_PERSON, topic_id=1, summary="Жол жөнделмейді")
    for attempt in (lambda: submit_request(user, official, data, None, utcnow(), app.config),
                    lambda: join_waitlist(user, official, now=utcnow())):
        with pytest.raises(Invalid, match="Confirm your phone number first"):
            attempt()
    assert db.session.scalar(select(func.count()).where(Appointment.citizen_id == user.id)) == 0
    assert db.session.scalar(select(func.count()).where(WaitlistEntry.citizen_id == user.id)) == 0
