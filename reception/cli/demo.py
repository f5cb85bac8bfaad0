"""Demo data for ``flask demo load``: bodies, officials, venues and studios, one account per role.

The data itself is in :mod:`.demo_data`. Loading is idempotent by lookup: bodies by
code, officials by (body, full name), venues by (body, Russian name), accounts by
e-mail. A row that already exists is left exactly as it is, because an administrator
may have edited it since (renamed a body, changed competences, reset a password);
only missing rows are created. Running the load again therefore creates nothing and
changes nothing, and the demo passwords of existing accounts are not reset.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User, UserRole
from ..accounts.passwords import hash_password
from ..accounts.validation import normalize_kz_mobile, normalize_phone
from ..core.clock import utcnow
from ..core.permissions import Role
from ..core.workdays import WorkCalendar
from ..directory.models import (
    Body,
    BodyLevel,
    Official,
    Region,
    RegionKind,
    Topic,
    Venue,
    VenueKind,
)
from ..extensions import db
from ..schedule.models import AttendanceFormat, BookingMode, Schedule, UnifiedDay, VisitingReception
from ..schedule.services import generate_sessions
from ..schedule.unified import UnifiedDayData, announce_unified_day
from ..schedule.visiting import VisitingData, announce_visiting
from . import demo_work
from .demo_data import (
    ACCOUNTS,
    AKIMATS,
    AKTOBE_AKIMAT,
    CITIZEN,
    DEPUTIES,
    DISTRICTS,
    LEGAL_CHAMBER,
    LOCAL_TOPICS,
    MINISTRIES,
    OFFICE_CAPACITY,
    OFFICE_FLOOR,
    OFFICE_NAME,
    PA_RECEPTION,
    STUDIO_CAPACITY,
    STUDIO_NAME,
    Akimat,
    Text,
)
from .demo_history import load_history, load_monitoring_actions
from .demo_systemic import load_systemic_issue

DEMO_PASSWORD = "demo-password-2026"

# Weekly reception hours of the heads, by the level of their body: (RRULE, start, end, slot minutes,
# video from an akimat studio offered, booking mode). The Presidential reception office takes requests.
_HOURS = {
    BodyLevel.PRESIDENTIAL: ("FREQ=WEEKLY;BYDAY=TU,TH", time(10), time(13), 20, True, BookingMode.REQUEST),
    BodyLevel.CENTRAL: ("FREQ=WEEKLY;BYDAY=WE", time(15), time(18), 30, True, BookingMode.SELF),
    BodyLevel.REGIONAL: ("FREQ=WEEKLY;BYDAY=FR", time(10), time(13), 20, False, BookingMode.SELF),
    BodyLevel.CITY: ("FREQ=WEEKLY;BYDAY=FR", time(10), time(13), 20, False, BookingMode.SELF),
    BodyLevel.DISTRICT: ("FREQ=WEEKLY;BYDAY=MO", time(15), time(17), 20, False, BookingMode.SELF),
}

_CAPITAL = "KZ-71"  # where central bodies' venues are


def load_demo_data(today: date, *, history: bool = True) -> list[tuple[str, str]]:
    """Create whatever demo rows are missing; returns (role, e-mail) of every demo account.

    Every head of a body with a reception office gets weekly reception hours, and the
    sessions of the next weeks are generated from ``today`` (also idempotent: a date
    that has its session is left alone). Every reception office names its responsible
    person; the staff get work (:mod:`.demo_work`): requests waiting in the Presidential
    reception office's queue, video receptions in the Aktobe studio today and this week.
    With ``history``, the year before ``today`` is generated once (:mod:`.demo_history`).
    Adds and flushes, never commits (the caller does). Expects the regions and topics of
    ``load_reference_data()`` to be present.
    """
    loader = _Loader()
    loader.load_bodies()
    db.session.flush()
    demo_work.load_responsible_persons(loader.bodies, loader.offices)
    loader.load_officials()
    loader.load_venues()
    db.session.flush()
    accounts = loader.load_accounts()
    db.session.flush()
    loader.load_schedules(today)
    db.session.flush()
    loader.load_events(today)
    db.session.flush()
    loader.load_receptions(today)
    db.session.flush()
    applicants = demo_work.load_applicants(DEMO_PASSWORD)
    demo_work.load_pa_requests(loader.bodies, applicants, utcnow())
    demo_work.load_studio_bookings(loader.bodies, applicants, today, utcnow())
    db.session.flush()
    loader.load_draw()
    db.session.flush()
    if history:
        load_history(today, loader.bodies, DEMO_PASSWORD)
        load_monitoring_actions(today)
    load_systemic_issue(utcnow())  # after the receptions it links (the history's too)
    demo_work.load_integration_client(utcnow())
    return accounts


def _next_working(calendar: WorkCalendar, start: date, weekday: int) -> date:
    """The first working day on ``weekday`` (Monday 0) from ``start``."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    while not calendar.is_working_day(day):
        day += timedelta(days=7)
    return day


