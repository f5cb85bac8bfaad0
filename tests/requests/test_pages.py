"""Request mode pages: the citizen's request and offers, the screening queue and decisions; bad input gets a 4xx."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select

from reception.booking.models import Appointment, AppointmentStatus, OfferStatus, RequestDecision, SlotOffer
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.names import short_full_name
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.requests import services
from tests.conftest import csrf_from, login, post_form
from tests.requests.fixtures import count, outbox

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def rows() -> int:
    # The audit log is left out: opening the request page records a view of it (tests/audit).
    return sum(_db.session.scalar(select(func.count()).select_from(t)) for t in _db.metadata.sorted_tables
               if t.name != "audit_events")


@pytest.fixture
def send(client, topic):
    """Open the request form of ``official`` and submit it (with the page's idempotency key)."""
    def do(official, **overrides):
        url = f"/reception/officials/{official.id}/request"
        page = client.get(url)
        assert page.status_code == 200, text(page)
        data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                "summary": "The heating in our block has been off for a month.",
                "appeal_numbers": "ZT-2026-0042", "needs_sign_language": "y",
                "idempotency_key": KEY_RE.search(text(page))[1]}
        data.update(overrides)
        return post_form(client, url, data)
    return do


def decide(client, request_id: int, action: str, data: dict):
    url = f"/staff/requests/{request_id}"
    return post_form(client, url, {"action": action, **data})


def switch_to(client, user) -> None:
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, user)


def the_request(db, citizen) -> Appointment:
    db.session.expire_all()
    return db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()


# --- the citizen -------------------------------------------------------------------------------

def test_the_search_offers_a_request_instead_of_booking_for_a_request_mode_official(client, db, office):
    db.session.commit()
    body = text(client.get(f"/reception/?official={office.official.id}"))
    assert f"/reception/officials/{office.official.id}/request" in body
    assert "Send a request" in body


def test_a_citizen_sends_a_request_once_and_sees_it_in_their_appointments(client, db, login_as, office, send):
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    r = send(office.official)
    assert r.status_code == 302
    request = the_request(db, citizen)
    assert r.headers["Location"].endswith(f"/my/appointments/{request.id}")
    assert request.status is AppointmentStatus.REQUESTED and request.needs_sign_language
    assert request.appeal_numbers == "ZT-2026-0042" and request.redirect_due_on is not None

    page = text(client.get(f"/my/appointments/{request.id}"))
    assert "Request for a reception" in page and "Request sent" in page
    assert "The heating in our block has been off for a month." in page
    assert "Withdraw the request" in page
    listing = text(client.get("/my/appointments/"))
    assert "Request sent" in listing and office.official.full_name in listing


def test_a_double_submitted_request_form_makes_one_request(client, db, login_as, office, topic):
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    url = f"/reception/officials/{office.official.id}/request"
    key = KEY_RE.search(text(client.get(url)))[1]
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "Twice",
            "idempotency_key": key}
    assert post_form(client, url, data).status_code == 302
    assert post_form(client, url, data).status_code == 302
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_a_second_request_to_the_same_official_gets_a_clear_409(client, db, login_as, office, send):
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    assert send(office.official).status_code == 302
    r = send(office.official)
    assert r.status_code == 409
    assert "You already have an active request or appointment with this official." in text(r)
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_the_request_form_of_a_self_booked_official_is_not_found(client, db, login_as, make_session):
    session = make_session()
    db.session.commit()
    login_as(Role.CITIZEN)
    r = client.get(f"/reception/officials/{session.official_id}/request")
    assert r.status_code == 404 and "does not take requests" in text(r)


def test_an_empty_summary_is_refused_with_422_and_nothing_is_written(client, db, login_as, office, send):
    db.session.commit()
    login_as(Role.CITIZEN)
    before = rows()
    r = send(office.official, summary="   ")
    assert r.status_code == 422 and "This field is required." in text(r)
    assert rows() == before


# --- the assistant -----------------------------------------------------------------------------

@pytest.fixture
def waiting(ctx, db, office, make_request, make_office):
    """Two requests to the office (the older one received 6 days ago: overdue) and one to another body."""
    old = make_request(office, now=utcnow() - timedelta(days=6))
    new = make_request(office)
    elsewhere = make_request(make_office(full_name="Official Of Another Body"))
    db.session.commit()
    return old, new, elsewhere


def test_the_queue_lists_own_body_requests_oldest_first_with_flagged_deadlines(client, db, office, waiting):
    old, new, elsewhere = waiting
    login(client, office.assistant)
    page = text(client.get("/staff/requests/"))
    assert "2 requests wait for a decision" in page
    assert page.index(f"/staff/requests/{old.id}") < page.index(f"/staff/requests/{new.id}")
    assert f"/staff/requests/{elsewhere.id}" not in page and "Official Of Another Body" not in page
    assert "Overdue" in page and "(Astana time)" in page
    assert client.get(f"/staff/requests/{elsewhere.id}").status_code == 403


