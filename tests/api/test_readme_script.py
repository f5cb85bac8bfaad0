"""The README's API script books a reception with curl and a token, from search to talon: run as written
(bash, curl, jq) against the app served on 127.0.0.1 (a real HTTP server in this process, on the test
database), with a citizen's token and free time in Aktobe region committed for it and deleted afterwards."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from reception.accounts.models import User, UserRole
from reception.api.models import ApiToken, IdempotentResponse
from reception.api.tokens import PREFIX, hash_secret
from reception.booking.models import Appointment, Reservation
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Venue, VenueKind
from reception.extensions import db as _db
from reception.extensions import limiter
from reception.notifications.models import OutboxMessage
from reception.schedule.models import ReceptionSession, Slot
from tests.booking.fixtures import new_session
from tests.conftest import _PASSWORD_HASH

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_script() -> str:
    text = README.read_text(encoding="utf-8")
    return re.search(r"<!-- api-script -->\n```sh\n(.*?)```", text, re.DOTALL).group(1)


@pytest.fixture
def aktobe_world(app):
    with app.app_context():
        engine = _db.engine
    secret = PREFIX + "readme-" + "y" * 30
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-15")).one()
        body = Body(code="readme-aktobe", level=BodyLevel.REGIONAL, region=region, name_kk="Ақтөбе",
                    name_ru="Актобе", name_en="Aktobe akimat")
        official = Official(body=body, full_name="README Official", position_kk="p", position_ru="p",
                            position_en="Akim")
        venue = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk="v", name_ru="v",
                      name_en="Front office", address_kk="a", address_ru="a", address_en="Abilkayir Khan 40")
        session = new_session(official, venue, slots=2, start=(utcnow() + timedelta(hours=30)).replace(
            minute=0, second=0, microsecond=0))
        citizen = User(email="readme-api@example.kz", full_name="README Citizen", password_hash=_PASSWORD_HASH,
                       language="en", region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
        s.add_all([body, official, venue, session, citizen])
        s.flush()
        s.add(ApiToken(user_id=citizen.id, name="readme", secret_hash=hash_secret(secret), hint=secret[:10],
                       scopes="appointments:read appointments:write", expires_at=utcnow() + timedelta(days=1),
                       created_at=utcnow()))
        s.commit()
        made = {"body": body.id, "official": official.id, "venue": venue.id, "session": session.id,
                "user": citizen.id}
    yield secret
    with engine.begin() as conn:
        appointments = select(Appointment.id).where(Appointment.citizen_id == made["user"])
        tokens = select(ApiToken.id).where(ApiToken.user_id == made["user"])
        conn.execute(delete(IdempotentResponse).where(IdempotentResponse.token_id.in_(tokens)))
        conn.execute(delete(ApiToken).where(ApiToken.user_id == made["user"]))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointments)))
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id == made["user"]))
        conn.execute(delete(Appointment).where(Appointment.citizen_id == made["user"]))
        conn.execute(delete(Slot).where(Slot.session_id == made["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == made["session"]))
        conn.execute(delete(Venue).where(Venue.id == made["venue"]))
        conn.execute(delete(Official).where(Official.id == made["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id == made["user"]))
        conn.execute(delete(User).where(User.id == made["user"]))
        conn.execute(delete(Body).where(Body.id == made["body"]))


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_the_readme_script_books_a_reception_from_search_to_talon(served, aktobe_world):
    limiter.reset()
    env = {**os.environ, "API": f"{served}/api/v1", "TOKEN": aktobe_world}
    env.pop("REGION", None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_script()], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, rest = done.stdout.split("\n", 1)
    assert first.startswith("Booking ") and "(Asia/Aqtobe) with README Official" in first
    talon = json.loads(rest)
    assert talon["status"] == "scheduled" and talon["timezone"] == "Asia/Aqtobe"
    assert talon["starts_at"].endswith("+05:00") and talon["talon"]["number"].startswith("KZ15")
