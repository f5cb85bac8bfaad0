"""The schedule's recurrence for people: the weekday picker builds the RRULE, lists say the hours in words in
Kazakh, Russian and English (the day inflected by the catalog), and a stored rule shows again in the form."""
from __future__ import annotations

import re
from datetime import time

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from reception.core.permissions import Role
from reception.schedule import services
from reception.schedule.forms import ScheduleForm
from reception.schedule.recurrence import build_weekly_rule, describe_hours, describe_rule, weekdays_of
from reception.schedule.rules import expand_dates

from .conftest import text


def test_the_picker_builds_a_weekly_rule_in_week_order():
    assert build_weekly_rule(["FR"]) == "FREQ=WEEKLY;BYDAY=FR"
    assert build_weekly_rule(["WE", "MO"]) == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert build_weekly_rule(["SU", "SA", "MO"]) == "FREQ=WEEKLY;BYDAY=MO,SA,SU"


@pytest.mark.parametrize("days", [[], ["XX"], ["MO", "1MO"], ["mo"]])
def test_the_picker_refuses_no_day_or_a_code_that_is_not_a_weekday(days):
    with pytest.raises(ValueError):
        build_weekly_rule(days)


def test_a_built_rule_recurs_on_the_ticked_days_only():
    from datetime import date

    dates = expand_dates(build_weekly_rule(["MO", "WE"]), date(2027, 3, 1), None, date(2027, 3, 1), date(2027, 3, 14))
    assert [d.isoformat() for d in dates] == ["2027-03-01", "2027-03-03", "2027-03-08", "2027-03-10"]


@pytest.mark.parametrize("rule,days", [
    ("FREQ=WEEKLY;BYDAY=FR", ("FR",)), ("rrule:freq=weekly;byday=we,mo", ("MO", "WE")),
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;WKST=MO", ("TU",)),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", None), ("FREQ=MONTHLY;BYDAY=1MO", None), ("FREQ=DAILY", None),
    ("FREQ=WEEKLY;BYDAY=MO;COUNT=5", None), ("nonsense", None), ("", None),
])
def test_only_plain_weekly_rules_are_expressed_by_the_picker(rule, days):
    assert weekdays_of(rule) == days


HOURS = [
    ("FREQ=WEEKLY;BYDAY=FR", "en", "every Friday, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=FR", "ru", "каждую пятницу, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=FR", "kk", "әр жұма сайын, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=WE", "ru", "каждую среду, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO", "ru", "каждый понедельник, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=SU", "ru", "каждое воскресенье, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,WE", "en", "every Monday and Wednesday, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,WE", "ru", "по понедельникам и средам, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,WE", "kk", "дүйсенбі және сәрсенбі күндері, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=TU,TH,FR", "ru", "по вторникам, четвергам и пятницам, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "en", "every working day, Monday to Friday, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "ru", "по будням, с понедельника по пятницу, 15:00–18:00"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "kk", "жұмыс күндері, дүйсенбіден жұмаға дейін, 15:00–18:00"),
]


@pytest.mark.parametrize("rule,language,expected", HOURS)
def test_hours_are_described_in_words_in_each_language(app, rule, language, expected):
    with app.test_request_context(), force_locale(language):
        assert describe_hours(rule, time(15), time(18)) == expected


@pytest.mark.parametrize("language,expected", [
    ("en", "every month: Monday, number 1 in the month"),
    ("ru", "каждый месяц: понедельник, № 1 в месяце"),
    ("kk", "ай сайын: дүйсенбі, айдағы № 1"),
])
def test_a_rule_the_picker_cannot_express_is_still_said_in_words(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert describe_rule("FREQ=MONTHLY;BYDAY=1MO") == expected
        assert "FREQ" not in describe_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
        assert "FREQ" not in describe_rule("FREQ=MONTHLY;BYMONTHDAY=1,15")


def _ticked(html: str) -> set[str]:
    """The weekdays ticked in a rendered form."""
    return set(re.findall(r'<input checked[^>]*name="weekdays"[^>]*value="(\w\w)"', html))


def _form(app, data=None) -> ScheduleForm:
    form = ScheduleForm(formdata=MultiDict(data or {}), meta={"csrf": False})
    return form


def test_the_form_shows_a_stored_weekly_rule_as_ticked_days_and_builds_it_back(app):
    with app.test_request_context():
        form = _form(app)
        form.show_rule("FREQ=WEEKLY;BYDAY=WE,MO")
        assert form.weekdays.data == ["MO", "WE"] and not form.rrule.data
        assert _ticked(str(form.weekdays)) == {"MO", "WE"}
        assert form.rrule_text() == "FREQ=WEEKLY;BYDAY=MO,WE"


def test_the_form_keeps_a_rule_the_picker_cannot_express_and_says_it_in_words(app):
    with app.test_request_context(), force_locale("en"):
        form = _form(app)
        form.show_rule("FREQ=MONTHLY;BYDAY=1MO")
        assert form.weekdays.data == [] and form.rrule.data == "FREQ=MONTHLY;BYDAY=1MO"
        assert form.kept_rule_in_words() == "every month: Monday, number 1 in the month"
        assert form.rrule_text() == "FREQ=MONTHLY;BYDAY=1MO"  # kept when the staff member ticks nothing
        form.weekdays.data = ["TH"]
        assert form.rrule_text() == "FREQ=WEEKLY;BYDAY=TH"  # ticked days replace it


def test_a_refused_form_shows_the_days_ticked_again(client, submit, login_as, place):
    from .test_pages import FORM

    _, official, venue = place
    login_as(Role.ASSISTANT, body=place[0])
    r = submit("/staff/schedule/new", {**FORM, "weekdays": ["MO", "FR"], "slot_minutes": "0",
                                       "official_id": official.id, "venue_id": venue.id})
    assert r.status_code == 422
    assert _ticked(r.get_data(as_text=True)) == {"MO", "FR"}


def test_the_schedules_list_says_the_hours_in_words(client, login_as, place, make_user, schedule_data, db):
    services.create_schedule(make_user(Role.ADMIN), schedule_data(rrule="FREQ=WEEKLY;BYDAY=MO,WE"))
    db.session.commit()
    login_as(Role.ASSISTANT, body=place[0], language="ru")
    page = text(client.get("/staff/schedule/"))
    assert "по понедельникам и средам" in page and "FREQ=" not in page


def test_no_day_and_no_rule_is_a_clear_422(submit, login_as, place):
    from .test_pages import FORM

    _, official, venue = place
    login_as(Role.ASSISTANT, body=place[0])
    r = submit("/staff/schedule/new", {**FORM, "weekdays": [], "official_id": official.id, "venue_id": venue.id})
    assert r.status_code == 422
    assert "Choose at least one day of the week." in text(r)