def test_a_deadline_due_today_or_next_working_day_is_due_soon(client, db, office, make_request, ctx):
    request = make_request(office)
    # Today in the body's zone (not the UTC date: they differ for five hours after local midnight).
    from reception.requests.rules import local_date
    request.redirect_due_on = local_date(utcnow(), office.official.body.timezone)
    db.session.commit()
    login(client, office.assistant)
    assert "Due soon" in text(client.get("/staff/requests/"))


def test_the_assistants_home_page_links_to_the_queue_with_the_count(client, db, office, waiting):
    login(client, office.assistant)
    page = text(client.get("/home"))
    assert "/staff/requests/" in page and "2 wait for a decision" in page


def test_an_offer_from_the_request_page_reaches_the_citizen_who_accepts_it(client, db, office, waiting):
    old, _, _ = waiting
    login(client, office.assistant)
    page = text(client.get(f"/staff/requests/{old.id}"))
    assert "Bodies competent for the topic of the request are listed first." in page
    slot, other = office.slots[1], office.slots[3]
    r = decide(client, old.id, "offer", {"slot_ids": [str(slot.id), str(other.id)], "offer_note": "Room 12."})
    assert r.status_code == 302, text(r)
    assert "/staff/requests/" in r.headers["Location"]
    db.session.expire_all()
    assert old.status is AppointmentStatus.SCREENING and len(old.offers) == 2
    assert [m.kind for m in outbox(db, user_id=old.citizen_id)] == ["request_offered"]

    switch_to(client, old.citizen)
    page = text(client.get(f"/my/appointments/{old.id}"))
    assert "Time offered: choose one" in page and "Offered reception times" in page
    assert "Kept for you until" in page and "Room 12." in page
    assert page.count(f'action="/my/requests/{old.id}/accept"') == 2
    listing = text(client.get("/my/appointments/"))
    assert "2 times offered: choose one" in listing
    offer = next(o for o in old.offers if o.slot_id == other.id)
    r = post_form(client, f"/my/requests/{old.id}/accept", {"offer_id": str(offer.id)},
                  form_url=f"/my/appointments/{old.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/my/appointments/{old.id}?booked=1")
    talon = text(client.get(f"/my/appointments/{old.id}"))
    # The assistant who offered the time accepted it: the talon names them by surname and initials.
    assert "Reception talon" in talon and short_full_name(office.assistant.full_name) in talon
    db.session.expire_all()
    assert old.status is AppointmentStatus.SCHEDULED and old.slot_id == other.id

    again = post_form(client, f"/my/requests/{old.id}/accept", {"offer_id": str(offer.id)},
                      form_url=f"/my/appointments/{old.id}")
    assert again.status_code == 409 and "already accepted" in text(again)


def test_redirect_resolve_and_decline_from_the_request_page(client, db, office, make_body, make_request, ctx):
    competent = make_body(name_en="Akimat Housing Department")
    redirected, resolved, declined = (make_request(office) for _ in range(3))
    db.session.commit()
    login(client, office.assistant)
    assert decide(client, redirected.id, "redirect", {"body_id": str(competent.id),
                                                      "reasons": "Heating belongs to the akimat."}).status_code == 302
    assert decide(client, resolved.id, "resolve", {"resolution": "Heating is back on."}).status_code == 302
    assert decide(client, declined.id, "decline", {"ground": "repeated"}).status_code == 302
    db.session.expire_all()
    assert [r.decision for r in (redirected, resolved, declined)] == [
        RequestDecision.REDIRECTED, RequestDecision.RESOLVED, RequestDecision.DECLINED]
    assert all(r.status is AppointmentStatus.CLOSED for r in (redirected, resolved, declined))
    assert count(db, OutboxMessage, OutboxMessage.kind.startswith("request_", autoescape=True)) == 3

    switch_to(client, redirected.citizen)
    page = text(client.get(f"/my/appointments/{redirected.id}"))
    assert "Sent to the competent body" in page and "Akimat Housing Department" in page
    assert "Heating belongs to the akimat." in page
    switch_to(client, declined.citizen)
    page = text(client.get(f"/my/appointments/{declined.id}"))
    assert "Declined" in page
    assert "The same issue has already been answered and the request raises nothing new" in page


