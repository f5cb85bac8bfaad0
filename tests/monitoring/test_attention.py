"""Needs attention: each kind of alert, what monitors record about an item and how the next period shows
it, and the answer to a citizen's report of a refused booking."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.audit.models import AuditEvent
from reception.core.permissions import Role
from reception.monitoring import alerts
from reception.monitoring.definitions import month_of
from reception.monitoring.models import ActionKind, AlertKind, MonitoringAction
from reception.notifications.models import Channel, OutboxMessage
from reception.outcomes.models import AccessReport
from tests.conftest import as_sent
from tests.monitoring.factories import held_reception

FEBRUARY, MARCH = month_of(date(2024, 2, 1)), month_of(date(2024, 3, 1))
LATER = date(2024, 3, 20)


def item(page: str, anchor: str) -> str:
    """The text of one item of the list (its <li>), tags removed."""
    start = page.index(f'id="{anchor}"')
    chunk = page[start:page.index("</li>", page.index("</details>", start) if "<details" in page[start:start + 4000]
                                   else start)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", chunk)).split())


def test_each_kind_of_alert_is_found_in_the_hand_worked_history(ctx, history):
    page = alerts.needs_attention(FEBRUARY, LATER)
    a, b = history.a.id, history.b.id
    sections = page.sections
    # A cancelled S3 (business trip); nobody was received at B's S4 and it was never marked held.
    assert [(x.body_id, x.numbers["not_held"]) for x in sections[AlertKind.NOT_HELD]] == [(a, 1), (b, 1)]
    # B: a request, a waitlist join and a report of a refused booking, and no reception held.
    assert [(x.body_id, x.numbers["demand"], x.numbers["held"]) for x in sections[AlertKind.LOW_SUPPLY]] == [(b, 3, 0)]
    # B's i2 was due on 20 February and is still open (C's i4 was extended to 5 March).
    assert [(x.body_id, x.numbers["overdue"], x.numbers["oldest_due_on"])
            for x in sections[AlertKind.OVERDUE]] == [(b, 1, date(2024, 2, 20))]
    # X raised housing on 5 February and again on 12 February.
    assert [(x.citizen_id, x.topic_id, x.numbers["questions"], x.numbers["last_on"], x.numbers["body_ids"])
            for x in sections[AlertKind.REPEATED]] == [
        (history.citizens["X"].id, history.topics["housing"].id, 1, date(2024, 2, 12), (a,))]
    assert sections[AlertKind.RISING_TOPIC] == []  # nothing in January to rise from, and fewer than 3
    assert [r.body_id for r in page.reports] == [b]


def test_a_topic_rising_month_over_month_is_flagged(ctx, db, make_body, make_official, make_venue, make_user):
    body = make_body()
    official, venue = make_official(body=body), make_venue(body=body)
    may, june = month_of(date(2025, 5, 1)), month_of(date(2025, 6, 1))
    receptions = {"land": (2, 3), "housing": (3, 3), "ecology": (0, 2), "transport": (0, 3), "social": (2, 4)}
    for code, (before, now) in receptions.items():
        for day, count in ((may.start, before), (june.start, now)):
            for n in range(count):
                held_reception(db, official, venue, make_user(Role.CITIZEN), day.replace(day=2 + n), code)
    rising = alerts.needs_attention(june, date(2025, 7, 15)).sections[AlertKind.RISING_TOPIC]
    topics = {t.code: t.id for t in alerts.queries.top_topics()}
    # 3 >= 1.5 x 2 (land), 3 from none (transport), 4 >= 1.5 x 2 (social); not 3 after 3, nor 2 after none.
    assert {(x.topic_id, x.numbers["questions"], x.numbers["before"]) for x in rising} == {
        (topics["land"], 3, 2), (topics["transport"], 3, 0), (topics["social"], 4, 2)}
    assert rising[0].topic_id == topics["transport"]  # the largest rise first


@pytest.fixture
def monitor(login_as):
    return login_as(Role.MONITOR)


def test_an_action_recorded_in_february_is_shown_next_month_with_whether_the_alert_is_still_there(
        client, submit, db, monitor, history):
    b = history.b.id
    r = submit("/monitor/attention?period=2024-02",
               {"kind": "overdue", "key": f"b{b}", "action": "letter", "note": "Letter 12-3/45 to the akim"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/monitor/attention?period=2024-02#item-overdue-b{b}")
    submit("/monitor/attention?period=2024-02", {"kind": "not_held", "key": f"b{b}", "action": "note",
                                                  "note": "Asked the akimat why S4 was not held"})
    rows = db.session.scalars(select(MonitoringAction).order_by(MonitoringAction.id)).all()
    assert [(x.alert_kind, x.item_key, x.action, x.period_start, x.period_end, x.body_id, x.actor_id)
            for x in rows] == [
        (AlertKind.OVERDUE, f"b{b}", ActionKind.LETTER, FEBRUARY.start, FEBRUARY.end, b, monitor.id),
        (AlertKind.NOT_HELD, f"b{b}", ActionKind.NOTE, FEBRUARY.start, FEBRUARY.end, b, monitor.id)]
    audited = db.session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.entity == "monitoring_action", AuditEvent.id > db.audit_floor)).all()
    assert sorted(audited) == [x.id for x in rows]

    february = client.get("/monitor/attention?period=2024-02").get_data(as_text=True)
    assert "Letter sent to the body" in item(february, f"item-overdue-b{b}")

    march = client.get("/monitor/attention?period=2024-03").get_data(as_text=True)
    # i2 is still open in March: B is flagged again, with February's letter.
    overdue = item(march, f"item-overdue-b{b}")
    assert "Last action: Letter sent to the body" in overdue and "Letter 12-3/45 to the akim" in overdue
    assert "raised in the period February 1, 2024 – February 29, 2024" in overdue
    # The previous period's actions: did they work?
    assert "Still flagged in this period" in item(march, f"item-overdue-b{b}-before")
    not_held = item(march, f"item-not_held-b{b}-before")
    assert "No longer flagged in this period" in not_held and "Asked the akimat why S4 was not held" in not_held
    assert f'id="item-not_held-b{b}"' not in march  # B held nothing and planned nothing in March


@pytest.mark.parametrize("data,message", [
    ({"action": ""}, "This field is required."),
    ({"action": "note", "note": "  "}, "Write the note."),
    ({"action": "answered"}, "Not a valid choice"),
    ({"action": "letter", "note": "x" * 2001}, "Too long: at most 2000 characters."),
])
def test_an_incomplete_action_is_refused_with_its_message(client, submit, db, monitor, history, data, message):
    key = f"b{history.b.id}"
    r = submit("/monitor/attention?period=2024-02", {"kind": "overdue", "key": key, **data})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert message in item(text, f"item-overdue-{key}")
    assert '<details open>' in text[text.index(f'id="item-overdue-{key}"'):]
    assert db.session.scalars(select(MonitoringAction)).all() == []


@pytest.mark.parametrize("kind,key", [("overdue", "b999999"), ("rising_topic", "b1-t1"), ("overdue", "x; drop"),
                                      ("access_report", "r1"), ("happiness", "b1")])
def test_an_action_on_an_item_not_on_the_list_is_refused(client, submit, db, monitor, history, kind, key):
    r = submit("/monitor/attention?period=2024-02", {"kind": kind, "key": key, "action": "resolved"})
    assert r.status_code == 422
    assert db.session.scalars(select(MonitoringAction)).all() == []


def test_an_action_without_the_forms_token_is_refused(client, monitor, history, db):
    r = client.post("/monitor/attention?period=2024-02",
                    data={"kind": "overdue", "key": f"b{history.b.id}", "action": "resolved"})
    assert r.status_code == 400
    assert db.session.scalars(select(MonitoringAction)).all() == []


def _report(db) -> AccessReport:
    return db.session.scalars(select(AccessReport)).one()


@pytest.mark.parametrize("lang,subject,greeting", [
    ("ru", "Ответ на ваше сообщение об органе «{body}»", "Здравствуйте, Citizen W!"),
    ("kk", "«{body}» туралы хабарламаңызға жауап", "Сәлеметсіз бе, Citizen W!"),
    ("en", "Your report about {body}: the answer", "Hello, Citizen W!"),
])
def test_answering_a_citizens_report_writes_one_message_in_the_citizens_language(client, submit, db, monitor,
                                                                               history, lang, subject, greeting):
    citizen = history.citizens["W"]
    citizen.language, citizen.notify_by = lang, NotifyBy.EMAIL
    db.session.commit()
    report = _report(db)
    url = f"/monitor/attention/reports/{report.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Citizen W" in page and "refused" in page
    r = submit(url, {"text": "We wrote to the akim of the district; call 109 if it happens again.", "seen": "0"})
    assert r.status_code == 302
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "access_report_answered")).all()
    assert len(messages) == 1
    message = as_sent(messages[0])
    assert (message.user_id, message.channel, message.locale, message.recipient) == (
        citizen.id, Channel.EMAIL, lang, citizen.email)
    assert message.subject == subject.format(body=getattr(history.b, f"name_{lang}"))  # the body's name in kk/ru/en
    assert message.body_text.startswith(greeting)
    assert "We wrote to the akim of the district; call 109 if it happens again." in message.body_text
    assert report.text == "refused" and "refused" in message.body_text  # the citizen's words, quoted back
    assert "http://reception.test/reception/" in message.body_text
    db.session.refresh(report)
    assert report.reviewed_at is not None and report.reviewed_by_id == monitor.id
    answer = db.session.scalars(select(MonitoringAction)).one()
    assert (answer.alert_kind, answer.action, answer.report_id, answer.citizen_id, answer.period_start) == (
        AlertKind.ACCESS_REPORT, ActionKind.ANSWERED, report.id, citizen.id, date(2024, 2, 1))
    # The list of the period says it was answered; the report's page shows the answer.
    assert "Answered on" in client.get("/monitor/attention?period=2024-02").get_data(as_text=True)
    assert "call 109 if it happens again" in client.get(url).get_data(as_text=True)


def test_a_second_answer_sent_from_a_stale_page_is_refused(client, submit, db, monitor, history):
    report = _report(db)
    url = f"/monitor/attention/reports/{report.id}"
    assert submit(url, {"text": "First answer", "seen": "0"}).status_code == 302
    r = submit(url, {"text": "Second answer from an old page", "seen": "0"})
    assert r.status_code == 409
    assert "Another monitor has answered this report meanwhile" in r.get_data(as_text=True)
    # One who saw the first answer may send another.
    assert submit(url, {"text": "A follow-up", "seen": "1"}).status_code == 302
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "access_report_answered")).all()) == 2


def test_an_sms_citizen_gets_the_answer_by_sms(client, submit, db, monitor, history):
    citizen = history.citizens["W"]
    citizen.language, citizen.notify_by, citizen.phone = "ru", NotifyBy.SMS, "+77011234567"
    db.session.commit()
    report = _report(db)
    assert submit(f"/monitor/attention/reports/{report.id}", {"text": "Ответ " * 200, "seen": "0"}).status_code == 302
    message = as_sent(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "access_report_answered")).one())
    assert message.channel is Channel.SMS and message.recipient == "+77011234567"
    assert message.body_text.startswith(f"Ответ на ваше сообщение об органе «{history.b.name_ru}»:")
    assert len(message.body_text) < 700  # the first 600 characters of a long answer


@pytest.mark.parametrize("data,status", [({"text": "  ", "seen": "0"}, 422), ({"text": "Fine", "seen": "x"}, 422),
                                         ({"text": "x" * 4001, "seen": "0"}, 422)])
def test_an_empty_or_damaged_answer_is_refused(client, submit, db, monitor, history, data, status):
    report = _report(db)
    r = submit(f"/monitor/attention/reports/{report.id}", data)
    assert r.status_code == status
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "access_report_answered")).all() == []
    db.session.refresh(report)
    assert report.reviewed_at is None


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.ASSISTANT, Role.OFFICIAL, Role.AGENCY_REP])
def test_only_monitors_see_the_list_and_answer_citizens(client, login_as, db, history, role):
    login_as(role, **({"body": history.b} if role is not Role.CITIZEN else {}))
    report = _report(db)
    assert client.get("/monitor/attention?period=2024-02").status_code == 403
    assert client.get(f"/monitor/attention/reports/{report.id}").status_code == 403
    assert client.post(f"/monitor/attention/reports/{report.id}", data={"text": "x", "seen": "0"}).status_code in (
        400, 403)  # no form token: refused either way


def test_the_attention_page_runs_as_many_statements_for_many_items_as_for_a_few(
        client, db, monitor, history, count_queries, make_body, make_official, make_venue, make_user):
    def count():
        db.session.commit()
        with count_queries() as queries:
            page = client.get("/monitor/attention?period=2024-02")
        assert page.status_code == 200
        return len(queries)

    few = count()
    for code in ("land", "ecology", "transport"):  # more bodies, citizens back on a topic, rising topics
        body = make_body()
        official, venue = make_official(body=body), make_venue(body=body)
        citizen = make_user(Role.CITIZEN)
        held_reception(db, official, venue, citizen, date(2024, 1, 10), code)
        for day in (5, 6, 7):
            held_reception(db, official, venue, citizen if day == 5 else make_user(Role.CITIZEN),
                           date(2024, 2, day), code)
    assert len(alerts.needs_attention(FEBRUARY, LATER).sections[AlertKind.RISING_TOPIC]) >= 3
    assert count() == few
