"""Request mode services: sending a request, the four screening decisions, accepting an offered time."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.booking.models import (
    Appointment,
    AppointmentStatus,
    DeclineGround,
    OfferStatus,
    RequestDecision,
    Reservation,
    ReservationResource,
    SlotOffer,
)
from reception.booking.services import SlotTaken, book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.errors import Conflict, Invalid, NotAllowed, NotFound
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.requests import queries, services
from reception.requests.rules import DeadlineFlag, is_late
from reception.schedule.models import AttendanceFormat, BookingMode
from tests.requests.fixtures import count, outbox


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


# --- sending a request -----------------------------------------------------------------------

def test_a_request_waits_for_screening_with_its_redirect_deadline(app, ctx, db, office, make_request, now):
    request = make_request(office, now=now)
    assert request.status is AppointmentStatus.REQUESTED
    assert request.slot_id is None and request.talon_number is None
    assert request.needs_wheelchair and request.appeal_numbers == "ZT-2026-000123"
    cal = WorkCalendar.from_config(app.config)
    local_today = now.astimezone(ZoneInfo(office.body.timezone)).date()
    assert request.redirect_due_on == cal.add_working_days(local_today, 3)


def test_the_same_form_sent_twice_makes_one_request(app, ctx, db, office, make_user, request_data, now):
    citizen = make_user(Role.CITIZEN)
    first = services.submit_request(citizen, office.official, request_data(), "k" * 24, now, app.config)
    again = services.submit_request(citizen, office.official, request_data(), "k" * 24, now, app.config)
    assert again.id == first.id
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_one_active_request_per_citizen_and_official(app, ctx, db, office, make_user, make_request, request_data,
                                                     now):
    citizen = make_user(Role.CITIZEN)
    make_request(office, citizen)
    with pytest.raises(Conflict, match="already have an active request"):
        services.submit_request(citizen, office.official, request_data(), None, now, app.config)
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_an_official_without_request_mode_sessions_takes_no_requests(app, ctx, db, make_session, make_user,
                                                                    request_data, now):
    self_booked = make_session()
    with pytest.raises(Invalid, match="does not take requests"):
        services.submit_request(make_user(Role.CITIZEN), self_booked.official, request_data(), None, now, app.config)


def test_a_request_for_video_needs_a_studio_of_the_citizens_region(app, ctx, db, office, make_user, make_studio,
                                                                  request_data, now):
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(Invalid, match="video studio") as exc:
        services.submit_request(citizen, office.official, request_data(format=AttendanceFormat.VIDEO_STUDIO),
                                None, now, app.config)
    assert exc.value.field == "studio_id"
    studio = make_studio()
    request = services.submit_request(citizen, office.official, request_data(
        format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id), None, now, app.config)
    assert request.studio_id == studio.id


# --- offering times --------------------------------------------------------------------------

def test_offering_holds_each_time_for_the_citizen_and_mails_the_times(app, ctx, db, office, make_request, now):
    request = make_request(office)
    chosen = [office.slots[0], office.slots[4]]
    offers = services.offer_slots(office.assistant, request, [s.id for s in chosen], "Bring your land deed.",
                                  now, app.config)
    db.session.flush()
    db.session.expire_all()

    assert request.status is AppointmentStatus.SCREENING and request.status_label == "Time offered: choose one"
    assert request.decision is RequestDecision.OFFERED and request.decided_by_id == office.assistant.id
    assert [o.status for o in offers] == [OfferStatus.OPEN, OfferStatus.OPEN]
    hold = now + timedelta(hours=48)
    for slot in chosen:
        assert slot.held_for_id == request.citizen_id and slot.held_until == hold
    [mail] = outbox(db, user_id=request.citizen_id)
    assert mail.kind == "request_offered"
    assert "(Astana time)" in mail.body_text and "Kept for you until" in mail.body_text
    assert f"/my/requests/{request.id}/accept" in mail.body_text
    assert "Bring your land deed." in mail.body_text


def test_a_hold_never_outlasts_the_booking_window(app, ctx, db, office, make_request, now):
    request = make_request(office)
    slot = office.slots[0]
    slot.session.closes_at = now + timedelta(hours=5)
    [offer] = services.offer_slots(office.assistant, request, [slot.id], None, now, app.config)
    assert offer.expires_at == now + timedelta(hours=5)


def test_the_hold_period_comes_from_the_configuration(app, ctx, db, office, make_request, now, monkeypatch):
    monkeypatch.setitem(app.config, "OFFER_HOLD_HOURS", 6)
    request = make_request(office)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, now, app.config)
    assert offer.expires_at == now + timedelta(hours=6)


@pytest.mark.parametrize("which", ["another official's", "self-booked", "booked", "held for another", "forged"])
def test_only_free_request_mode_times_of_the_official_can_be_offered(app, ctx, db, office, make_office,
                                                                    make_session, make_request, make_user,
                                                                    booking_data, now, which):
    request = make_request(office)
    if which == "another official's":
        slot_id = make_office().slots[0].id
    elif which == "self-booked":
        slot_id = make_session(office.official, office.venue).slots[0].id
    elif which == "booked":
        slot = office.slots[0]
        slot.session.booking_mode = BookingMode.SELF
        book_slot(make_user(Role.CITIZEN), slot.id, booking_data(), None, now, app.config)
        slot.session.booking_mode = BookingMode.REQUEST
        slot_id = slot.id
    elif which == "held for another":
        slot = office.slots[0]
        slot.held_for_id, slot.held_until = make_user(Role.CITIZEN).id, now + timedelta(hours=1)
        slot_id = slot.id
    else:
        slot_id = 2**40
    db.session.flush()
    offers_before = count(db, SlotOffer)

    with pytest.raises(Invalid, match="no longer free or is not a request-mode time") as exc:
        services.offer_slots(office.assistant, request, [office.slots[1].id, slot_id], None, now, app.config)
    assert exc.value.field == "slot_ids"
    assert count(db, SlotOffer) == offers_before
    assert request.status is AppointmentStatus.REQUESTED and office.slots[1].held_for_id is None


def test_offering_needs_a_time_and_at_most_five(app, ctx, db, office, make_request, now):
    request = make_request(office)
    with pytest.raises(Invalid, match="at least one time"):
        services.offer_slots(office.assistant, request, [], None, now, app.config)
    with pytest.raises(Invalid, match="at most 5"):
        services.offer_slots(office.assistant, request, [s.id for s in office.slots], None, now, app.config)


def test_an_assistant_of_another_body_may_not_decide(app, ctx, db, office, make_office, make_request, now):
    request = make_request(office)
    stranger = make_office().assistant
    with pytest.raises(NotAllowed):
        services.resolve_request(stranger, request, "Done", now)
    assert request.status is AppointmentStatus.REQUESTED and not outbox(db, user_id=request.citizen_id)


def test_a_request_is_decided_once(app, ctx, db, office, make_request, now):
    request = make_request(office)
    services.resolve_request(office.assistant, request, "The bus route was extended.", now)
    with pytest.raises(Conflict, match="already been decided"):
        services.decline_request(office.assistant, request, DeclineGround.REPEATED, None, now)
    offered = make_request(office)
    services.offer_slots(office.assistant, offered, [office.slots[0].id], None, now, app.config)
    with pytest.raises(Conflict, match="already been decided"):
        services.offer_slots(office.assistant, offered, [office.slots[1].id], None, now, app.config)
    assert len(outbox(db, user_id=request.citizen_id)) == 1 and len(outbox(db, user_id=offered.citizen_id)) == 1


# --- accepting an offered time ---------------------------------------------------------------

def test_accepting_turns_the_request_into_the_booking_with_a_talon(app, ctx, db, office, make_request, now):
    request = make_request(office)
    first, second = office.slots[0], office.slots[4]
    offers = services.offer_slots(office.assistant, request, [first.id, second.id], None, now, app.config)
    services.accept_offer(request.citizen, request, offers[1].id, now + timedelta(minutes=5))
    db.session.flush()
    db.session.expire_all()

    assert request.status is AppointmentStatus.SCHEDULED
    assert (request.slot_id, request.session_id) == (second.id, second.session_id)
    assert request.talon_number.endswith(f"-{request.id:06d}")
    assert request.accepted_by_name == office.assistant.full_name
    assert request.accepted_at == now + timedelta(minutes=5)
    assert [o.status for o in request.offers] == [OfferStatus.WITHDRAWN, OfferStatus.ACCEPTED]
    assert first.held_for_id is None and second.held_for_id is None  # one released, one consumed
    [reservation] = db.session.scalars(select(Reservation).where(Reservation.appointment_id == request.id)).all()
    assert reservation.resource is ReservationResource.CITIZEN and reservation.starts_at == second.starts_at


def test_accepting_a_video_offer_reserves_the_studio(app, ctx, db, office, make_studio, make_request, now):
    studio = make_studio()
    request = make_request(office, format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, now, app.config)
    services.accept_offer(request.citizen, request, offer.id, now)
    resources = set(db.session.scalars(select(Reservation.resource).where(Reservation.appointment_id == request.id)))
    assert resources == {ReservationResource.CITIZEN, ReservationResource.STUDIO}


def test_an_expired_offer_cannot_be_accepted_and_the_request_returns_to_the_queue(app, ctx, db, office,
                                                                                  make_request, now):
    request = make_request(office)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, now, app.config)
    later = now + timedelta(hours=49)
    with pytest.raises(Conflict, match="This offer expired"):
        services.accept_offer(request.citizen, request, offer.id, later)
    assert request.status is AppointmentStatus.SCREENING and request.slot_id is None
    assert count(db, Reservation, Reservation.appointment_id == request.id) == 0

    calendar = WorkCalendar.from_config(app.config)
    [row] = queries.list_awaiting(frozenset({office.body.id}), later, calendar)
    assert row.request.id == request.id and row.offers_expired
    assert queries.count_awaiting(frozenset({office.body.id}), later) == 1
    assert queries.list_offered(frozenset({office.body.id}), later, calendar) == []
    # A new decision: the same time may be offered again.
    [again] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, later, app.config)
    assert again.id == offer.id and again.status is OfferStatus.OPEN and again.expires_at > later
    assert len(outbox(db, kind="request_offered", user_id=request.citizen_id)) == 2


def test_accepting_twice_or_another_citizens_offer_is_refused(app, ctx, db, office, make_request, now):
    request = make_request(office)
    other = make_request(office)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, now, app.config)
    [other_offer] = services.offer_slots(office.assistant, other, [office.slots[1].id], None, now, app.config)
    with pytest.raises(Invalid, match="Choose one of the times offered to you"):
        services.accept_offer(request.citizen, request, other_offer.id, now)
    with pytest.raises(NotFound):
        services.accept_offer(request.citizen, other, other_offer.id, now)
    services.accept_offer(request.citizen, request, offer.id, now)
    with pytest.raises(Conflict, match="already accepted"):
        services.accept_offer(request.citizen, request, offer.id, now)
    assert other.status is AppointmentStatus.SCREENING


def test_a_held_slot_cannot_be_booked_by_another_citizen(app, ctx, db, office, make_request, make_user,
                                                         booking_data, now):
    request = make_request(office)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, now, app.config)
    with pytest.raises(Conflict, match="kept for another citizen"):
        book_slot(make_user(Role.CITIZEN), office.slots[0].id, booking_data(), None, now, app.config)
    services.accept_offer(request.citizen, request, offer.id, now)
    assert request.status is AppointmentStatus.SCHEDULED


def test_accepting_a_time_that_clashes_with_the_citizens_other_reception_writes_nothing(
        app, ctx, db, office, make_request, make_session, booking_data, now):
    request = make_request(office)
    slot = office.slots[0]
    [offer] = services.offer_slots(office.assistant, request, [slot.id], None, now, app.config)
    clash = make_session(start=slot.starts_at, slots=1)
    book_slot(request.citizen, clash.slots[0].id, booking_data(), None, now, app.config)
    with pytest.raises(SlotTaken, match="another reception at this time"):
        services.accept_offer(request.citizen, request, offer.id, now)
    db.session.expire_all()
    assert request.status is AppointmentStatus.SCREENING and request.slot_id is None
    assert offer.status is OfferStatus.OPEN and slot.held_for_id == request.citizen_id


# --- redirect, resolve, decline --------------------------------------------------------------

def test_redirecting_closes_the_request_and_tells_the_citizen_where_it_went(app, ctx, db, office, make_request,
                                                                          make_body, now):
    request = make_request(office)
    competent = make_body(name_en="Land Relations Department", address_en="12 Abai Avenue")
    services.redirect_request(office.assistant, request, competent.id, "Land plots are decided by the akimat.", now)
    assert request.status is AppointmentStatus.CLOSED and request.decision is RequestDecision.REDIRECTED
    assert request.redirect_body_id == competent.id
    [mail] = outbox(db, user_id=request.citizen_id)
    assert mail.kind == "request_redirected" and mail.dedupe_key == f"request_redirected:{request.id}:email"
    assert "Land Relations Department" in mail.subject
    assert "Land plots are decided by the akimat." in mail.body_text and "12 Abai Avenue" in mail.body_text


@pytest.mark.parametrize("body,reasons,message", [
    (None, "Reasons", "Choose an active body"),
    (2**40, "Reasons", "Choose an active body"),
    ("inactive", "Reasons", "Choose an active body"),
    ("own", "Reasons", "Choose another body"),
    ("other", "   ", "Give the reasons"),
])
def test_a_redirect_needs_an_active_other_body_and_reasons(app, ctx, db, office, make_request, make_body, body,
                                                           reasons, message, now):
    request = make_request(office)
    body_id = {"inactive": lambda: make_body(is_active=False).id, "own": lambda: office.body.id,
               "other": lambda: make_body().id}.get(body, lambda: body)()
    with pytest.raises(Invalid, match=message):
        services.redirect_request(office.assistant, request, body_id, reasons, now)
    assert request.status is AppointmentStatus.REQUESTED and not outbox(db, user_id=request.citizen_id)


def test_a_redirect_after_the_deadline_is_allowed_and_recorded_as_late(app, ctx, db, office, make_request,
                                                                       make_body, now):
    request = make_request(office, now=now - timedelta(days=10))
    calendar = WorkCalendar.from_config(app.config)
    [row] = queries.list_awaiting(frozenset({office.body.id}), now, calendar)
    assert row.flag is DeadlineFlag.OVERDUE
    services.redirect_request(office.assistant, request, make_body().id, "Not ours.", now)
    assert is_late(request.decided_at, request.redirect_due_on, office.body.timezone)


def test_competent_bodies_are_suggested_first(app, ctx, db, office, make_request, make_body, topic):
    request = make_request(office)
    competent = make_body(name_en="Zhetysu Competent Body")
    competent.topics.append(topic)
    other = make_body(name_en="Another Body")
    suggested, others = queries.redirect_body_choices(request)
    assert competent.id in [i for i, _ in suggested] and other.id in [i for i, _ in others]
    assert office.body.id not in [i for i, _ in suggested + others]


def test_resolving_needs_a_note_and_mails_it(app, ctx, db, office, make_request, now):
    request = make_request(office)
    with pytest.raises(Invalid, match="Say how the issue was resolved"):
        services.resolve_request(office.assistant, request, " ", now)
    services.resolve_request(office.assistant, request, "A school bus runs from Monday.", now)
    assert request.status is AppointmentStatus.CLOSED and request.decision is RequestDecision.RESOLVED
    [mail] = outbox(db, user_id=request.citizen_id)
    assert mail.kind == "request_resolved" and "A school bus runs from Monday." in mail.body_text


def test_declining_needs_a_ground_from_the_list_and_mails_it_in_the_citizens_language(
        app, ctx, db, office, make_user, make_request, now):
    citizen = make_user(Role.CITIZEN, language="ru")
    request = make_request(office, citizen)
    with pytest.raises(Invalid, match="ground for declining"):
        services.decline_request(office.assistant, request, "because", None, now)
    services.decline_request(office.assistant, request, DeclineGround.COURT, None, now)
    assert request.status is AppointmentStatus.CLOSED and request.decline_ground is DeclineGround.COURT
    [mail] = outbox(db, user_id=citizen.id)
    assert mail.kind == "request_declined" and mail.locale == "ru"
    assert mail.dedupe_key == f"request_declined:{request.id}:email"


def test_a_withdrawn_request_cannot_be_decided(app, ctx, db, office, make_request, now):
    request = make_request(office)
    cancel_appointment(request.citizen, request, now)
    with pytest.raises(Conflict, match="withdrawn"):
        services.resolve_request(office.assistant, request, "Done", now)
    assert queries.count_awaiting(frozenset({office.body.id}), now) == 0


def test_withdrawing_open_offers_releases_their_holds(app, ctx, db, office, make_request, now):
    request = make_request(office)
    offers = services.offer_slots(office.assistant, request, [office.slots[0].id, office.slots[1].id], None, now,
                                  app.config)
    offers[1].expires_at = now - timedelta(minutes=1)
    freed = services.withdraw_open_offers(request, now)
    assert [s.id for s in freed] == [office.slots[0].id]
    assert [o.status for o in offers] == [OfferStatus.WITHDRAWN, OfferStatus.EXPIRED]
    assert office.slots[0].held_for_id is None