def test_a_late_redirect_is_shown_as_late(client, db, office, waiting, make_body):
    old, _, _ = waiting
    body = make_body()
    db.session.commit()
    login(client, office.assistant)
    page = text(client.get(f"/staff/requests/{old.id}"))
    assert "the redirect will be recorded as late" in page
    late = {"body_id": str(body.id), "reasons": "Late but right."}
    assert decide(client, old.id, "redirect", late).status_code == 302
    assert "Late: after the 3-working-day deadline" in text(client.get(f"/staff/requests/{old.id}"))


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("action,data,status,message", [
    ("offer", {"slot_ids": "999999999"}, 422, "is not a request-mode time of this official"),
    ("offer", {"slot_ids": "another"}, 422, "is not a request-mode time of this official"),
    ("offer", {}, 422, "Choose at least one time to offer."),
    ("redirect", {"body_id": "999999999", "reasons": "x"}, 422, "Not a valid choice"),
    ("redirect", {"body_id": "other", "reasons": " "}, 422, "This field is required."),
    ("resolve", {"resolution": ""}, 422, "This field is required."),
    ("decline", {"ground": "because"}, 422, "Not a valid choice"),
    ("decline", {}, 422, "Choose the ground for declining from the list."),
    ("launch", {}, 422, "Choose one of the decisions below."),
])
def test_bad_decisions_get_a_clear_4xx_and_nothing_is_written(client, db, office, make_office, make_body, waiting,
                                                              action, data, status, message):
    old, _, _ = waiting
    another_slot, other_body = make_office().slots[0], make_body()
    db.session.commit()
    data = {k: {"another": str(another_slot.id), "other": str(other_body.id)}.get(v, v) for k, v in data.items()}
    login(client, office.assistant)
    before = rows()
    r = decide(client, old.id, action, data)
    assert r.status_code == status
    assert message in text(r)
    assert rows() == before
    db.session.expire_all()
    assert old.status is AppointmentStatus.REQUESTED and old.decision is None


def test_deciding_a_decided_request_is_a_409(client, db, office, waiting):
    old, _, _ = waiting
    login(client, office.assistant)
    assert decide(client, old.id, "resolve", {"resolution": "Done."}).status_code == 302
    before = rows()
    r = decide(client, old.id, "decline", {"ground": "repeated"})
    assert r.status_code == 409 and "already been decided" in text(r)
    assert rows() == before


@pytest.fixture
def offered(ctx, app, db, office, make_request):
    """A request with one open offer."""
    request = make_request(office)
    [offer] = services.offer_slots(office.assistant, request, [office.slots[0].id], None, utcnow(), app.config)
    db.session.commit()
    return request, offer


def test_accepting_an_expired_offer_is_a_409_with_a_clear_message(client, db, offered):
    request, offer = offered
    past = utcnow() - timedelta(minutes=1)
    offer.expires_at = past
    offer.slot.held_until = past
    db.session.commit()
    login(client, request.citizen)
    page = text(client.get(f"/my/appointments/{request.id}"))
    assert "The offered times have expired" in page
    assert "Offered times expired: waiting for a new decision" in page
    before = rows()
    r = post_form(client, f"/my/requests/{request.id}/accept", {"offer_id": str(offer.id)},
                  form_url=f"/my/appointments/{request.id}")
    assert r.status_code == 409 and "This offer expired on" in text(r)
    assert rows() == before


def test_another_citizens_offer_or_request_cannot_be_accepted(client, db, office, offered, make_request, ctx,
                                                              app):
    request, offer = offered
    mine = make_request(office)
    services.offer_slots(office.assistant, mine, [office.slots[1].id], None, utcnow(), app.config)
    db.session.commit()
    login(client, mine.citizen)
    before = rows()
    r = post_form(client, f"/my/requests/{mine.id}/accept", {"offer_id": str(offer.id)})
    assert r.status_code == 422 and "Choose one of the times offered to you." in text(r)
    assert client.get(f"/my/requests/{request.id}/accept").status_code == 404
    r = post_form(client, f"/my/requests/{request.id}/accept", {"offer_id": str(offer.id)},
                  form_url=f"/my/requests/{mine.id}/accept")
    assert r.status_code == 404
    assert rows() == before
    db.session.expire_all()
    assert offer.status is OfferStatus.OPEN and count(db, SlotOffer, SlotOffer.status == OfferStatus.ACCEPTED) == 0


def test_the_accept_page_lists_the_offered_times_as_choices(client, db, offered):
    request, offer = offered
    login(client, request.citizen)
    page = text(client.get(f"/my/requests/{request.id}/accept"))
    assert "Choose a reception time" in page and f'value="{offer.id}"' in page
    assert "(Astana time)" in page


def test_the_official_page_snippet_offers_a_request_only_for_request_mode_officials(app, ctx, db, office,
                                                                                     make_session):
    self_booked = make_session().official
    assert f"/reception/officials/{office.official.id}/request" in render_template(
        "requests/_official_link.html", official=office.official)
    assert "Send a request" not in render_template("requests/_official_link.html", official=self_booked)
