"""Staff pages in Kazakh and Russian show words, not raw codes: the audit record's field names, coded
values and page names, and the outbox's statuses, kinds and channels."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from reception.audit.models import AuditEvent
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.extensions import db as _db
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus

RAW_AUDIT = ["forwarded_part", "due_on", "original_due_on", "status", "screening", "scheduled", "cancelled",
             "day board", "page", "result", "decline_ground", "session", "in_person"]
RAW_OUTBOX = ["pending", "sending", "failed", "cancelled", "booking_confirmed", "password_reset", "email", "sms",
              "due_on"]


def visible_text(html: str) -> str:
    """The words a reader sees: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def assert_no_raw(html: str, codes: list[str]) -> None:
    text = visible_text(html)
    found = [c for c in codes if re.search(rf"(?<![\w/-]){re.escape(c)}(?![\w/-])", text)]
    assert not found, found


def add_event(**values) -> None:
    row = dict(at=datetime(2026, 3, 10, 5, 0, tzinfo=UTC), actor_id=None, actor_name=None, action="update",
               entity="appointment", entity_id=1, changes=None, ip=None, path=None)
    row.update(values)
    _db.session.execute(insert(AuditEvent.__table__), [row])


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_audit_page_shows_words_for_fields_values_and_pages(client, db, login_as, lang):
    add_event(changes='{"status": ["screening", "scheduled"], "format": ["in_person", "video"]}')
    add_event(entity="question", action="create", changes='{"result": "forwarded_part", "wording": "Дорога"}')
    add_event(entity="instruction",
              changes='{"due_on": ["2026-03-20", "2026-04-03"], "original_due_on": [null, "2026-03-20"]}')
    add_event(entity="session", entity_id=5, action="view", changes='{"page": "day board"}')
    add_event(entity="appointment", changes='{"status": ["scheduled", "cancelled"], "decline_ground": [null, "court"]}')
    db.session.commit()
    login_as(Role.ADMIN, language=lang)
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Дорога" in html and "2026-04-03" in html  # free text and dates are shown as they are
    assert_no_raw(html, RAW_AUDIT)


def test_the_audit_page_in_russian_names_the_fields_and_the_page(client, db, login_as):
    add_event(entity="instruction", changes='{"due_on": ["2026-03-20", "2026-04-03"]}')
    add_event(entity="session", entity_id=5, action="view", changes='{"page": "day board"}')
    db.session.commit()
    login_as(Role.ADMIN, language="ru")
    text = visible_text(client.get("/admin/audit/").get_data(as_text=True))
    assert "Срок исполнения" in text and "Приёмы на день" in text


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("status", list(OutboxStatus))
def test_the_outbox_pages_show_words_for_statuses_kinds_and_channels(client, db, login_as, lang, status):
    messages = [OutboxMessage(kind=kind, channel=channel, recipient="someone@example.kz", locale="ru",
                              status=status, subject="Тема", body_text="Текст", due_at=utcnow())
                for kind, channel in (("booking_confirmed", Channel.SMS), ("password_reset", Channel.EMAIL))]
    db.session.add_all(messages)
    db.session.commit()
    login_as(Role.ADMIN, language=lang)
    listing = client.get(f"/admin/outbox/?status={status.value}")
    assert listing.status_code == 200
    assert_no_raw(listing.get_data(as_text=True), RAW_OUTBOX)
    for message in messages:
        page = client.get(f"/admin/outbox/{message.id}")
        assert page.status_code == 200
        assert_no_raw(page.get_data(as_text=True), RAW_OUTBOX)


def test_every_entity_the_code_audits_has_a_label(app):  # the app: every model is imported
    """The audit page names each record's kind in words: every entity the code records (the audited models'
    ``__audit__`` and the names passed to the audit services) has a label (a ballot's "reception_session" once
    showed raw)."""
    from pathlib import Path

    from reception.audit.queries import ENTITY_LABELS, audited_entities

    root = Path(__file__).resolve().parents[2] / "reception"
    call = re.compile(r"\brecord_\w+\(\s*\"([a-z_]+)\"")
    recorded = {name for path in root.rglob("*.py") for name in call.findall(path.read_text())}
    assert "session" in recorded  # the pattern still finds the calls
    assert sorted(recorded - ENTITY_LABELS.keys()) == []
    assert sorted(name for name, _ in audited_entities() if name not in ENTITY_LABELS) == []
