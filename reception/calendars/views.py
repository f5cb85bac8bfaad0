"""Calendar feeds: the public .ics addresses and the owners' page to see and rotate them.

The feed's token is its only secret: it is never written to a log line here, and an unknown token
and one replaced by rotation get the same 404.
"""
from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from ..booking.queries import get_own_appointment
from ..booking.views import citizen_required
from ..core.clock import utcnow
from ..core.errors import Conflict
from ..core.forms import FlaskForm
from ..core.i18n import LANGUAGES, current_language
from ..core.permissions import Permission, require_any
from ..directory.queries import get
from ..extensions import db
from . import feeds
from .ics import appointment_download_ics, feed_ics, feed_target
from .models import CalendarFeed, FeedKind

bp = Blueprint("calendars", __name__)


@bp.app_template_global()
def body_calendar_url(body_id: int) -> str:
    """For the directory's body page: the body's public feed address in the page's language (the feed is
    made, and committed, the first time)."""
    return feeds.body_feed_address(body_id, current_language())

#: Who has feeds: officials and assistants (appointments) and studio operators; administrators have all.
FEED_OWNERS = (Permission.APPOINTMENT_VIEW, Permission.APPOINTMENT_VIEW_OWN, Permission.STUDIO_OPERATE,
               Permission.STUDIO_OPERATE_OWN)

KIND_HINTS = {
    FeedKind.OFFICIAL: _l("Reception hours and booked appointments with the citizens' names. Private: "
                          "share it only with those who keep the official's agenda."),
    FeedKind.STUDIO: _l("Video receptions booked in the studio, with the citizens' names. Private."),
    FeedKind.BODY: _l("The body's published reception hours, without any personal data. Public: it is "
                      "linked from the body's page in the directory."),
}

MSG_NO_FEED = _l("There is no calendar at this address. If it worked before, it has been replaced: "
                 "ask for the new address.")
MSG_ROTATED = _l("The address has been replaced: the old address no longer works. "
                 "Subscribe again with the new one.")


class RotateForm(FlaskForm):
    # The fingerprint of the address the user saw (see feeds.fingerprint).
    seen = HiddenField(validators=[DataRequired(), Length(max=64)])


def _no_store(response):
    """Pages that show secret addresses are kept out of shared and browser caches."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the feed itself (no login: the address is the key) --------------------------------------

@bp.get("/calendars/<token>.ics")
def feed(token: str):
    found = feeds.get_by_token(token)
    target = feed_target(found) if found is not None else None
    if target is None:
        # Unknown, replaced by rotation, or its official, studio or body is gone: all alike, and in
        # plain text (calendar programs show it; an HTML page would repeat the address).
        return Response(str(MSG_NO_FEED), status=404, content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
    lang = request.args.get("lang")
    chosen = lang in LANGUAGES
    with force_locale(lang) if chosen else nullcontext():
        text = feed_ics(found, utcnow(), target)
    response = Response(text, content_type="text/calendar; charset=utf-8")
    public = found.kind is FeedKind.BODY
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, max-age=300"
    response.headers["Content-Disposition"] = f'inline; filename="{found.kind.value}-{found.target_id}.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    if not public:
        response.headers["Referrer-Policy"] = "no-referrer"
    if not chosen:  # the language then comes from the request (see reception.core.i18n.select_locale)
        response.vary.update(("Accept-Language", "Cookie"))
    return response


# --- one appointment, for the citizen's own calendar ----------------------------------------------

@bp.get("/my/appointments/<int:appointment_id>/calendar.ics")
@citizen_required
def appointment_ics(appointment_id: int):
    """"Add to my calendar" on the talon: the appointment as an .ics file. The citizen's own appointments
    only (another citizen's is a 404, like an unknown one), and only while it holds its time."""
    appointment = get_own_appointment(current_user.id, appointment_id)
    if appointment is None or appointment.slot is None or not appointment.is_active:
        abort(404)
    response = Response(appointment_download_ics(appointment), content_type="text/calendar; charset=utf-8")
    name = appointment.talon_number or appointment.id
    response.headers["Content-Disposition"] = f'attachment; filename="reception-{name}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the owners' page -------------------------------------------------------------------------

def _card(owned: feeds.OwnedFeed, lang: str) -> dict:
    url = feeds.address(owned.feed, lang)
    return {"feed": owned.feed, "label": owned.label, "hint": KIND_HINTS[owned.feed.kind], "url": url,
            "webcal": feeds.webcal(url), "seen": feeds.fingerprint(owned.feed)}


def _feed_or_404(feed_id: int) -> CalendarFeed:
    feed = get(CalendarFeed, feed_id)
    if feed is None:
        abort(404)
    return feed


@bp.get("/staff/calendars/")
@require_any(*FEED_OWNERS)
def index():
    """The calendar feeds the user owns, each with its address and a button to replace it."""
    lang = current_language()
    cards = [_card(owned, lang) for owned in feeds.feeds_for(current_user)]
    db.session.commit()  # feeds are made on first need
    return _no_store(Response(render_template("calendars/index.html", cards=cards)))


@bp.route("/staff/calendars/<int:feed_id>/rotate", methods=["GET", "POST"])
@require_any(*FEED_OWNERS)
def rotate(feed_id: int):
    """GET: what replacing the address means, with the button; POST: replace it."""
    feed = _feed_or_404(feed_id)
    if not feeds.can_manage(current_user, feed):
        abort(403)
    target = feed_target(feed)
    form = RotateForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if form.seen.data != feeds.fingerprint(feed):
            raise Conflict(feeds.MSG_ALREADY_ROTATED)
        feeds.rotate(feed, utcnow())
        db.session.commit()
        flash(MSG_ROTATED, "success")
        return redirect(url_for("calendars.index"))
    card = None
    if target is not None:
        card = _card(feeds.OwnedFeed(feed=feed, label=feeds.feed_name(feed, target), target=target),
                     current_language())
    form.seen.data = feeds.fingerprint(feed)
    return _no_store(Response(render_template("calendars/rotate.html", feed=feed, card=card, form=form)))
