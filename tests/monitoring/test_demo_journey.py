"""The monitor's questions, answered on the demo with clicks only (issue 12's test of done): which bodies did not
hold their planned receptions last month and why; what share of questions each body closed; which topics are
the problem in Aktobe Region; what was done about last month's alerts; and each body's results for the public."""
from __future__ import annotations

import re
from datetime import date
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from reception.accounts.models import User
from reception.cli import demo_history_data as data
from reception.cli.demo import DEMO_PASSWORD, load_demo_data
from reception.cli.demo_history import rising_topic
from reception.core.clock import local_today
from reception.directory.models import Topic
from reception.extensions import db as _db
from reception.outcomes.services import add_months
from tests.conftest import post_form


@pytest.fixture
def monitor(app, db):
    with app.test_request_context():  # left before the pages are opened: each request has its own
        load_demo_data(local_today())
        # The demo monitor reads Russian; this test reads the English labels.
        _db.session.execute(update(User).where(User.email == "monitor@demo.kz").values(language="en"))
        _db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert post_form(client, "/login", {"login": "monitor@demo.kz", "password": DEMO_PASSWORD}).status_code == 302
    return client


def _open(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _link(page: str, text: str) -> str:
    """The address of the link whose text contains ``text`` (what a person would click)."""
    for href, label in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        if text in unescape(re.sub(r"<[^>]+>", "", label)):
            return unescape(href)
    raise AssertionError(f"no link {text!r} on the page")


def test_the_monitor_finds_the_bodies_that_skipped_last_month_and_why(monitor):
    home = _open(monitor, "/home")
    bodies = _open(monitor, _link(home, "Every body's figures"))
    assert "Closed share" in bodies  # what share of questions each body closed, a column of the table
    sort = _link(bodies, "Not held")  # the column's heading: once for the fewest, again for the most
    if "dir=desc" not in sort:
        sort = _link(_open(monitor, sort), "Not held")
    assert "dir=desc" in sort
    worst_first = _open(monitor, sort)
    first_body = re.search(r'<th scope="row"><a href="([^"]+)">', worst_first).group(1)
    body_page = _open(monitor, unescape(first_body))
    reasons = (*data.CANCEL_REASONS, *data.NOT_HELD_REASONS, *data.BAD_MONTH_REASONS.values(),
               "Not marked held, nobody received")
    assert "Not held" in body_page and any(reason in body_page for reason in reasons)


def test_the_monitor_finds_the_problem_topics_of_aktobe_region(monitor):
    home = _open(monitor, "/home")
    address = _link(_open(monitor, _link(home, "Map of problematic issues")), "Aktobe Region")
    region = unescape(_open(monitor, address))
    assert "Questions by body and topic" in region
    # The map opens on the last full month; the demo's history makes the season's rising topic (heating in
    # the cold months, irrigation water in the warm ones) one of Aktobe Region's problems then, on any day.
    month = date.fromisoformat(parse_qs(urlsplit(address).query)["period"][0] + "-01")
    topic = _db.session.scalars(select(Topic).where(Topic.code == rising_topic(add_months(month, 1)))).one()
    table = region.split("Questions by body and topic", 1)[1].split("Topics without questions", 1)[0]
    assert (topic.parent or topic).name_en in table, table


def test_the_monitor_sees_what_was_done_about_last_months_alerts(monitor):
    attention = unescape(_open(monitor, _link(_open(monitor, "/home"), "Needs attention")))
    assert "Acted on in the previous period" in attention
    assert "Letter sent to the akim's office" in attention and "Extra reception hours agreed" in attention
    assert "flagged in this period" in attention  # whether each action worked


def test_the_public_sees_each_bodys_results_without_logging_in(app, monitor):
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    results = _open(visitor, _link(_open(visitor, "/"), "Results of citizens' receptions"))
    assert "Aktobe" in results and "@history.demo.kz" not in results
