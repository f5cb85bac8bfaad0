"""Records as the API shows them (the schemas of reception.api.schemas). Times are given in the zone of the
place they happen, with their offset, and the zone is named next to them."""
from __future__ import annotations

from datetime import datetime

from ..booking import policy
from ..booking.talon import talon_verify_url
from ..core.timeutil import to_local
from ..schedule.models import formats_of
from ..schedule.policy import booking_state
from . import public_schemas, schemas


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


# --- the public resources of reception.api.public ------------------------------------------------

def venue(v) -> public_schemas.Venue:
    return public_schemas.Venue(id=v.id, kind=v.kind, names=names(v), addresses=names(v, "address"), floor=v.floor,
                                phone=v.phone, body_id=v.body_id, region=v.region.code, timezone=v.region.timezone)


def reception(s, now: datetime) -> public_schemas.Reception:
    """A published session as the public pages show it: who, where, when (local, zone named), booking state."""
    tz, official_, body_ = s.timezone, s.official, s.official.body
    return public_schemas.Reception(
        id=s.id, official_id=official_.id, official_name=official_.full_name, positions=names(official_, "position"),
        body_id=body_.id, body_names=names(body_), region=body_.region.code if body_.region else None,
        venue_id=s.venue_id, venue_names=names(s.venue), venue_addresses=names(s.venue, "address"),
        starts_at=local(s.starts_at, tz), ends_at=local(s.ends_at, tz), timezone=tz, status=s.status,
        booking=booking_state(s, now), booking_opens_at=local(s.opens_at, tz))


def unified_day_summary(row) -> public_schemas.UnifiedDaySummary:
    day = row.day
    return public_schemas.UnifiedDaySummary(id=day.id, date=day.local_date, levels=day.level_list,
                                            regions=[r.code for r in day.regions], note=day.note,
                                            published=row.published)


def unified_day(day, published: int, groups, now: datetime) -> public_schemas.UnifiedDay:
    receptions = [reception(s, now) for g in groups for b in g.bodies for o in b.officials for s in o.sessions]
    return public_schemas.UnifiedDay(id=day.id, date=day.local_date, levels=day.level_list,
                                     regions=[r.code for r in day.regions], note=day.note, published=published,
                                     receptions=receptions)


def visiting(v, sessions, now: datetime) -> public_schemas.VisitingReception:
    official_ = v.official
    return public_schemas.VisitingReception(
        id=v.id, official_id=official_.id, official_name=official_.full_name, positions=names(official_, "position"),
        body_id=official_.body_id, body_names=names(official_.body), region=v.region.code, region_names=names(v.region),
        venue_id=v.venue_id, venue_names=names(v.venue), venue_addresses=names(v.venue, "address"), note=v.note,
        sessions=[reception(s, now) for s in sessions])


def _shown(figure) -> public_schemas.Shown:
    return public_schemas.Shown(value=None if figure.hidden else figure.value, hidden=figure.hidden)


def body_result(b, figures, next_at: datetime | None) -> public_schemas.BodyResult:
    """A body's month as the public results page shows it (``figures``: reception.monitoring.disclosure's)."""
    return public_schemas.BodyResult(
        body_id=b.id, body_names=names(b), level=b.level, region=b.region.code if b.region else None,
        planned=figures.planned, held=figures.held, citizens=_shown(figures.citizens),
        questions=_shown(figures.questions),
        closed_share=public_schemas.ShownShare(value=None if figures.closed_share.hidden
                                               else figures.closed_share.value, hidden=figures.closed_share.hidden),
        in_progress=_shown(figures.in_progress), next_reception_at=local(next_at, b.timezone), timezone=b.timezone)