DRAW_AKIMAT = "akimat-kz-75"  # Almaty city: one of its akim's receptions is booked by a draw


def akimat_code(region_code: str) -> str:
    return "akimat-" + region_code.lower()


def _names(prefix: str, text: Text) -> dict[str, str]:
    return {f"{prefix}_{lang}": value for lang, value in zip(("kk", "ru", "en"), text, strict=True)}


def _akimat_name(akimat: Akimat, region: Region) -> Text:
    if region.kind is RegionKind.CITY:
        return f"{region.name_kk} қаласының әкімдігі", akimat.name_ru, f"Akimat of {region.name_en}"
    oblys = region.name_kk.removesuffix(" облысы")
    return f"{oblys} облысының әкімдігі", akimat.name_ru, f"Akimat of {region.name_en}"


def _akim_position(akimat_name: Text) -> Text:
    """"Акимат Актюбинской области" -> "Аким Актюбинской области", likewise in kk and en."""
    kk, ru, en = akimat_name
    return (kk.removesuffix("әкімдігі") + "әкімі", ru.replace("Акимат", "Аким", 1), en.replace("Akimat", "Akim", 1))


def _akimat_address(akimat: Akimat, region: Region) -> Text:
    kk, ru, en = akimat.street
    return (f"{region.centre_kk} қ., {kk}, {akimat.house}",
            f"г. {region.centre_ru}, {ru}, {akimat.house}",
            f"{akimat.house} {en}, {region.centre_en}")


