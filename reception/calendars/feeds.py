"""Calendar feeds: one per official, studio or body, made on first need; who owns which; rotation.

Owners (who sees a feed's address and may rotate it):

* an official: their own agenda (the Official record linked to their account);
* a reception assistant: their body's public feed, the agenda of each active official of their body
  and each active studio of their body;
* a studio operator: the active studios of their body;
* an administrator: may rotate any feed (their page lists only what they own by the rules above).

A feed whose official, studio or body is gone or inactive is listed to nobody and answers 404.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..core.errors import Conflict
from ..core.permissions import Role
from ..core.web import absolute_url
from ..directory.models import Body, Official, Venue, VenueKind
from ..extensions import db
from .ics import feed_name, feed_target
from .models import CalendarFeed, FeedKind, new_token

MSG_ALREADY_ROTATED = _l("This address was replaced meanwhile. Reload the page to see the current one.")

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class OwnedFeed:
    feed: CalendarFeed
    label: str
    target: object  # the Official, studio Venue or Body


def find_feed(kind: FeedKind, target_id: int) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.kind == kind,
                                                        CalendarFeed.target_id == target_id))


def get_by_token(token: str) -> CalendarFeed | None:
    """The feed at this address; None for an unknown token and for one replaced by rotation alike."""
    if not _TOKEN_RE.fullmatch(token or ""):  # what new_token() makes: URL-safe base64, never a NUL byte
        return None
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))


def _get_or_create(kind: FeedKind, target_id: int) -> tuple[CalendarFeed, bool]:
    kind = FeedKind(kind)
    feed = find_feed(kind, target_id)
    if feed is not None:
        return feed, False
    try:
        with db.session.begin_nested():
            feed = CalendarFeed(kind=kind, target_id=target_id, token=new_token())
            db.session.add(feed)
    except IntegrityError:
        feed = find_feed(kind, target_id)
        if feed is None:  # not the (kind, target_id) race: e.g. a token collision; never expected
            raise
        return feed, False
    return feed, True


def get_or_create_feed(kind: FeedKind, target_id: int) -> CalendarFeed:
    """The feed of ``kind`` for ``target_id``, made if there is none yet; flushed, the caller commits.

    Two requests making the same feed at once: the unique (kind, target_id) refuses the second
    insert inside its savepoint, and the second request reads the first one's row.
    """
    return _get_or_create(kind, target_id)[0]


def body_feed_address(body_id: int, lang: str | None = None) -> str:
    """The public feed address of a body, for its directory page; makes the feed (and commits) the first time."""
    feed, created = _get_or_create(FeedKind.BODY, body_id)
    if created:
        db.session.commit()
    return address(feed, lang)


def address(feed: CalendarFeed, lang: str | None = None) -> str:
    """The full subscribable address (https or http, as BASE_URL), in ``lang`` when given."""
    values = {"lang": lang} if lang else {}
    return absolute_url("calendars.feed", token=feed.token, **values)


def webcal(url: str) -> str:
    """The same address as webcal://, which calendar programs open to subscribe."""
    return "webcal://" + url.split("://", 1)[-1]


def fingerprint(feed: CalendarFeed) -> str:
    """Names the feed's current address without repeating it: a rotation form carries it, so a form
    from before another rotation does not replace the address again."""
    return hashlib.sha256(feed.token.encode()).hexdigest()[:16]


def rotate(feed: CalendarFeed, now: datetime) -> CalendarFeed:
    """A new address for the feed; the old one answers 404 from now on. The caller commits.

    Only the address the caller knows is replaced: if another rotation got there first (two
    owners at once), Conflict, and the address that one handed out keeps working.
    """
    changed = db.session.execute(
        update(CalendarFeed).where(CalendarFeed.id == feed.id, CalendarFeed.token == feed.token)
        .values(token=new_token(), rotated_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(feed)
    if changed != 1:
        raise Conflict(MSG_ALREADY_ROTATED)
    return feed


# --- ownership ------------------------------------------------------------------------------

def _own_official(user) -> Official | None:
    return db.session.scalar(select(Official).where(Official.user_id == user.id, Official.is_active))


def _assists(user) -> bool:
    return user.has_role(Role.ASSISTANT) and user.body_id is not None


def _operates_studios(user) -> bool:
    return (user.has_role(Role.ASSISTANT) or user.has_role(Role.STUDIO_OPERATOR)) and user.body_id is not None


def _owned_targets(user) -> list[tuple[FeedKind, object]]:
    targets: list[tuple[FeedKind, object]] = []
    own = _own_official(user)
    if own is not None:
        targets.append((FeedKind.OFFICIAL, own))
    if _assists(user):
        body = db.session.get(Body, user.body_id)
        if body is not None and body.is_active:
            targets.append((FeedKind.BODY, body))
        officials = db.session.scalars(select(Official).where(Official.body_id == user.body_id, Official.is_active)
                                       .order_by(Official.is_head.desc(), Official.full_name, Official.id))
        targets += [(FeedKind.OFFICIAL, o) for o in officials if own is None or o.id != own.id]
    if _operates_studios(user):
        studios = db.session.scalars(select(Venue).where(Venue.body_id == user.body_id, Venue.is_active,
                                                         Venue.kind == VenueKind.STUDIO).order_by(Venue.id))
        targets += [(FeedKind.STUDIO, s) for s in studios]
    return targets


def feeds_for(user) -> list[OwnedFeed]:
    """The feeds ``user`` owns, each with its label, made on first need (the caller commits)."""
    result = []
    for kind, target in _owned_targets(user):
        feed = get_or_create_feed(kind, target.id)
        result.append(OwnedFeed(feed=feed, label=feed_name(feed, target), target=target))
    return result


def can_manage(user, feed: CalendarFeed) -> bool:
    """Whether ``user`` may see the feed's address and rotate it: an administrator, or an owner."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_role(Role.ADMIN):
        return True
    target = feed_target(feed)
    if target is None:
        return False
    if feed.kind is FeedKind.OFFICIAL:
        return target.user_id == user.id or (_assists(user) and target.body_id == user.body_id)
    if feed.kind is FeedKind.STUDIO:
        return _operates_studios(user) and target.body_id == user.body_id
    return _assists(user) and target.id == user.body_id
