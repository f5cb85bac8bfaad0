"""Venues and video studios: administrators manage all, assistants only their own body's."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reception.core.errors import NotAllowed
from reception.core.permissions import Role
from reception.directory import services
from reception.directory.models import Venue, VenueKind

from .conftest import BODY_NOT_OFFERED, count, region_id, text


def _venue_form(body, **overrides):
    data = {"body_id": str(body.id), "region_id": str(region_id("KZ-15")), "kind": "studio",
            "name_kk": "Бейне студия", "name_ru": "Видеостудия", "name_en": "Video studio",
            "address_kk": "Әбілқайыр хан даңғылы, 40", "address_ru": "проспект Абилкайыр хана, 40",
            "address_en": "40 Abilkaiyr Khan Ave", "floor": "2, room 204", "phone": "+7 701 234 5678",
            "capacity": "12", "is_active": "y"}
    data.update(overrides)
    return data


def test_admin_adds_a_video_studio(client, admin, submit, make_body, db, save):
    body = make_body()
    save()
    assert submit("/admin/directory/venues/new", _venue_form(body)).status_code == 302
    venue = db.session.scalars(select(Venue).where(Venue.body_id == body.id)).one()
    assert venue.kind is VenueKind.STUDIO and venue.is_studio
    assert (venue.region_id, venue.name_kk, venue.name_ru, venue.name_en) == (
        region_id("KZ-15"), "Бейне студия", "Видеостудия", "Video studio")
    assert (venue.address_ru, venue.floor, venue.phone, venue.capacity, venue.is_active) == (
        "проспект Абилкайыр хана, 40", "2, room 204", "+77012345678", 12, True)


def test_admin_edits_and_deactivates_a_venue(client, admin, submit, make_body, make_venue, db, save):
    venue = make_venue()
    save()
    data = _venue_form(venue.body, kind="hall", name_ru="Актовый зал", floor="", phone="", capacity="")
    del data["is_active"]
    assert submit(f"/admin/directory/venues/{venue.id}", data).status_code == 302
    db.session.expire_all()
    venue = db.session.get(Venue, venue.id)
    assert (venue.kind, venue.name_ru, venue.floor, venue.phone, venue.capacity, venue.is_active) == (
        VenueKind.HALL, "Актовый зал", None, None, None, False)


def test_venue_names_are_unique_within_a_body(client, admin, submit, make_body, make_venue, save):
    body = make_body()
    make_venue(body=body, name_ru="Видеостудия")
    make_venue(name_ru="Приёмная")
    save()
    before = count(Venue)
    r = submit("/admin/directory/venues/new", _venue_form(body))
    assert r.status_code == 409
    assert "This body already has a venue with this name in Russian." in text(r)
    assert count(Venue) == before
    # Another body may use the same name.
    assert submit("/admin/directory/venues/new", _venue_form(body, name_ru="Приёмная")).status_code == 302


def test_unknown_ids_and_bad_values_are_422_and_nothing_written(client, admin, submit, make_body, save):
    body = make_body()
    save()
    for field, value in [("body_id", "999999"), ("region_id", "999999"), ("region_id", ""), ("kind", "garage"),
                         ("capacity", "0"), ("capacity", "lots"), ("phone", "123"), ("floor", "x" * 41),
                         ("name_ru", ""), ("address_kk", "")]:
        r = submit("/admin/directory/venues/new", _venue_form(body, **{field: value}))
        assert r.status_code == 422, (field, value)
    assert count(Venue) == 0


# --- assistants ------------------------------------------------------------------------------

@pytest.fixture
def own_body(make_body):
    from tests.conftest import region
    return make_body(region=region("KZ-15"))


@pytest.fixture
def assistant(login_as, own_body):
    return login_as(Role.ASSISTANT, body=own_body)


def test_assistant_adds_a_venue_to_own_body_with_its_region_preselected(client, assistant, own_body, submit):
    form = text(client.get("/admin/directory/venues/new"))
    assert f'<option selected value="{own_body.id}">' in form
    assert f'<option selected value="{region_id("KZ-15")}">' in form
    assert submit("/admin/directory/venues/new", _venue_form(own_body)).status_code == 302
    assert count(Venue, Venue.body_id == own_body.id) == 1


def test_assistant_lists_only_own_bodys_venues(client, assistant, own_body, make_venue, save):
    make_venue(body=own_body, name_en="My studio")
    make_venue(name_en="Their studio")
    save()
    page = text(client.get("/admin/directory/venues"))
    assert "My studio" in page and "Their studio" not in page


def test_assistant_cannot_add_a_venue_to_another_body(client, assistant, make_body, submit, save):
    other = make_body()
    save()
    r = submit("/admin/directory/venues/new", _venue_form(other))
    assert r.status_code == 422
    assert BODY_NOT_OFFERED in text(r)
    assert count(Venue) == 0


def test_assistant_cannot_edit_another_bodys_venue(client, assistant, make_venue, submit, db, save):
    theirs = make_venue(name_ru="Чужая")
    save()
    assert client.get(f"/admin/directory/venues/{theirs.id}").status_code == 403
    assert submit(f"/admin/directory/venues/{theirs.id}", _venue_form(theirs.body)).status_code == 403
    db.session.expire_all()
    assert db.session.get(Venue, theirs.id).name_ru == "Чужая"


def test_service_refuses_assistants_venues_outside_their_body(ctx, make_user, make_body, make_venue):
    mine, other = make_body(), make_body()
    assistant = make_user(Role.ASSISTANT, body=mine)
    data = services.VenueData(body_id=other.id, region_id=other.region_id, kind="office", name_kk="a",
                              name_ru="b", name_en="c", address_kk="a", address_ru="b", address_en="c")
    with pytest.raises(NotAllowed):
        services.create_venue(assistant, data)
    with pytest.raises(NotAllowed):
        services.update_venue(assistant, make_venue(body=other), data)
