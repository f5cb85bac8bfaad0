"""An official's public page: the coming free time, a request for request-mode officials, the waitlist."""
from __future__ import annotations

from reception.schedule.models import BookingMode


def test_page_lists_free_time_with_booking_links(db, client, make_session):
    session = make_session()
    db.session.commit()
    page = client.get(f"/reception/officials/{session.official_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert session.official.full_name in text and session.official.body.name_en in text
    assert f"/reception/slots/{session.slots[0].id}/book" in text
    assert "Join the waitlist" not in text


def test_official_with_nothing_free_offers_the_waitlist(db, client, make_official):
    official = make_official()
    db.session.commit()
    text = client.get(f"/reception/officials/{official.id}").get_data(as_text=True)
    assert "No free reception time now" in text and "Join the waitlist" in text


def test_request_mode_official_offers_a_request(db, client, make_session):
    session = make_session(booking_mode=BookingMode.REQUEST)
    db.session.commit()
    text = client.get(f"/reception/officials/{session.official_id}").get_data(as_text=True)
    assert f"/reception/officials/{session.official_id}/request" in text
    assert f"/reception/slots/{session.slots[0].id}/book" not in text


def test_inactive_or_unknown_official_is_not_found(db, client, make_official):
    official = make_official(is_active=False)
    db.session.commit()
    assert client.get(f"/reception/officials/{official.id}").status_code == 404
    assert client.get("/reception/officials/99999999999999").status_code == 404
