"""`make bench` signs its users in without the login form (bench/scenarios.signed_in). It is not run by CI,
so this checks here that the sessions it mints still open the pages it measures."""
import pytest

from bench.client import USER_AGENT
from bench.scenarios import signed_in
from bench.server import HOST
from reception.accounts.models import Role


@pytest.mark.parametrize("role,page", [(Role.CITIZEN, "/my/appointments/"), (Role.MONITOR, "/monitor/")])
def test_a_minted_session_opens_the_measured_page(app, db, make_user, role, page):
    """A staff session also carries its last request (staff sessions end when idle): without it the monitor's
    pages answered the bench with a redirect to the login form."""
    user = make_user(role)
    cookie, _ = signed_in(app, user.id)
    response = app.test_client(use_cookies=False).get(
        page, base_url=f"http://{HOST}", headers={"Cookie": f"session={cookie}", "User-Agent": USER_AGENT},
        environ_base={"REMOTE_ADDR": HOST})
    assert response.status_code == 200
