"""Administrators create staff accounts tied to bodies and give them roles."""
import pytest
from sqlalchemy import func, select

from reception.accounts.models import User
from reception.core.permissions import ROLE_LABELS, Role
from tests.conftest import PASSWORD, login, post_form


def _staff_form(body_id, **overrides):
    data = {"full_name": "Асель Маратовна Ахметова", "email": "asel@akimat.kz", "phone": "+7 702 111 22 33",
            "language": "ru", "body_id": str(body_id), "roles": ["assistant"], "is_active": "y",
            "password": "initial password 1"}
    data.update(overrides)
    return data


def test_admin_creates_a_staff_account_that_can_log_in(client, login_as, make_body, db):
    login_as(Role.ADMIN)
    body = make_body()
    db.session.commit()
    r = post_form(client, "/admin/staff/new", _staff_form(body.id, roles=["assistant", "agency_rep"],
                                                          language="en"))
    assert r.status_code == 302
    staff = db.session.scalars(select(User).where(User.email == "asel@akimat.kz")).one()
    assert staff.roles == {Role.ASSISTANT, Role.AGENCY_REP}
    assert staff.body_id == body.id and staff.phone == "+77021112233" and staff.iin is None
    other = client.application.test_client()
    login(other, staff, "initial password 1")
    assert str(ROLE_LABELS[Role.ASSISTANT]) in other.get("/home").get_data(as_text=True)


def test_body_bound_roles_require_a_body(client, login_as, db):
    login_as(Role.ADMIN)
    before = db.session.scalar(select(func.count(User.id)))
    r = post_form(client, "/admin/staff/new", _staff_form(0))
    assert r.status_code == 422 and "must belong to a body" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_monitor_needs_no_body(client, login_as, db):
    login_as(Role.ADMIN)
    r = post_form(client, "/admin/staff/new", _staff_form(0, roles=["monitor"], email="monitor@x.kz"))
    assert r.status_code == 302


def test_citizen_role_cannot_be_given_to_staff(client, login_as, make_body, db):
    login_as(Role.ADMIN)
    body = make_body()
    db.session.commit()
    r = post_form(client, "/admin/staff/new", _staff_form(body.id, roles=["citizen"]))
    assert r.status_code == 422


def test_admin_changes_roles_and_blocks_an_account(client, login_as, make_user, db):
    login_as(Role.ADMIN)
    staff = make_user(Role.ASSISTANT)
    db.session.commit()
    r = post_form(client, f"/admin/staff/{staff.id}",
                  _staff_form(staff.body_id, email=staff.email, roles=["official"], is_active="", password=""))
    assert r.status_code == 302
    db.session.refresh(staff)
    assert staff.roles == {Role.OFFICIAL} and not staff.is_active
    other = client.application.test_client()
    r = post_form(other, "/login", {"login": staff.email, "password": PASSWORD})
    assert r.status_code == 401


def test_admin_cannot_remove_own_admin_role(client, login_as, db):
    admin = login_as(Role.ADMIN)
    r = post_form(client, f"/admin/staff/{admin.id}",
                  _staff_form(0, email=admin.email, roles=["monitor"], password=""))
    assert r.status_code == 422
    db.session.refresh(admin)
    assert Role.ADMIN in admin.roles


def test_duplicate_staff_email_is_refused(client, login_as, make_user, make_body, db):
    login_as(Role.ADMIN)
    existing = make_user(Role.MONITOR)
    body = make_body()
    db.session.commit()
    r = post_form(client, "/admin/staff/new", _staff_form(body.id, email=existing.email.upper()))
    assert r.status_code == 409


def test_citizen_accounts_are_not_editable_as_staff(client, login_as, make_user, db):
    login_as(Role.ADMIN)
    citizen = make_user(Role.CITIZEN)
    db.session.commit()
    assert client.get(f"/admin/staff/{citizen.id}").status_code == 404
    assert client.get("/admin/staff/999999").status_code == 404


def test_staff_list_shows_staff_but_not_citizens(client, login_as, make_user, db):
    login_as(Role.ADMIN)
    staff = make_user(Role.STUDIO_OPERATOR)
    citizen = make_user(Role.CITIZEN)
    db.session.commit()
    page = client.get("/admin/staff").get_data(as_text=True)
    assert staff.email in page and citizen.email not in page


@pytest.mark.parametrize("role", list(Role))
def test_every_role_lands_on_a_home_page_of_its_own(client, login_as, role):
    login_as(role)
    r = client.get("/home")
    assert r.status_code == 200
    assert str(ROLE_LABELS[role]) in r.get_data(as_text=True)
