"""Template filters and globals: local times, phones, languages, labels."""
from __future__ import annotations

from flask_login import current_user

from ..accounts.validation import format_phone
from ..core.clock import CAPITAL_TZ
from ..core.i18n import LANGUAGE_NAMES, LANGUAGES, current_language
from ..core.permissions import ROLE_LABELS, Permission, Role
from ..core.timeutil import format_local, format_local_time, zone_name
from ..directory.models import BODY_LEVEL_LABELS, VENUE_KIND_LABELS
from ..schedule.models import FORMAT_LABELS
from ..schedule.recurrence import describe_hours
from . import labels
from .nav import can_book, links_for


def register_template_helpers(app):
    app.jinja_env.filters["local_dt"] = format_local
    app.jinja_env.filters["local_time"] = format_local_time
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["field_label"] = labels.field_label
    app.jinja_env.filters["value_label"] = labels.value_label
    app.jinja_env.filters["outbox_status"] = labels.outbox_status_label
    app.jinja_env.filters["outbox_kind"] = labels.outbox_kind_label
    app.jinja_env.filters["channel"] = labels.channel_label
    app.jinja_env.filters["repeats"] = describe_hours
    app.jinja_env.filters["zone_words"] = zone_name
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        ROLE_LABELS=ROLE_LABELS,
        Permission=Permission,
        Role=Role,
        level_labels=BODY_LEVEL_LABELS,
        venue_kind_labels=VENUE_KIND_LABELS,
        attendance_format_labels=FORMAT_LABELS,
        CAPITAL_TZ=CAPITAL_TZ,
        header_links=lambda: links_for(current_user),
        can_book=lambda: can_book(current_user),
    )

    @app.context_processor
    def inject_user():
        return {"user": current_user}
