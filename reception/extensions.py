"""Flask extensions, created unbound and bound in create_app()."""
from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_address() -> str:
    """The client's address (behind RECEPTION_PROXY_COUNT proxies, the one they forwarded)."""
    return get_remote_address() or request.remote_addr or "unknown"


def user_or_address() -> str:
    """Rate-limit key: the signed-in user, else the client's address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "address:" + client_address()


# Limits are declared on the views; counters live in RECEPTION_RATELIMIT_STORAGE_URI (see reception.config).
limiter = Limiter(key_func=client_address, default_limits=[])
