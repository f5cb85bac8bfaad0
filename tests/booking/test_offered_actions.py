"""Actions a user cannot take are not offered: staff and monitors see no "Book", "Send a request" or
"Join the waitlist" links (they would answer 403); visitors (sent to log in) and citizens do."""
from __future__ import annotations

import pytest

from reception.core.permissions import Role
from reception.schedule.models import BookingMode

STAFF = [r for r in Role if r is not Role.CITIZEN]


def _text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_free_time_without_book_links(db, client, login_as, make_session, role):
    session = make_session()
    db.session.commit()
    login_as(role)
    for url in ("/reception/", f"/reception/officials/{session.official_id}"):
        text = _text(client.get(url))
        assert session.official.full_name in text
        assert "/book" not in text and ">Book<" not in text


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_no_request_or_waitlist_links(db, client, login_as, make_session, make_official, role):
    session = make_session(booking_mode=BookingMode.REQUEST)
    idle = make_official()
    db.session.commit()
    login_as(role)
    for url in ("/reception/", f"/reception/officials/{session.official_id}",
                f"/reception/officials/{idle.id}", f"/reception/?official={idle.id}"):
        text = _text(client.get(url))
        assert f"/reception/officials/{session.official_id}/request" not in text and "Send a request" not in text, url
        assert "Join the waitlist" not in text and "/my/waitlist/" not in text, url


@pytest.mark.parametrize("who", ["visitor", Role.CITIZEN])
def test_visitors_and_citizens_are_offered_book_request_and_waitlist(db, client, login_as, make_session,
                                                                     make_official, who):
    free = make_session()
    by_request = make_session(booking_mode=BookingMode.REQUEST)
    idle = make_official()
    db.session.commit()
    if who != "visitor":
        login_as(who)
    search = _text(client.get("/reception/"))
    assert f"/reception/slots/{free.slots[0].id}/book" in search
    assert f"/reception/officials/{by_request.official_id}/request" in search
    assert f"/reception/slots/{free.slots[0].id}/book" in _text(client.get(f"/reception/officials/{free.official_id}"))
    assert "Join the waitlist" in _text(client.get(f"/reception/officials/{idle.id}"))
