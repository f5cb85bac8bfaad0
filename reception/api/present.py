"""Records as the API shows them (the schemas of reception.api.schemas). Times are given in the zone of the
place they happen, with their offset, and the zone is named next to them."""
from __future__ import annotations

from datetime import datetime

from ..booking import policy
from ..booking.talon import talon_verify_url
from ..core.timeutil import to_local
from ..schedule.models import formats_of
from . import schemas


def local(value: datetime | None, tz_name: str) -> datetime | None:
    """``value`` (UTC) in ``tz_name``: serialised as ISO 8601 with that zone's offset."""
    return to_local(value, tz_name) if value is not None else None


def names(record, attr: str = "name") -> schemas.Names:
    return schemas.Names(kk=getattr(record, f"{attr}_kk"), ru=getattr(record, f"{attr}_ru"),
                         en=getattr(record, f"{attr}_en"))


def region(r) -> schemas.Region:
    return schemas.Region(code=r.code, names=names(r), timezone=r.timezone)


def topic(t) -> schemas.Topic:
    return schemas.Topic(id=t.id, code=t.code, parent_id=t.parent_id, names=names(t))


def body(b) -> schemas.Body:
    return schemas.Body(id=b.id, code=b.code, level=b.level, region=b.region.code if b.region else None,
                        parent_id=b.parent_id, names=names(b), timezone=b.timezone,
                        topic_ids=[t.id for t in b.topics])


def official(o) -> schemas.Official:
    return schemas.Official(id=o.id, full_name=o.full_name, positions=names(o, "position"), body_id=o.body_id,
                            is_head=o.is_head)


def slot(s) -> schemas.Slot:
    session = s.session
    tz = session.timezone
    return schemas.Slot(id=s.id, starts_at=local(s.starts_at, tz), ends_at=local(s.ends_at, tz), timezone=tz,
                        official_id=session.official_id, official_name=session.official.full_name,
                        body_id=session.official.body_id, region=session.venue.region.code,
                        formats=sorted(formats_of(session)))


def appointment(a, user, now: datetime) -> schemas.Appointment:
    session, slot_ = a.session, a.slot
    tz = session.timezone if session is not None else None
    talon = None
    if a.talon_number and a.accepted_at is not None:
        talon = schemas.Talon(number=a.talon_number, accepted_at=local(a.accepted_at, tz or "UTC"),
                              accepted_by=a.accepted_by_name or "", verify_url=talon_verify_url(a))
    venue = f"{session.venue.name}, {session.venue.address}" if session is not None else None
    return schemas.Appointment(
        id=a.id, status=a.status, format=a.format, official_id=a.official_id, official_name=a.official.full_name,
        body_id=a.official.body_id, topic_id=a.topic_id, summary=a.summary,
        starts_at=local(slot_.starts_at, tz) if slot_ is not None else None,
        ends_at=local(slot_.ends_at, tz) if slot_ is not None else None, timezone=tz, venue=venue,
        studio_id=a.studio_id, talon=talon, can_cancel=policy.can_cancel(user, a, now))
