"""Demo work for every role: the reception offices' responsible persons, requests waiting in the Presidential
reception office's screening queue, video receptions from the Aktobe akimat's studio today and this week, and
an integration client (the national appeals system) for the administrator's pages.

Part of ``flask demo load`` (:func:`reception.cli.demo.load_demo_data`), idempotent like the rest: a responsible
person is named only where nobody is; an applicant is made once (by e-mail); a request is sent once per applicant;
a studio booking is made when the applicant has no coming appointment with that minister (dates follow the app
clock, so a reload on a later day gives the studio operator a fresh week, and a booking whose time has passed
unattended is marked a no-show first). Adds and flushes; the caller commits.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User, UserRole
from ..accounts.passwords import hash_password
from ..accounts.validation import iin_check_digit, normalize_kz_mobile
from ..api.models import ApiClient
from ..api.scopes import INTEGRATION_SCOPES
from ..booking.lifecycle import Action, transition
from ..booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, new_talon_token
from ..booking.services import BookingData, SlotTaken, reserve
from ..booking.talon import talon_number
from ..core.permissions import Role
from ..core.timeutil import local_to_utc
from ..core.workdays import WorkCalendar
from ..directory.models import Body, Region, Topic, Venue, VenueKind
from ..extensions import db
from ..requests.services import submit_request
from ..schedule.models import AttendanceFormat, ReceptionSession, SessionKind, SessionStatus, Slot
from .demo_data import (
    AKTOBE_AKIMAT,
    APPLICANT_DOMAIN,
    APPLICANTS,
    PA_RECEPTION,
    PA_REQUESTS,
    RESPONSIBLE,
    RESPONSIBLE_POOL,
    RESPONSIBLE_POSITION,
    STUDIO_BOOKINGS,
)

STUDIO_SLOT_MINUTES = 30


def load_responsible_persons(bodies: dict[str, Body], office_codes: list[str]) -> None:
    """Name the responsible person of every demo reception office that has none (an administrator's choice
    stays): the talon names them, and publishing a session needs one."""
    for index, code in enumerate(office_codes):
        body = bodies[code]
        if body.has_responsible_person:
            continue
        person = RESPONSIBLE.get(code) or RESPONSIBLE_POOL[index % len(RESPONSIBLE_POOL)]
        body.responsible_surname, body.responsible_first_name = person.surname, person.first_name
        body.responsible_patronymic = person.patronymic
        (body.responsible_position_kk, body.responsible_position_ru,
         body.responsible_position_en) = RESPONSIBLE_POSITION


def _iin(born: str, male: bool, taken: set[str]) -> str:
    """A valid IIN for a person born in the 20th century on ``born`` (YYMMDD), not held by anyone yet."""
    for serial in range(1, 10_000):
        first11 = f"{born}{3 if male else 4}{serial:04d}"
        check = iin_check_digit(first11)
        if check is not None and first11 + str(check) not in taken:
            return first11 + str(check)
    raise RuntimeError(f"no free IIN for {born}")


def load_applicants(demo_password: str) -> dict[str, User]:
    """The citizens whose requests and bookings give the staff work, by key (made once, found by e-mail)."""
    emails = {f"{a.key}@{APPLICANT_DOMAIN}": a for a in APPLICANTS}
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(list(emails))))}
    missing = [a for email, a in emails.items() if email not in found]
    if missing:
        regions = {r.code: r for r in db.session.scalars(select(Region))}
        taken = set(db.session.scalars(select(User.iin).where(User.iin.is_not(None))))
        password_hash = hash_password(demo_password)
        for a in missing:
            iin = _iin(a.born, a.male, taken)
            taken.add(iin)
            user = User(email=f"{a.key}@{APPLICANT_DOMAIN}", full_name=a.full_name, language=a.language,
                        password_hash=password_hash, iin=iin, phone=normalize_kz_mobile(a.phone),
                        region=regions[a.region])
            user.role_rows = [UserRole(role=Role.CITIZEN)]
            db.session.add(user)
            found[user.email] = user
        db.session.flush()
    return {a.key: found[email] for email, a in emails.items()}


def load_pa_requests(bodies: dict[str, Body], applicants: dict[str, User], now: datetime) -> list[Appointment]:
    """Requests to the head of the Presidential reception office, waiting for its assistants' screening (one
    per applicant, sent once). Returns the requests sent now."""
    head = next((o for o in bodies[PA_RECEPTION["code"]].officials if o.is_head and o.is_active), None)
    if head is None:
        return []
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    sent = []
    for request in PA_REQUESTS:
        citizen = applicants[request.applicant]
        if db.session.scalar(select(Appointment.id).where(Appointment.citizen_id == citizen.id,
                                                          Appointment.official_id == head.id).limit(1)):
            continue
        data = BookingData(format=AttendanceFormat.IN_PERSON, topic_id=topics[request.topic].id,
                           summary=request.summary)
        sent.append(submit_request(citizen, head, data, None, now - timedelta(days=request.days_ago, hours=3),
                                   current_app.config, urgency=request.urgency))
    return sent


#: The studio operator's page shows today and the six days after it (reception.video.views.studio).
STUDIO_WEEK_DAYS = 7


def _week_day(calendar: WorkCalendar, today: date, n: int) -> date:
    """The n-th working day after today (today for n = 0), kept within the studio page's week: when fewer
    working days come in it (a week with the Nauryz holidays), the last of those (or today)."""
    day = today
    for offset in range(1, STUDIO_WEEK_DAYS):
        if n == 0:
            break
        if calendar.is_working_day(today + timedelta(days=offset)):
            day, n = today + timedelta(days=offset), n - 1
    return day


#: Today's studio reception starts no later than this (the capital's time), so it ends within office hours.
LAST_START_TODAY = time(17)
#: When today is over, today's studio reception moves to the next working day at this time.
MOVED_START = time(15)


def _studio_time(calendar: WorkCalendar, today: date, booking, now: datetime, tz: str) -> tuple[date, time]:
    """The day and the capital's time of a studio booking. Today's keeps its time while that is still ahead;
    later in the day it moves to the next half hour at least 30 minutes away, so the operator's home always
    shows a reception still to come today; after LAST_START_TODAY it goes to the next working day
    at MOVED_START."""
    start = time.fromisoformat(booking.start)
    day = _week_day(calendar, today, booking.day)
    if booking.day != 0 or local_to_utc(datetime.combine(day, start), tz) > now:
        return day, start
    soon = (now.astimezone(ZoneInfo(tz)) + timedelta(minutes=59)).replace(second=0, microsecond=0)
    soon = soon.replace(minute=0 if soon.minute < 30 else 30)
    if soon.date() != day or soon.time() > LAST_START_TODAY:
        return _week_day(calendar, today, 1), MOVED_START  # the studio's mornings are booked
    return day, soon.time()


def _session(official, venue: Venue, day: date, start_local: time) -> ReceptionSession:
    """The minister's one-off video reception on ``day`` at ``start_local`` (the capital's time), made once."""
    starts_at = local_to_utc(datetime.combine(day, start_local), venue.region.timezone)
    session = db.session.scalar(select(ReceptionSession).where(ReceptionSession.official_id == official.id,
                                                               ReceptionSession.starts_at == starts_at))
    if session is not None:
        return session
    step = timedelta(minutes=STUDIO_SLOT_MINUTES)
    session = ReceptionSession(official=official, venue=venue, kind=SessionKind.REGULAR, local_date=day,
                               starts_at=starts_at, ends_at=starts_at + 2 * step, allow_in_person=True,
                               allow_video_studio=True, opens_at=starts_at - timedelta(days=30),
                               closes_at=starts_at - timedelta(hours=24), status=SessionStatus.PLANNED,
                               slots=[Slot(starts_at=starts_at + i * step, ends_at=starts_at + (i + 1) * step)
                                      for i in range(2)])
    db.session.add(session)
    db.session.flush()
    return session


def load_studio_bookings(bodies: dict[str, Body], applicants: dict[str, User], today: date,
                         now: datetime) -> None:
    """Video receptions of ministers with citizens of Aktobe Region in the Aktobe akimat's studio: today and
    the next working days (see :data:`.demo_data.STUDIO_BOOKINGS`)."""
    akimat = bodies[AKTOBE_AKIMAT]
    studio = next((v for v in akimat.venues if v.kind is VenueKind.STUDIO and v.is_active), None)
    if studio is None:
        return
    calendar = WorkCalendar.from_config(current_app.config)
    for booking in STUDIO_BOOKINGS:
        ministry = bodies[booking.ministry]
        minister = next((o for o in ministry.officials if o.is_head and o.is_active), None)
        office = next((v for v in ministry.venues if v.kind is VenueKind.OFFICE and v.is_active), None)
        citizen = applicants[booking.applicant]
        if minister is None or office is None:
            continue
        active = db.session.scalar(select(Appointment).where(
            Appointment.citizen_id == citizen.id, Appointment.official_id == minister.id,
            Appointment.status.in_(ACTIVE_STATUSES)))
        if active is not None:
            if active.slot is None or active.slot.ends_at > now:
                continue  # still coming (or today): the week has it
            transition(active, Action.NO_SHOW, now, emit=False)  # a reload days later: that time passed unattended
        day, start = _studio_time(calendar, today, booking, now, office.region.timezone)
        session = _session(minister, office, day, start)
        taken = select(Appointment.slot_id).where(Appointment.slot_id.is_not(None),
                                                  Appointment.status.in_(ACTIVE_STATUSES))
        slot = db.session.scalar(select(Slot).where(Slot.session_id == session.id, Slot.id.not_in(taken))
                                 .order_by(Slot.starts_at).limit(1))
        if slot is None:
            continue
        accepted = min(now, slot.starts_at) - timedelta(days=2)
        appointment = Appointment(
            citizen=citizen, official=minister, session=session, slot=slot, format=AttendanceFormat.VIDEO_STUDIO,
            studio=studio, topic=ministry.topics[0] if ministry.topics else None, summary=booking.summary,
            status=AppointmentStatus.SCHEDULED, accepted_at=accepted,
            accepted_by_name=ministry.responsible_short_name, talon_token=new_talon_token(), created_at=accepted)
        db.session.add(appointment)
        db.session.flush()
        appointment.talon_number = talon_number(office.region.code, accepted, session.timezone, appointment.id)
        try:
            with db.session.begin_nested():
                reserve(appointment.id, citizen, slot, studio.id)
        except SlotTaken:  # the citizen or the studio is busy then (edited since): leave this one out
            db.session.delete(appointment)
        db.session.flush()



APPEALS_CLIENT = "e-Otinish (appeals system)"


def load_integration_client(now: datetime) -> None:
    """The national appeals system as an integration client with the integration scopes (no token: an
    administrator makes one on its page when a real system is to connect)."""
    if db.session.scalar(select(ApiClient.id).where(ApiClient.name == APPEALS_CLIENT)) is None:
        db.session.add(ApiClient(name=APPEALS_CLIENT, body_id=None, scopes=" ".join(INTEGRATION_SCOPES),
                                 created_at=now))
