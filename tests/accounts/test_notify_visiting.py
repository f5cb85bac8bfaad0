"""The citizen's opt-in to e-mails about visiting receptions in their region: at registration and in the profile."""
from sqlalchemy import select

from reception.accounts.models import User
from reception.core.permissions import Role
from tests.conftest import post_form, region

PROFILE = {"full_name": "Aigul Nurlanova", "phone": "+77071112233", "language": "en"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_citizen_asks_in_the_profile_to_be_told_and_can_stop(client, login_as, db):
    user = login_as(Role.CITIZEN)
    page = _text(client.get("/profile"))
    assert "Tell me about visiting receptions in my region" in page
    r = post_form(client, "/profile", {**PROFILE, "region_id": str(region("KZ-15").id), "notify_visiting": "y"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.notify_visiting is True and user.region.code == "KZ-15"
    assert '<input checked id="notify_visiting"' in _text(client.get("/profile"))
    r = post_form(client, "/profile", {**PROFILE, "region_id": str(region("KZ-15").id)})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.notify_visiting is False


def test_staff_profile_has_no_visiting_opt_in_and_saving_it_changes_nothing(client, login_as, db):
    user = login_as(Role.ASSISTANT)
    assert "visiting receptions in my region" not in _text(client.get("/profile"))
    r = post_form(client, "/profile", {**PROFILE, "region_id": "0", "notify_visiting": "y"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.notify_visiting is False


def test_citizen_can_ask_to_be_told_when_registering(client, db):
    data = {"iin": "850101300015", "full_name": "Aigul Nurlanova", "phone": "8 701 234 56 78",
            "email": "aigul@example.kz", "password": "a long secret 1", "password_confirm": "a long secret 1",
            "language": "en", "region_id": str(region("KZ-15").id), "notify_visiting": "y"}
    assert "Tell me about visiting receptions in my region" in _text(client.get("/register"))
    r = post_form(client, "/register", data)
    assert r.status_code == 302
    user = db.session.scalars(select(User).where(User.iin == "850101300015")).one()
    assert user.notify_visiting is True


def test_registration_without_the_box_does_not_opt_in(client, db):
    data = {"iin": "921231400007", "full_name": "Serik Abenov", "phone": "8 701 234 56 79",
            "email": "serik@example.kz", "password": "a long secret 1", "password_confirm": "a long secret 1",
            "language": "en", "region_id": str(region("KZ-15").id)}
    assert post_form(client, "/register", data).status_code == 302
    user = db.session.scalars(select(User).where(User.iin == "921231400007")).one()
    assert user.notify_visiting is False