class _Loader:
    def __init__(self):
        self.regions = {r.code: r for r in db.session.scalars(select(Region))}
        self.topics = {t.code: t for t in db.session.scalars(select(Topic))}
        self.existing_bodies = {b.code: b for b in db.session.scalars(select(Body))}
        self.bodies: dict[str, Body] = {}  # the demo bodies by code, found or created
        # (body code, full name, position, is head) in creation order
        self.people: list[tuple[str, str, Text, bool]] = []
        self.studios: set[str] = set()  # codes of bodies that get a studio
        self.offices: list[str] = []    # codes of bodies that get a reception office

    # --- bodies -------------------------------------------------------------------------

    def _body(self, code: str, level: BodyLevel, name: Text, address: Text, phone: str, *,
              region: str | None = None, parent: str | None = None, topics=()) -> Body:
        body = self.existing_bodies.get(code)
        if body is None:
            body = Body(code=code, level=level, **_names("name", name), **_names("address", address),
                        phone=normalize_phone(phone),
                        region=self.regions[region] if region else None,
                        parent=self.bodies[parent] if parent else None,
                        topics=[self.topics[t] for t in topics])
            db.session.add(body)
        self.bodies[code] = body
        return body

    def load_bodies(self) -> None:
        pa = PA_RECEPTION
        top_level = [code for code, topic in self.topics.items() if topic.parent_id is None]
        self._body(pa["code"], BodyLevel.PRESIDENTIAL, pa["name"], pa["address"], pa["phone"], topics=top_level)
        self.people.append((pa["code"], pa["head"], pa["head_position"], True))
        self.offices.append(pa["code"])

        for m in MINISTRIES:
            self._body(m.code, BodyLevel.CENTRAL, m.name, m.address, m.phone, topics=m.topics)
            self.people.append((m.code, m.head, m.minister, True))
            self.offices.append(m.code)

        for a in AKIMATS:
            region = self.regions[a.region]
            level = BodyLevel.CITY if region.kind is RegionKind.CITY else BodyLevel.REGIONAL
            code = akimat_code(a.region)
            name = _akimat_name(a, region)
            self._body(code, level, name, _akimat_address(a, region), a.phone, region=a.region, topics=LOCAL_TOPICS)
            self.people.append((code, a.head, _akim_position(name), True))
            self.offices.append(code)
            self.studios.add(code)

        for d in DISTRICTS:
            self._body(d.code, BodyLevel.DISTRICT, d.name, d.address, d.phone, region=d.region,
                       parent=akimat_code(d.region), topics=LOCAL_TOPICS)
            self.people.append((d.code, d.head, _akim_position(d.name), True))
            self.offices.append(d.code)

        for deputy in DEPUTIES:
            self.people.append((deputy.body, deputy.full_name, deputy.position, False))

        c = LEGAL_CHAMBER
        self._body(c["code"], BodyLevel.OTHER, c["name"], c["address"], c["phone"], region=c["region"])

    # --- officials and venues ---------------------------------------------------------------

    def load_officials(self) -> None:
        body_ids = [b.id for b in self.bodies.values()]
        existing = {(o.body_id, o.full_name)
                    for o in db.session.scalars(select(Official).where(Official.body_id.in_(body_ids)))}
        for code, full_name, position, is_head in self.people:
            body = self.bodies[code]
            if (body.id, full_name) in existing:
                continue
            db.session.add(Official(body=body, full_name=full_name, is_head=is_head, **_names("position", position)))

    def load_venues(self) -> None:
        body_ids = [b.id for b in self.bodies.values()]
        existing = {(v.body_id, v.name_ru)
                    for v in db.session.scalars(select(Venue).where(Venue.body_id.in_(body_ids)))}
        studio_phones = {akimat_code(a.region): (a.studio_phone, a.studio_floor) for a in AKIMATS}
        capital = self.regions[_CAPITAL]
        for code in self.offices:
            body = self.bodies[code]
            if (body.id, OFFICE_NAME[1]) not in existing:
                self._venue(body, VenueKind.OFFICE, OFFICE_NAME, OFFICE_FLOOR, body.phone, OFFICE_CAPACITY, capital)
            if code in self.studios and (body.id, STUDIO_NAME[1]) not in existing:
                phone, floor = studio_phones[code]
                self._venue(body, VenueKind.STUDIO, STUDIO_NAME, floor, normalize_phone(phone), STUDIO_CAPACITY,
                            capital)

    @staticmethod
    def _venue(body: Body, kind: VenueKind, name: Text, floor: str, phone: str | None, capacity: int,
               capital: Region) -> None:
        db.session.add(Venue(
            body=body, region_id=body.region_id or capital.id, kind=kind, **_names("name", name),
            address_kk=body.address_kk, address_ru=body.address_ru, address_en=body.address_en,
            floor=floor, phone=phone, capacity=capacity))

    # --- accounts ---------------------------------------------------------------------------

    def load_accounts(self) -> list[tuple[str, str]]:
        password_hash = None  # Argon2 is slow on purpose: hash once, and only if an account is missing
        result = []
        for account in ACCOUNTS:
            role = Role(account.role)
            result.append((role.value, account.email))
            if db.session.scalar(select(User.id).where(func.lower(User.email) == account.email)) is not None:
                continue
            if password_hash is None:
                password_hash = hash_password(DEMO_PASSWORD)
            body = self.bodies[account.body] if account.body else None
            user = User(email=account.email, full_name=account.full_name, language=account.language,
                        password_hash=password_hash, body=body)
            if role is Role.LEGAL_CONSULTANT:  # consultants take the cases of their region's queue
                user.region = self.regions[CITIZEN["region"]]
            if role is Role.CITIZEN:
                taken = db.session.scalar(select(User.id).where(User.iin == CITIZEN["iin"])) is not None
                user.iin = None if taken else CITIZEN["iin"]  # someone registered it for real: keep theirs
                user.phone = normalize_kz_mobile(CITIZEN["phone"])
                user.region = self.regions[CITIZEN["region"]]
                user.notify_visiting = True  # so `make run` shows the visiting-reception e-mail
            user.role_rows = [UserRole(role=role)]
            db.session.add(user)
            if role is Role.OFFICIAL:
                self._link_official(user, body)
        return result

    # --- a unified reception day and a visiting reception --------------------------------

    def load_events(self, today: date) -> None:
        """Once: a unified day for Aktobe Region's akimats (the regional akim's session published) and a
        visiting reception of the first minister in Aktobe, both a few weeks ahead."""
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.kz"))
        calendar = WorkCalendar.from_config(current_app.config)
        now = utcnow()
        if db.session.scalar(select(func.count()).select_from(UnifiedDay)) == 0:
            day = _next_working(calendar, today + timedelta(days=21), weekday=1)  # a Tuesday
            announcement = announce_unified_day(admin, UnifiedDayData(
                local_date=day, levels=[BodyLevel.REGIONAL, BodyLevel.DISTRICT],
                region_ids=[self.regions[CITIZEN["region"]].id], start_time=time(10), end_time=time(13),
                slot_minutes=20, note=None), now=now, calendar=calendar)
            akimat = self.bodies[akimat_code(CITIZEN["region"])]
            for session in announcement.created:
                session.is_published = session.official.body_id == akimat.id
        minister = next(o for o in self.bodies[MINISTRIES[0].code].officials if o.is_head)
        if db.session.scalar(select(VisitingReception.id).where(VisitingReception.official_id == minister.id)) is None:
            akimat = self.bodies[akimat_code(CITIZEN["region"])]
            hall = next(v for v in akimat.venues if v.kind is VenueKind.OFFICE)
            first = _next_working(calendar, today + timedelta(days=10), weekday=3)  # a Thursday
            second = _next_working(calendar, first + timedelta(days=7), weekday=3)
            announce_visiting(admin, VisitingData(
                official_id=minister.id, region_id=akimat.region_id, venue_id=hall.id, dates=[first, second],
                start_time=time(10), end_time=time(13), slot_minutes=30,
                formats=frozenset({AttendanceFormat.IN_PERSON})), now=now, calendar=calendar)

    # --- the citizen's receptions: one held with its follow-up, one coming up ------------------

    def load_receptions(self, today: date) -> None:
        """Once (while the demo citizen has no appointment): a reception with the Aktobe akim held on the
        last working day, its outcome with two questions (one forwarded with an instruction to the Alga
        district akimat, the demo agency representative's body; one explained), and a booking of the akim's
        next free time, with the bodies competent for its topic invited and the case in the legal
        consultants' queue."""
        from ..booking.models import Appointment, AppointmentStatus
        from ..booking.services import BookingData, book_slot
        from ..booking.talon import talon_number
        from ..core.errors import DomainError
        from ..core.timeutil import local_to_utc
        from ..legal.services import flag_for_review
        from ..outcomes.models import OutcomeResult
        from ..outcomes.services import NewInstruction, QuestionData, record_outcome
        from ..schedule.models import ReceptionSession, SessionKind, SessionStatus, Slot

        citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.kz"))
        assistant = db.session.scalar(select(User).where(User.email == "assistant@demo.kz"))
        if citizen is None or assistant is None or db.session.scalar(
                select(Appointment.id).where(Appointment.citizen_id == citizen.id).limit(1)) is not None:
            return
        akimat = self.bodies[AKTOBE_AKIMAT]
        district = self.bodies[f"{AKTOBE_AKIMAT}-alga"]
        akim = next(o for o in akimat.officials if o.is_head)
        office = next(v for v in akimat.venues if v.kind is VenueKind.OFFICE)
        topic = next((t for t in district.topics if t in akimat.topics), akimat.topics[0])
        calendar = WorkCalendar.from_config(current_app.config)
        now = utcnow()

        # Held on the last working day before today, 10:00 local time.
        day = today - timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
        start = local_to_utc(datetime.combine(day, time(10)), akimat.timezone)
        session = ReceptionSession(official=akim, venue=office, kind=SessionKind.REGULAR, local_date=day,
                                   starts_at=start, ends_at=start + timedelta(minutes=20), allow_in_person=True,
                                   opens_at=start - timedelta(days=30), closes_at=start - timedelta(hours=24),
                                   status=SessionStatus.HELD, status_changed_at=start + timedelta(minutes=20),
                                   slots=[Slot(starts_at=start, ends_at=start + timedelta(minutes=20))])
        db.session.add(session)
        db.session.flush()
        accepted = start - timedelta(days=7)
        held = Appointment(citizen=citizen, official=akim, session=session, slot=session.slots[0],
                           format=AttendanceFormat.IN_PERSON, topic=topic, status=AppointmentStatus.HELD,
                           summary="В нашем пятиэтажном доме на проспекте Абулхаир хана с октября нет отопления; "
                                   "районный акимат дважды ответил, что ремонт запланирован.",
                           accepted_at=accepted, accepted_by_name=assistant.full_name,
                           checked_in_at=start - timedelta(minutes=10), started_at=start,
                           finished_at=start + timedelta(minutes=15))
        db.session.add(held)
        db.session.flush()
        held.talon_number = talon_number(office.region.code, accepted, akimat.timezone, held.id)
        # Two questions: the heating, forwarded to the district akimat with an open instruction; the
        # heating charges for the months without heat, explained (the reception is "forwarded in part").
        record_outcome(assistant, held, [
            QuestionData(topic_id=topic.id, result=OutcomeResult.FORWARDED, body_id=district.id,
                         wording="С октября нет отопления в доме на проспекте Абулхаир хана.",
                         instructions=[NewInstruction(
                             body_id=district.id, responsible_name="Руководитель отдела ЖКХ",
                             text="Восстановить отопление в доме и сообщить заявителю о выполнении.",
                             appeal_type="complaint", due_on=None)]),
            QuestionData(topic_id=self.topics.get("housing.utilities", topic).id, result=OutcomeResult.EXPLAINED,
                         wording="Почему начисляется плата за отопление за месяцы без тепла?"),
        ], "Аким поручил акимату Алгинского района восстановить отопление и сообщить заявителю. Заявителю "
           "разъяснён порядок перерасчёта платы за отопление: заявление подаётся поставщику тепла с актом об "
           "отсутствии отопления.", None, now, current_app.config)

        # The akim's next time the booking rules allow, then the case goes to the legal consultants.
        slots = db.session.scalars(
            select(Slot).join(Slot.session).where(ReceptionSession.official_id == akim.id, Slot.starts_at > now,
                                                  ReceptionSession.status == SessionStatus.PLANNED,
                                                  ReceptionSession.is_published)
            .order_by(Slot.starts_at).limit(20))
        data = BookingData(format=AttendanceFormat.IN_PERSON, topic_id=topic.id,
                           summary="Отопление так и не восстановлено; районный акимат не отвечает "
                                   "на звонки.", appeal_numbers="ЖТ-Т-2026-0154871")
        for slot in slots:
            try:
                with db.session.begin_nested():
                    coming = book_slot(citizen, slot.id, data, None, now, current_app.config)
            except DomainError:
                continue
            flag_for_review(assistant, coming, "Соответствует ли ответ акимата срокам, "
                                               "установленным законом?", now)
            break

    def load_draw(self) -> None:
        """Once: a coming reception of the Almaty city akim booked by a draw whose applications close in two
        days, so that citizens can apply for it (and assistants see one)."""
        from ..booking import ballot
        from ..booking.models import ACTIVE_STATUSES, Appointment
        from ..schedule.models import ReceptionSession, SessionStatus

        akimat = self.bodies.get(DRAW_AKIMAT)
        head = next((o for o in akimat.officials if o.is_head), None) if akimat else None
        if head is None or db.session.scalar(select(ReceptionSession.id).where(
                ReceptionSession.ballot_closes_at.is_not(None)).limit(1)) is not None:
            return
        now = utcnow()
        booked = select(Appointment.session_id).where(Appointment.status.in_(ACTIVE_STATUSES),
                                                      Appointment.session_id.is_not(None))
        sessions = db.session.scalars(select(ReceptionSession).where(
            ReceptionSession.official_id == head.id, ReceptionSession.status == SessionStatus.PLANNED,
            ReceptionSession.is_published, ReceptionSession.opens_at <= now,
            ReceptionSession.closes_at > now + timedelta(days=3), ReceptionSession.id.not_in(booked))
            .order_by(ReceptionSession.starts_at.desc()).limit(1)).all()
        if sessions:
            ballot.open_ballot(sessions[0], 48, now)

    # --- reception hours ----------------------------------------------------------------------

    def load_schedules(self, today: date) -> None:
        for code in self.offices:
            body = self.bodies[code]
            head = next((o for o in body.officials if o.is_head and o.is_active), None)
            venue = next((v for v in body.venues if v.kind is VenueKind.OFFICE and v.is_active), None)
            if head is None or venue is None:
                continue
            rrule, start, end, minutes, video, mode = _HOURS[body.level]
            schedule = db.session.scalar(select(Schedule).where(Schedule.official_id == head.id).limit(1))
            if schedule is None:
                schedule = Schedule(official=head, venue=venue, rrule=rrule, starts_on=today, start_time=start,
                                    end_time=end, slot_minutes=minutes, allow_in_person=True,
                                    allow_video_studio=video, booking_mode=mode, opens_days_ahead=30,
                                    # Ministers also receive by video from home.
                                    allow_video_remote=body.level is BodyLevel.CENTRAL,
                                    closes_hours_before=24, is_active=True, topics=[])
                db.session.add(schedule)
                db.session.flush()
            generate_sessions(schedule, today, horizon_days=35)

    @staticmethod
    def _link_official(user: User, body: Body) -> None:
        """Tie a newly created official account to the head of its body, if nobody holds that row."""
        head = db.session.scalar(select(Official).where(Official.body_id == body.id,
                                                        Official.full_name == user.full_name))
        if head is not None and head.user_id is None:
            head.user = user
