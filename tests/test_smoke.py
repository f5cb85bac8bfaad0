from reception.core.permissions import Role


def test_home_page_renders(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "Reception" in r.get_data(as_text=True) or r.status_code == 200


def test_login_as_admin_lands_on_admin_home(client, login_as):
    login_as(Role.ADMIN)
    r = client.get("/home")
    assert r.status_code == 200
