"""Citizens choose in the profile how they hear about their receptions: e-mail, SMS or both."""
from __future__ import annotations

from reception.accounts.models import NotifyBy
from reception.core.permissions import Role
from tests.conftest import post_form, region


def profile(**changes) -> dict:
    return {"full_name": "Айгерім Сапарова", "phone": "+77071112233", "region_id": str(region("KZ-15").id),
            "language": "kk", "notify_by": "email", **changes}


def test_citizen_chooses_sms_and_email_and_it_is_kept(client, login_as, db):
    user = login_as(Role.CITIZEN)
    assert 'name="notify_by" type="radio" value="both"' in client.get("/profile").get_data(as_text=True)
    assert post_form(client, "/profile", profile(notify_by="both")).status_code == 302
    db.session.refresh(user)
    assert user.notify_by is NotifyBy.BOTH
    assert 'checked id="notify_by-2"' in client.get("/profile").get_data(as_text=True)


def test_sms_without_a_phone_is_refused_with_a_message(client, login_as, db):
    user = login_as(Role.CITIZEN, phone=None)
    r = post_form(client, "/profile", profile(notify_by="sms", phone=""))
    assert r.status_code == 422
    assert "Enter a mobile phone to receive SMS." in r.get_data(as_text=True)
    db.session.refresh(user)
    assert user.notify_by is NotifyBy.EMAIL


def test_an_unknown_channel_is_refused(client, login_as, db):
    user = login_as(Role.CITIZEN)
    assert post_form(client, "/profile", profile(notify_by="pigeon")).status_code == 422
    db.session.refresh(user)
    assert user.notify_by is NotifyBy.EMAIL
