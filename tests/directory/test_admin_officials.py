"""Officials: administrators manage all, assistants only their own body's; one head per body."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reception.core.errors import Conflict, Invalid, NotAllowed
from reception.core.permissions import Role
from reception.directory import services
from reception.directory.models import Official

from .conftest import BODY_NOT_OFFERED, count, text


def _official_form(body, **overrides):
    data = {"body_id": str(body.id), "full_name": "Сапарбаев Бердибек Машбекович",
            "position_kk": "Облыс әкімі", "position_ru": "Аким области", "position_en": "Akim of the region",
            "user_id": "0", "is_active": "y"}
    data.update(overrides)
    return data


def _data(body, **overrides) -> services.OfficialData:
    values = {"body_id": body.id, "full_name": "A Person", "position_kk": "a", "position_ru": "b",
              "position_en": "c"}
    values.update(overrides)
    return services.OfficialData(**values)


def test_admin_adds_an_official_linked_to_an_official_account(client, admin, submit, make_body, make_user, db,
                                                             save):
    body = make_body()
    account = make_user(Role.OFFICIAL, body=body)
    save()
    r = submit("/admin/directory/officials/new", _official_form(body, user_id=str(account.id), is_head="y"))
    assert r.status_code == 302
    official = db.session.scalars(select(Official).where(Official.body_id == body.id)).one()
    assert (official.full_name, official.position_kk, official.position_ru, official.position_en) == (
        "Сапарбаев Бердибек Машбекович", "Облыс әкімі", "Аким области", "Akim of the region")
    assert (official.user_id, official.is_head, official.is_active) == (account.id, True, True)


def test_admin_edits_an_official_and_deactivates_them(client, admin, submit, make_body, make_official, db, save):
    body, other = make_body(), make_body()
    official = make_official(body=body, is_head=True)
    save()
    data = _official_form(other, full_name="New Name", position_en="Deputy akim")
    del data["is_active"]
    assert submit(f"/admin/directory/officials/{official.id}", data).status_code == 302
    db.session.expire_all()
    official = db.session.get(Official, official.id)
    assert (official.body_id, official.full_name, official.position_en, official.is_head, official.is_active) == (
        other.id, "New Name", "Deputy akim", False, False)


def test_marking_a_new_head_unmarks_the_previous_one(client, admin, submit, make_body, make_official, db, save):
    body = make_body()
    old_head = make_official(body=body, is_head=True)
    other_body_head = make_official(is_head=True)
    save()
    assert submit("/admin/directory/officials/new", _official_form(body, is_head="y")).status_code == 302
    db.session.expire_all()
    heads = db.session.scalars(select(Official).where(Official.body_id == body.id, Official.is_head)).all()
    assert [h.full_name for h in heads] == ["Сапарбаев Бердибек Машбекович"]
    assert db.session.get(Official, old_head.id).is_head is False
    assert db.session.get(Official, other_body_head.id).is_head is True


def test_an_inactive_official_cannot_be_head(client, admin, submit, make_body, save):
    body = make_body()
    save()
    data = _official_form(body, is_head="y")
    del data["is_active"]
    r = submit("/admin/directory/officials/new", data)
    assert r.status_code == 422
    assert "An inactive official cannot be the head of the body." in text(r)
    assert count(Official) == 0


def test_unknown_body_or_account_ids_are_422_and_nothing_written(client, admin, submit, make_body, make_user,
                                                                  save):
    body = make_body()
    citizen = make_user(Role.CITIZEN)
    assistant = make_user(Role.ASSISTANT, body=body)
    save()
    for field, value in [("body_id", "999999"), ("body_id", ""), ("user_id", "999999"),
                         ("user_id", str(citizen.id)), ("user_id", str(assistant.id)), ("full_name", ""),
                         ("position_ru", "x" * 256)]:
        r = submit("/admin/directory/officials/new", _official_form(body, **{field: value}))
        assert r.status_code == 422, (field, value)
    assert count(Official) == 0


def test_linked_account_must_belong_to_the_officials_body(ctx, make_user, make_body):
    admin = make_user(Role.ADMIN)
    body, other = make_body(), make_body()
    account = make_user(Role.OFFICIAL, body=other)
    with pytest.raises(Invalid) as err:
        services.create_official(admin, _data(body, user_id=account.id))
    assert err.value.field == "user_id"


def test_an_account_links_to_one_official_only(ctx, make_user, make_body, make_official):
    admin = make_user(Role.ADMIN)
    body = make_body()
    account = make_user(Role.OFFICIAL, body=body)
    make_official(body=body, user=account)
    with pytest.raises(Conflict):
        services.create_official(admin, _data(body, user_id=account.id))


# --- assistants ------------------------------------------------------------------------------

@pytest.fixture
def own_body(make_body):
    return make_body(name_en="My body")


@pytest.fixture
def assistant(login_as, own_body):
    return login_as(Role.ASSISTANT, body=own_body)


def test_assistant_lists_only_own_bodys_officials(client, assistant, own_body, make_official, save):
    make_official(body=own_body, full_name="Mine Official")
    make_official(full_name="Someone Elses Official")
    save()
    r = client.get("/admin/directory/officials")
    assert r.status_code == 200
    assert "Mine Official" in text(r) and "Someone Elses Official" not in text(r)


def test_assistant_adds_an_official_to_own_body(client, assistant, own_body, submit, db):
    form = text(client.get("/admin/directory/officials/new"))
    assert f'<option selected value="{own_body.id}">' in form
    assert form.count("<option") == 2  # the own body, and "no account"
    assert submit("/admin/directory/officials/new", _official_form(own_body)).status_code == 302
    assert count(Official, Official.body_id == own_body.id) == 1


def test_assistant_cannot_add_an_official_to_another_body(client, assistant, make_body, submit, save):
    other = make_body()
    save()
    r = submit("/admin/directory/officials/new", _official_form(other))
    assert r.status_code == 422
    assert BODY_NOT_OFFERED in text(r)
    assert count(Official) == 0


def test_assistant_cannot_edit_another_bodys_official(client, assistant, make_official, submit, db, save):
    theirs = make_official(full_name="Not Yours")
    save()
    assert client.get(f"/admin/directory/officials/{theirs.id}").status_code == 403
    r = submit(f"/admin/directory/officials/{theirs.id}", _official_form(theirs.body, full_name="Hijacked"))
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Official, theirs.id).full_name == "Not Yours"


def test_assistant_cannot_move_own_official_to_another_body(client, assistant, own_body, make_body,
                                                            make_official, submit, db, save):
    mine = make_official(body=own_body)
    other = make_body()
    save()
    r = submit(f"/admin/directory/officials/{mine.id}", _official_form(other))
    assert r.status_code == 422
    assert BODY_NOT_OFFERED in text(r)
    db.session.expire_all()
    assert db.session.get(Official, mine.id).body_id == own_body.id


def test_assistant_edits_own_bodys_official(client, assistant, own_body, make_official, submit, db, save):
    mine = make_official(body=own_body)
    save()
    renamed = _official_form(own_body, full_name="Renamed")
    assert submit(f"/admin/directory/officials/{mine.id}", renamed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Official, mine.id).full_name == "Renamed"


def test_service_refuses_assistants_changes_outside_their_body(ctx, make_user, make_body, make_official):
    mine, other = make_body(), make_body()
    assistant = make_user(Role.ASSISTANT, body=mine)
    with pytest.raises(NotAllowed):
        services.create_official(assistant, _data(other))
    theirs = make_official(body=other)
    with pytest.raises(NotAllowed):
        services.update_official(assistant, theirs, _data(other, full_name="Changed"))
    own = make_official(body=mine)
    with pytest.raises(NotAllowed):
        services.update_official(assistant, own, _data(other))


def test_assistant_links_only_accounts_of_own_body(client, assistant, own_body, make_user, save):
    mine = make_user(Role.OFFICIAL, body=own_body, full_name="Own Akim")
    make_user(Role.OFFICIAL, full_name="Foreign Akim")
    save()
    form = text(client.get("/admin/directory/officials/new"))
    assert f'value="{mine.id}"' in form and "Own Akim" in form
    assert "Foreign Akim" not in form


def test_assistant_without_a_body_cannot_manage_officials(client, login_as):
    user = login_as(Role.ASSISTANT)
    from reception.extensions import db
    user.body_id = None
    db.session.commit()
    assert client.get("/admin/directory/officials").status_code == 403
    assert client.get("/admin/directory/officials/new").status_code == 403


def test_assistant_home_page_links_to_editing_own_officials(client, assistant, own_body, make_official, save):
    mine = make_official(body=own_body, full_name="Linked Official")
    save()
    page = text(client.get("/home"))
    assert f'href="/admin/directory/officials/{mine.id}"' in page
    assert 'href="/admin/directory/officials/new"' in page and 'href="/admin/directory/venues/new"' in page
