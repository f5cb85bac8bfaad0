"""One SMS code used twice at the same moment (a double tap, a replayed request): exactly one use succeeds, on
SQLite and PostgreSQL, decided by the guarded update of the code's row (reception.accounts.codes.use_code)."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts import codes, services
from reception.accounts.models import CodePurpose, NotifyBy, PhoneCode, User, UserRole
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Region
from reception.extensions import db
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

CODE = "424242"
_seq = itertools.count(1)
# PostgreSQL: both racers read the live code and try to spend it; the second UPDATE waits for the first's row
# lock and then finds used_at set. SQLite (one writer): the second racer's transaction waits for the write lock
# and then reads the code already spent.
USE = {"postgresql": statement(r"^UPDATE phone_codes SET used_at"),
       "sqlite": statement(r"\sFROM phone_codes\s+WHERE phone_codes\.user_id = ")}


@pytest.fixture
def coded_citizen(app):
    """Committed on the app's engine: a phone-only citizen with a live confirmation (or reset) code ``CODE``;
    deleted afterwards with its codes."""
    with app.app_context():
        engine = db.engine
        with Session(engine) as s:
            region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
            n = next(_seq)
            user = User(email=None, phone=f"+7701666{n:04d}", full_name=f"Code racer {n}", iin=None,
                        password_hash=_PASSWORD_HASH, language="en", region_id=region.id, notify_by=NotifyBy.SMS,
                        role_rows=[UserRole(role=Role.CITIZEN)])
            s.add(user)
            s.flush()
            now = utcnow()
            for purpose in CodePurpose:
                s.add(PhoneCode(user_id=user.id, purpose=purpose, phone=user.phone,
                                code_hash=codes._digest(user.id, purpose, CODE), created_at=now,
                                expires_at=now + timedelta(minutes=10)))
            s.commit()
            user_id = user.id
    yield user_id
    with engine.begin() as conn:
        conn.execute(delete(PhoneCode).where(PhoneCode.user_id == user_id))
        conn.execute(delete(UserRole).where(UserRole.user_id == user_id))
        conn.execute(delete(User).where(User.id == user_id))


def _race(app, jobs):
    outcomes = run_racers(app, jobs, USE, prepare=True, context=app.test_request_context)
    return [o if isinstance(o, BaseException) else "won" for o in outcomes]


def _read(app, user_id):
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            spent = db.session.scalars(select(PhoneCode.used_at).where(PhoneCode.user_id == user_id)).all()
            return user.phone_confirmed_at, user.password_hash, spent
        finally:
            db.session.remove()


def test_two_uses_of_one_confirmation_code_at_once_give_exactly_one_success(app, coded_citizen):
    def use():
        user = db.session.get(User, coded_citizen)
        return lambda: services.confirm_phone(user, CODE, utcnow())

    outcomes = _race(app, [use, use])
    assert outcomes.count("won") == 1, outcomes
    [lost] = [o for o in outcomes if o != "won"]
    assert isinstance(lost, codes.WrongCode)
    confirmed_at, _hash, _spent = _read(app, coded_citizen)
    assert confirmed_at is not None


def test_two_password_resets_with_one_code_at_once_give_exactly_one_new_password(app, coded_citizen):
    phone = _read_phone(app, coded_citizen)

    def reset(password):
        def prepare():
            return lambda: services.reset_password_with_code(phone, CODE, password, utcnow())
        return prepare

    before = _read(app, coded_citizen)[1]
    outcomes = _race(app, [reset("first new secret"), reset("second new secret")])
    assert outcomes.count("won") == 1, outcomes
    assert all(isinstance(o, codes.WrongCode) for o in outcomes if o != "won")
    assert _read(app, coded_citizen)[1] != before


def _read_phone(app, user_id) -> str:
    with app.app_context():
        try:
            return db.session.get(User, user_id).phone
        finally:
            db.session.remove()
