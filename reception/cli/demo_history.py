"""A year of demo history for monitoring: past receptions held and skipped, the questions raised at them
with their results and instructions, and the demand behind them (requests, waitlists, refused bookings).

Generated once, by :func:`load_history`, from a fixed seed and relative to the clock's today, so a run
on a given day always gives the same shape: the twelve months before the current one and the current
month up to yesterday. The demo's heads of bodies receive on their schedules' days; most receptions are
held, some are cancelled in advance with a reason, some are marked not held and some were simply never
marked. A few bodies misbehave on purpose (``BEHAVIOUR``): two district akimats skip most of their
receptions (one of them while citizens queue and complain), a ministry skips a third, and two bodies let
the instructions given to them run late. One month is bad for everyone, and one topic rises over the
last two months (heating in the cold season, irrigation water in the warm one), on every day's map of the
demo citizen's region.

Rows are written with bulk Core inserts: no notification goes out for the past, and the audit hook
(which sees ORM flushes) records none of them; one audit event records the generation itself. Past
appointments hold no reservations: the overlap guarantee protects what is still to come. Citizens'
e-mail addresses end with ``@history.demo.kz``; while one exists, the history is not generated again.
"""
from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text

from ..accounts.models import User, UserRole
from ..accounts.passwords import hash_password
from ..accounts.validation import iin_check_digit
from ..audit.services import record_created
from ..booking.models import (
    Appointment,
    AppointmentStatus,
    DeclineGround,
    OfferStatus,
    RequestDecision,
    SlotOffer,
    WaitlistEntry,
    WaitlistStatus,
)
from ..booking.talon import talon_number
from ..core.clock import CAPITAL_TZ, utcnow
from ..core.permissions import Role
from ..core.workdays import WorkCalendar
from ..directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from ..extensions import db
from ..monitoring.alerts import needs_attention
from ..monitoring.definitions import last_full_month
from ..monitoring.models import ActionKind, AlertKind, MonitoringAction
from ..monitoring.services import record_action
from ..outcomes.models import (
    FORWARDED_RESULTS,
    AccessReport,
    AccessReportKind,
    CitizenContact,
    ContactChannel,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
    Rating,
    ReportVerdict,
)
from ..outcomes.services import add_months, default_due_on
from ..requests.rules import redirect_due_on
from ..schedule import rules
from ..schedule.models import (
    AttendanceFormat,
    BookingMode,
    ReceptionSession,
    Schedule,
    SessionKind,
    SessionStatus,
    Slot,
    UnifiedDay,
    VisitingReception,
    formats_of,
)
from . import demo_history_data as data
from .demo_data import CITIZEN

SEED = 20261204
DOMAIN = "history.demo.kz"
MONTHS = 12  # full months before the current one

LOCAL_LEVELS = (BodyLevel.REGIONAL, BodyLevel.CITY, BodyLevel.DISTRICT)


@dataclass(frozen=True)
class Behaviour:
    """How a body receives: the share of planned receptions it holds, citizens booked per reception on
    average, how many days ahead they book, the share of questions it forwards to competent bodies,
    and whether it lets the instructions given to it run late."""

    held: float = 0.94
    bookings: float = 0.3
    lead_days: tuple[int, int] = (2, 14)
    forwarded: float = 0.1
    late: bool = False


LEVEL_BEHAVIOUR = {
    BodyLevel.PRESIDENTIAL: Behaviour(held=0.97, bookings=0.0, forwarded=0.25),  # booked through requests
    BodyLevel.CENTRAL: Behaviour(held=0.92, lead_days=(3, 25)),                  # bookings: by topic, below
    BodyLevel.REGIONAL: Behaviour(held=0.95, bookings=0.4, lead_days=(3, 20), forwarded=0.12),
    BodyLevel.CITY: Behaviour(held=0.96, bookings=2.5, lead_days=(14, 29), forwarded=0.15),
    BodyLevel.DISTRICT: Behaviour(held=0.92, bookings=0.28),
}
#: The bodies that misbehave, by code: each alert of monitoring has a case.
BEHAVIOUR = {
    # A district akimat that holds under a third of its receptions while citizens queue for them.
    "akimat-kz-61-tole-bi": Behaviour(held=0.3, bookings=3.5, lead_days=(20, 29)),
    # A district akimat whose akim is away more often than not.
    "akimat-kz-35-osakarovka": Behaviour(held=0.35, bookings=0.5),
    # A minister who skips a third of the receptions (trips to the regions).
    "min-agriculture": Behaviour(held=0.6, bookings=0.3, lead_days=(3, 25)),
    # Bodies that let the instructions given to them run late.
    "akimat-kz-75-medeu": Behaviour(bookings=0.4, late=True),
    "min-industry": Behaviour(held=0.92, bookings=0.45, lead_days=(3, 25), late=True),
}
#: Citizens queueing for a body's time who never got one (besides those of the full city akimats who
#: waited and then booked), and citizens' reports of being refused or finding no time.
WAITLIST = {"akimat-kz-61-tole-bi": 32, "akimat-kz-35-osakarovka": 8, "akimat-kz-71": 12, "akimat-kz-75": 15,
            "akimat-kz-79": 10}
ACCESS_REPORTS = {"akimat-kz-61-tole-bi": 14, "akimat-kz-35-osakarovka": 6, "min-agriculture": 3}
OTHER_ACCESS_REPORTS = 10
REQUESTS_PER_DAY = 0.5   # to the request-mode official (the Presidential reception office)
RISING_BOOKINGS = 0.35   # extra bookings per reception about the rising topic, in its two months
#: The demo citizen's region, where the monitor's journey opens the map: each regular reception of its local bodies
#: in the last full month gets at least one booking about the rising topic, so the map shows the season's problem
#: there whatever the day (left to chance, one day's history gave the region one question in the whole month).
HOME_REGION = CITIZEN["region"]
REPEAT_VISIT = 0.25      # share of bookings by a citizen who came before about the same, unsettled question
UNIFIED_DAY_BOOKINGS = 3.0
SKIP_MONTH = -6          # months from the current one: the month when many receptions were skipped
UNIFIED_MONTH = -4       # a unified reception day of the local executive bodies
VISITS = (("pa-reception", "KZ-31", -8, 2), ("min-health", "KZ-61", -3, 1))  # (body, region, month, dates)
NEVER_PUBLISHED = ("akimat-kz-61-tole-bi", "akimat-kz-35-osakarovka")  # their unified-day sessions
#: The body whose akim held none of the month before last's receptions while citizens queued for them: the
#: "demand without receptions" alert the demo monitor acted on, whatever the random draws of the other months.
ABSENT = ("akimat-kz-35-osakarovka", -2, 3)  # (body, month from the current one, waitlist joins in it)
_SEASON = ("winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer", "autumn", "autumn",
           "autumn", "winter")


@dataclass
class HistoryCounts:
    """What :func:`load_history` wrote, by kind."""

    citizens: int = 0
    staff: int = 0
    sessions: int = 0
    slots: int = 0
    appointments: int = 0
    requests: int = 0
    outcomes: int = 0
    questions: int = 0
    instructions: int = 0
    reports: int = 0
    contacts: int = 0
    ratings: int = 0
    waitlist: int = 0
    access_reports: int = 0


def history_exists() -> bool:
    return db.session.scalar(select(User.id).where(User.email.like(f"%@{DOMAIN}")).limit(1)) is not None


def load_history(today: date, bodies: dict[str, Body], password: str) -> HistoryCounts | None:
    """Generate the past year of receptions of the heads of ``bodies`` (the demo's, by code), once.

    Expects the bodies' schedules, venues and demo accounts to exist (the demo loader's earlier steps).
    Writes citizens (with ``password``, hashed once, or the demo citizen's hash), an agency
    representative for each body that reported on an instruction and has none, sessions with slots, appointments
    and requests, outcomes with questions, instructions with reports and contacts, ratings, waitlist
    entries and access reports, all dated before the clock's now, and one audit event; moves the
    schedules' first day back to the start of the history. Returns the counts, or None when the
    history exists already. Adds and flushes, never commits.
    """
    if history_exists():
        return None
    generator = _History(today, utcnow(), bodies)
    generator.generate()
    password_hash = db.session.scalar(select(User.password_hash).where(User.email == "citizen@demo.kz"))
    counts = generator.write(password_hash or hash_password(password))
    record_created("demo_history", None, {"seed": SEED, "since": generator.start, "until": generator.yesterday,
                                          **counts.__dict__})
    db.session.flush()
    _analyze()
    return counts


#: The tables the year fills in bulk, and monitoring reads right after (the demo monitor's actions).
_BULK_TABLES = ("users", "reception_sessions", "slots", "appointments", "outcomes", "questions", "instructions",
                "waitlist_entries", "access_reports")


def _analyze() -> None:
    """PostgreSQL: update the planner's statistics of what was just inserted (the transaction's own rows count).
    Without it the monitoring queries that follow in the same transaction are planned from whatever autovacuum
    last saw, possibly empty tables: nested loops over thousands of rows ran for over twenty minutes."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {', '.join(_BULK_TABLES)}"))


# --- the year, planned in memory ---------------------------------------------------------------------

@dataclass(eq=False)
class _Receiver:
    """A head of a body who receives citizens on a schedule."""

    official: Official
    body: Body
    schedule: Schedule
    venue: Venue
    behaviour: Behaviour
    topics: dict[str, float]  # topic code -> weight, over the body's competences


@dataclass(eq=False)
class _Citizen:
    index: int
    region: str
    language: str
    row: dict
    days: list[date] = field(default_factory=list)  # when they had a reception or sent a request
    id: int | None = None


@dataclass(eq=False)
class _Session:
    receiver: _Receiver
    venue: Venue
    day: date
    kind: SessionKind
    formats: frozenset[AttendanceFormat]
    booking_mode: BookingMode
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime
    slots: list[tuple[datetime, datetime]]
    created_at: datetime
    schedule_id: int | None = None
    unified: bool = False
    visiting: int | None = None          # index of its visiting reception
    restricted_region: str | None = None
    fate: str = "held"  # held, held_unmarked, cancelled, not_held, unmarked (never marked), unpublished
    status: SessionStatus = SessionStatus.PLANNED
    reason: str | None = None
    changed_at: datetime | None = None
    taken: set[int] = field(default_factory=set)
    booked: list[_Appointment] = field(default_factory=list)
    id: int | None = None
    slot_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class _Appointment:
    citizen: _Citizen
    receiver: _Receiver
    topic: str
    wording: str
    row: dict
    session: _Session | None = None
    slot: int | None = None
    offer: dict | None = None
    outcome: dict | None = None
    questions: list[dict] = field(default_factory=list)
    rating: dict | None = None
    id: int | None = None


@dataclass(eq=False)
class _Instruction:
    question: dict
    row: dict
    reports: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def rising_topic(today: date) -> str:
    """The topic whose questions rise over the last two months: heating in the cold season, irrigation water
    in the warm one."""
    return "agriculture" if today.month in range(5, 11) else "housing.utilities"


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _parent(code: str) -> str:
    return code.split(".")[0]


def _at(day: date, hour: float, tz: str) -> datetime:
    """The UTC moment of ``hour`` (fractional) local time on ``day`` in ``tz``."""
    return (datetime.combine(day, time()) + timedelta(hours=hour)).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


class _History:
    def __init__(self, today: date, now: datetime, bodies: dict[str, Body]):
        self.rng = random.Random(SEED)
        self.today, self.now = today, now
        self.yesterday = today - timedelta(days=1)
        first = _month_index(today) - MONTHS
        self.start = date(first // 12, first % 12 + 1, 1)
        self.config = current_app.config
        self.calendar = WorkCalendar.from_config(self.config)
        self.warn_days = int(self.config.get("FOLLOWUP_WARN_DAYS") or 0)
        self.bodies = {code: bodies[code] for code in sorted(bodies)}
        self.regions = {r.code: r for r in db.session.scalars(select(Region))}
        self.region_codes = {r.id: r.code for r in self.regions.values()}
        self.topic_ids = {t.code: t.id for t in db.session.scalars(select(Topic))}
        weights = {code: people * data.OVER_REPRESENTED.get(code, 1.0)
                   for code, people in data.POPULATION.items() if code in self.regions}
        self.region_list, self.region_weights = list(weights), list(weights.values())
        mean = sum(weights.values()) / len(weights)
        self.region_weight = {code: weight / mean for code, weight in weights.items()}  # 1.0: an average region
        self.rising = rising_topic(today)

        self.receivers = self._receivers()
        self.by_code = {r.body.code: r for r in self.receivers}
        self.ministries = [r for r in self.receivers if r.body.level is BodyLevel.CENTRAL]
        self.akimats = {b.region.code: b for b in self.bodies.values()
                        if b.level in (BodyLevel.REGIONAL, BodyLevel.CITY) and b.region is not None}
        self.studios = {self.region_codes[v.region_id]: v.id for v in db.session.scalars(
            select(Venue).where(Venue.kind == VenueKind.STUDIO, Venue.is_active,
                                Venue.body_id.in_([b.id for b in self.akimats.values()])).order_by(Venue.id))}
        self.assistants = self._staff(Role.ASSISTANT)
        self.reps = self._staff(Role.AGENCY_REP)
        self.admin_id = db.session.scalar(select(User.id).where(User.email == "admin@demo.kz"))
        self.monitor_id = db.session.scalar(select(User.id).where(User.email == "monitor@demo.kz"))
        self.busy = self._busy()
        self.taken_iins = set(db.session.scalars(select(User.iin).where(User.iin.is_not(None))))
        self.citizens: list[_Citizen] = []
        self.by_region: dict[str, list[_Citizen]] = defaultdict(list)
        # Unsettled questions citizens may come back about: (day, citizen, topic), by region and all (None).
        self.issues: dict[str | None, list[tuple[date, _Citizen, str]]] = defaultdict(list)
        self.active: set[tuple[int, int]] = set()  # (citizen index, official id) holding an active appointment
        self.waiting: set[tuple[int, int]] = set()  # (citizen index, official id) waiting in line
        self.sessions: list[_Session] = []
        self.request_sessions: list[_Session] = []
        self.appointments: list[_Appointment] = []
        self.instructions: list[_Instruction] = []
        self.new_reps: dict[int, dict] = {}  # body id -> the representative account to create
        self.unified_day: dict | None = None
        self.visits: list[dict] = []
        self.waitlist: list[tuple[_Citizen, dict]] = []
        self.access: list[tuple[_Citizen, dict]] = []
        self.topic_cache: dict[tuple[str, int], tuple[list[str], list[float]]] = {}

    # --- what exists ------------------------------------------------------------------------------

    def _receivers(self) -> list[_Receiver]:
        """The active heads of the demo bodies with an active schedule, by body code."""
        rows = db.session.execute(
            select(Schedule, Official).join(Official, Schedule.official_id == Official.id)
            .where(Official.body_id.in_([b.id for b in self.bodies.values()]), Official.is_head,
                   Official.is_active, Schedule.is_active)
            .order_by(Schedule.id)).all()
        receivers, seen = [], set()
        for schedule, official in rows:
            if official.id in seen:
                continue
            seen.add(official.id)
            body = official.body
            competences = {t.code for t in body.topics}
            topics: dict[str, float] = defaultdict(float)
            for code, weight in data.TOPIC_WEIGHTS.items():
                if code in competences:
                    topics[code] += weight
                elif _parent(code) in competences:  # e.g. the Presidential office has the top-level topics
                    topics[_parent(code)] += weight
            if not topics:
                continue
            behaviour = BEHAVIOUR.get(body.code) or LEVEL_BEHAVIOUR.get(body.level, Behaviour())
            if body.code not in BEHAVIOUR and body.level is BodyLevel.CENTRAL:
                # A ministry is asked about as much as its topics are.
                behaviour = replace(behaviour, bookings=0.1 + 1.2 * sum(topics.values()))
            elif body.code not in BEHAVIOUR and body.level in (BodyLevel.REGIONAL, BodyLevel.DISTRICT):
                # A local akimat as much as its region is populous (and as its people come to receptions).
                share = self.region_weight.get(body.region.code, 1.0) if body.region else 1.0
                behaviour = replace(behaviour, bookings=behaviour.bookings * min(max(share, 0.35), 3.0))
            receivers.append(_Receiver(official, body, schedule, schedule.venue, behaviour, dict(topics)))
        return sorted(receivers, key=lambda r: r.body.code)

    def _staff(self, role: Role) -> dict[int, User]:
        """The first active staff member with ``role`` of each body."""
        found: dict[int, User] = {}
        for user in db.session.scalars(select(User).join(UserRole).where(
                UserRole.role == role, User.is_active, User.body_id.is_not(None)).order_by(User.id)):
            found.setdefault(user.body_id, user)
        return found

    def _busy(self) -> set[tuple[int, date]]:
        """(official, local date) that have a session already, e.g. the demo's own reception held on the last
        working day: the history leaves those days alone."""
        since = datetime.combine(self.start - timedelta(days=1), time(), tzinfo=UTC)
        return set(db.session.execute(select(ReceptionSession.official_id, ReceptionSession.local_date).where(
            ReceptionSession.official_id.in_([r.official.id for r in self.receivers]),
            ReceptionSession.starts_at >= since)).all())

    # --- small rules ------------------------------------------------------------------------------

    def _past(self, moment: datetime) -> datetime:
        """``moment``, or a minute before now if it would be later: nothing in the history is to come."""
        return min(moment, self.now - timedelta(minutes=1))

    def _topic(self, receiver: _Receiver, day: date) -> str:
        """A topic the body is asked about, in the month of ``day`` (the rising topic rises at the end)."""
        offset = max(_month_index(day) - _month_index(self.today), -2)
        key = (receiver.body.code, offset)
        choices = self.topic_cache.get(key)
        if choices is None:
            weights = dict(receiver.topics)
            rising = self.rising if self.rising in weights else _parent(self.rising)
            if rising in weights and offset >= -1:
                leaf = data.TOPIC_WEIGHTS[self.rising]
                weights[rising] += max(leaf * (2.5 if offset == -1 else 3.0), 0.10 if offset == -1 else 0.12) - leaf
            choices = self.topic_cache[key] = (list(weights), list(weights.values()))
        return self.rng.choices(*choices)[0]

    def _wording(self, topic: str, day: date, language: str) -> str:
        rising = topic == self.rising and _month_index(day) >= _month_index(self.today) - 1
        variants = data.WORDINGS[topic]
        season = {"housing.utilities": (10, 11, 12, 1, 2, 3, 4), "agriculture": (4, 5, 6, 7, 8, 9)}.get(topic, ())
        if day.month in season and (rising or self.rng.random() < 0.6):
            variants = data.WORDINGS[f"{topic}/{'winter' if topic == 'housing.utilities' else 'summer'}"]
        ru, kk = self.rng.choice(variants)
        return kk if language == "kk" else ru

    def _any_region(self) -> str:
        return self.rng.choices(self.region_list, self.region_weights)[0]

    # --- citizens -----------------------------------------------------------------------------------

    def _iin(self, born: date, male: bool) -> str:
        century = (3 if born.year < 2000 else 5) + (0 if male else 1)
        while True:
            first11 = f"{born:%y%m%d}{century}{self.rng.randrange(10000):04d}"
            check = iin_check_digit(first11)
            if check is not None and first11 + str(check) not in self.taken_iins:
                self.taken_iins.add(first11 + str(check))
                return first11 + str(check)

    def _name(self, region: str, male: bool) -> tuple[str, str, str, bool]:
        """(surname, given name, patronymic, Russian) of a person from ``region``."""
        rng = self.rng
        if rng.random() < data.RUSSIAN_NAMES.get(region, 0.1):
            surname = rng.choice(data.RU_SURNAMES + data.RU_NEUTRAL_SURNAMES)
            if not male and surname in data.RU_SURNAMES:
                surname += "а"
            return (surname, rng.choice(data.RU_MALE if male else data.RU_FEMALE),
                    rng.choice(data.RU_PATRONYMICS)[0 if male else 1], True)
        return (rng.choice(data.KZ_SURNAMES) + ("" if male else "а"),
                rng.choice(data.KZ_MALE if male else data.KZ_FEMALE),
                rng.choice(data.KZ_FATHERS) + ("ұлы" if male else "қызы"), False)

    def _new_citizen(self, region: str, first_seen: datetime) -> _Citizen:
        rng = self.rng
        male = rng.random() < 0.47
        surname, given, patronymic, russian = self._name(region, male)
        language = "ru" if russian or rng.random() < 0.45 else "kk"
        age = rng.choices((rng.randint(18, 34), rng.randint(35, 59), rng.randint(60, 82)), (3, 5, 3))[0]
        born = date(self.today.year - age, 1, 1) + timedelta(days=rng.randrange(365))
        index = len(self.citizens)
        row = dict(
            iin=self._iin(born, male), email=f"{data.translit(given)}.{data.translit(surname)}.{index + 1}@{DOMAIN}",
            phone=f"+7{rng.choice(data.MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}",
            full_name=f"{surname} {given} {patronymic}", password_hash=None, language=language,
            notify_visiting=False, notify_by=rng.choices(("email", "sms", "both"), (5, 3, 2))[0],
            region_id=self.regions[region].id, body_id=None, is_active=True,
            created_at=first_seen - timedelta(days=rng.randint(1, 200), minutes=rng.randint(0, 1440)),
            last_login_at=self._past(first_seen))
        citizen = _Citizen(index, region, language, row)
        self.citizens.append(citizen)
        self.by_region[region].append(citizen)
        return citizen

    def _free(self, citizen: _Citizen, receiver: _Receiver, day: date) -> bool:
        return ((citizen.index, receiver.official.id) not in self.active
                and all(abs((day - other).days) >= 7 for other in citizen.days))

    def _citizen(self, receiver: _Receiver, region: str | None, day: date, booked: datetime) -> tuple[_Citizen, str]:
        """Who asks, and about what: sometimes a citizen who came before about a question still
        unsettled (the same topic, if this body is competent for it), else mostly a new citizen of the
        region (of any region, weighted, for central bodies)."""
        rng = self.rng
        if rng.random() < REPEAT_VISIT:
            pool = self.issues[region]
            end = bisect_left(pool, (booked.date() - timedelta(days=10),))
            for _ in range(8 if end else 0):
                _, citizen, topic = pool[rng.randrange(end)]
                if topic in receiver.topics and self._free(citizen, receiver, day):
                    return citizen, topic
        topic = self._topic(receiver, day)
        if rng.random() < 0.12:  # came before, about something else
            pool = self.by_region[region] if region else self.citizens
            for _ in range(4 if pool else 0):
                citizen = rng.choice(pool)
                if self._free(citizen, receiver, day):
                    return citizen, topic
        return self._new_citizen(region or self._any_region(), booked), topic

    # --- sessions -----------------------------------------------------------------------------------

    def _session(self, receiver: _Receiver, day: date, kind: SessionKind, start: time, end: time, minutes: int,
                 formats, mode: BookingMode, *, venue: Venue | None = None, created_at: datetime | None = None,
                 **extra) -> _Session | None:
        if (receiver.official.id, day) in self.busy or not self.calendar.is_working_day(day):
            return None
        self.busy.add((receiver.official.id, day))
        venue = venue or receiver.venue
        tz = venue.region.timezone
        starts_at, ends_at = rules.local_bounds(day, start, end, tz)
        closes_hours = receiver.schedule.closes_hours_before if kind is SessionKind.REGULAR else 24
        session = _Session(receiver, venue, day, kind, frozenset(formats), mode, starts_at, ends_at,
                           starts_at - timedelta(hours=closes_hours), rules.slot_bounds(day, start, end, minutes, tz),
                           created_at or starts_at - timedelta(days=60), **extra)
        self.sessions.append(session)
        return session

    def _plan_sessions(self) -> None:
        for receiver in self.receivers:
            s = receiver.schedule
            for day in rules.expand_dates(s.rrule, self.start, None, self.start, self.yesterday):
                self._session(receiver, day, SessionKind.REGULAR, s.start_time, s.end_time, s.slot_minutes,
                              formats_of(s), s.booking_mode, schedule_id=s.id)
        self._plan_unified_day()
        self._plan_visits()
        self.sessions.sort(key=lambda x: (x.starts_at, x.receiver.body.code))
        for session in self.sessions:
            self._fate(session)
        self.request_sessions = [s for s in self.sessions if s.booking_mode is BookingMode.REQUEST]

    def _month_day(self, offset: int, weekday: int, nth: int) -> date:
        """The ``nth`` ``weekday`` (Monday 0) of the month ``offset`` months from today's, or the
        same weekday of a later week when that is not a working day."""
        index = _month_index(self.today) + offset
        day = date(index // 12, index % 12 + 1, 1)
        day += timedelta(days=(weekday - day.weekday()) % 7 + 7 * (nth - 1))
        while not self.calendar.is_working_day(day):
            day += timedelta(days=7)
        return day

    def _plan_unified_day(self) -> None:
        day = self._month_day(UNIFIED_MONTH, weekday=1, nth=3)  # a Tuesday, off the heads' own days
        if db.session.scalar(select(UnifiedDay.id).where(UnifiedDay.local_date == day)) is not None:
            return
        announced = _at(day - timedelta(days=30), 11, "Asia/Almaty")
        self.unified_day = dict(local_date=day, levels=",".join(level.value for level in LOCAL_LEVELS),
                                start_time=time(10), end_time=time(13), slot_minutes=20,
                                note="Единый день приёма граждан руководителями местных исполнительных органов",
                                announced_by_id=self.admin_id, announced_at=announced)
        for receiver in self.receivers:
            if receiver.body.level in LOCAL_LEVELS:
                session = self._session(receiver, day, SessionKind.UNIFIED_DAY, time(10), time(13), 20,
                                        {AttendanceFormat.IN_PERSON}, BookingMode.SELF, unified=True,
                                        created_at=announced)
                if session is not None and receiver.body.code in NEVER_PUBLISHED:
                    session.fate = "unpublished"

    def _plan_visits(self) -> None:
        for code, region_code, offset, dates in VISITS:
            receiver, akimat = self.by_code.get(code), self.akimats.get(region_code)
            venues = akimat.venues if akimat else []
            hall = next((v for v in venues if v.kind is VenueKind.OFFICE and v.is_active), None)
            if receiver is None or hall is None:
                continue
            weekday = 2 if receiver.body.level is BodyLevel.PRESIDENTIAL else 3  # off their own reception days
            first = self._month_day(offset, weekday, nth=2)
            announced = _at(first - timedelta(days=21), 11, hall.region.timezone)
            made = [self._session(receiver, day, SessionKind.VISITING, time(10), time(13), 20,
                                  {AttendanceFormat.IN_PERSON}, BookingMode.SELF, venue=hall, created_at=announced,
                                  visiting=len(self.visits), restricted_region=region_code)
                    for day in [first, first + timedelta(days=2)][:dates]]
            if any(made):
                self.visits.append(dict(official_id=receiver.official.id, region_id=akimat.region_id,
                                        venue_id=hall.id, note="Выездной приём граждан",
                                        announced_by_id=self.admin_id, announced_at=announced))

    def _fate(self, session: _Session) -> None:
        """Held, or not: cancelled in advance with a reason, marked not held, or never marked at all."""
        rng = self.rng
        if session.fate == "unpublished":
            return
        behaviour = session.receiver.behaviour
        held = behaviour.held if session.kind is SessionKind.REGULAR else max(behaviour.held, 0.9)
        bad_month = (_month_index(session.day) - _month_index(self.today) == SKIP_MONTH
                     and session.receiver.body.level is not BodyLevel.PRESIDENTIAL)
        if bad_month:
            held *= 0.45
        if (session.receiver.body.code, _month_index(session.day) - _month_index(self.today)) == ABSENT[:2]:
            held = 0.0
        if rng.random() < held:
            session.fate = "held" if rng.random() < 0.96 else "held_unmarked"
            return
        skipper = behaviour.held < 0.5
        session.fate = rng.choices(("cancelled", "not_held", "unmarked"), (35, 15, 50) if skipper else (50, 20, 30))[0]
        if session.fate == "cancelled":
            session.status = SessionStatus.CANCELLED
            session.changed_at = session.starts_at - timedelta(days=rng.uniform(1.2, 8))
            session.reason = (data.BAD_MONTH_REASONS[_SEASON[session.day.month - 1]]
                              if bad_month and rng.random() < 0.7 else rng.choice(data.CANCEL_REASONS))

    # --- bookings -----------------------------------------------------------------------------------

    def _appointment(self, citizen: _Citizen, receiver: _Receiver, topic: str, day: date, created: datetime,
                     formats) -> _Appointment:
        """An appointment's details as the citizen gave them (format, topic, summary, co-applicants)."""
        rng = self.rng
        fmt, studio = AttendanceFormat.IN_PERSON, None
        if AttendanceFormat.VIDEO_STUDIO in formats and citizen.region in self.studios and rng.random() < 0.25:
            fmt, studio = AttendanceFormat.VIDEO_STUDIO, self.studios[citizen.region]
        elif AttendanceFormat.VIDEO_REMOTE in formats and rng.random() < 0.12:
            fmt = AttendanceFormat.VIDEO_REMOTE
        wording = self._wording(topic, day, citizen.language)
        tail = rng.choice(data.SUMMARY_TAILS)[1 if citizen.language == "kk" else 0]
        co_applicants = None
        if rng.random() < 0.04:  # a collective appeal
            co_applicants = "\n".join(" ".join(self._name(citizen.region, rng.random() < 0.5)[:3])
                                      for _ in range(rng.randint(2, 6)))
        appeal = (f"ЖТ-{rng.choice('ТОА')}-{created.year}-{rng.randrange(10_000_000):07d}"
                  if rng.random() < 0.4 else None)
        row = dict(
            citizen_id=None, official_id=receiver.official.id, session_id=None, slot_id=None, format=fmt,
            studio_id=studio, topic_id=self.topic_ids[topic], summary=f"{wording}. {tail}".strip(),
            appeal_numbers=appeal, needs_wheelchair=rng.random() < 0.02, needs_sign_language=rng.random() < 0.005,
            co_applicants=co_applicants, status=AppointmentStatus.SCHEDULED, talon_number=None, accepted_at=None,
            accepted_by_name=None, idempotency_key=None, rescheduled_from_id=None, decision=None,
            decline_ground=None, decision_note=None, redirect_body_id=None, redirect_due_on=None, decided_at=None,
            decided_by_id=None, cancel_reason=None, cancelled_at=None, video_room=None, checked_in_at=None,
            started_at=None, finished_at=None, created_at=created)
        citizen.days.append(day)
        appointment = _Appointment(citizen, receiver, topic, wording, row)
        self.appointments.append(appointment)
        return appointment

    def _book(self, session: _Session, appointment: _Appointment, accepted: datetime) -> bool:
        """Give the appointment a free slot of the session, accepted (talon) at ``accepted``."""
        free = [i for i in range(len(session.slots)) if i not in session.taken]
        if not free:
            return False
        appointment.slot = self.rng.choice(free)
        session.taken.add(appointment.slot)
        session.booked.append(appointment)
        appointment.citizen.days.append(session.day)
        appointment.session = session
        assistant = self.assistants.get(session.receiver.body.id)
        appointment.row.update(accepted_at=accepted, status=AppointmentStatus.SCHEDULED, accepted_by_name=(
            assistant.full_name if assistant else session.receiver.body.name_ru)[:200])
        return True

    def _self_bookings(self, session: _Session) -> None:
        receiver, behaviour, rng = session.receiver, session.receiver.behaviour, self.rng
        if session.booking_mode is BookingMode.REQUEST or session.fate == "unpublished":
            return
        lam = {SessionKind.UNIFIED_DAY: UNIFIED_DAY_BOOKINGS,
               SessionKind.VISITING: len(session.slots)}.get(session.kind, behaviour.bookings)
        lead = behaviour.lead_days if session.kind is SessionKind.REGULAR else (5, 20)
        region = session.restricted_region or (
            receiver.body.region.code if receiver.body.level in LOCAL_LEVELS and receiver.body.region else None)
        count = _poisson(rng, lam)
        rising = 0
        if (session.kind is SessionKind.REGULAR and self.rising in receiver.topics
                and _month_index(session.day) >= _month_index(self.today) - 1):
            rising = _poisson(rng, RISING_BOOKINGS)  # people who never came before: no heating, no water
            if region == HOME_REGION and _month_index(session.day) == _month_index(self.today) - 1:
                rising = max(rising, 1)
        for n in range(min(len(session.slots), count + rising)):
            accepted = session.starts_at - timedelta(days=rng.uniform(max(lead[0], 1.05), lead[1]),
                                                     minutes=rng.randint(0, 600))
            if session.changed_at is not None and accepted >= session.changed_at:
                continue  # cancelled before this citizen came to book
            if n < count:
                citizen, topic = self._citizen(receiver, region, session.day, accepted)
            else:
                citizen, topic = self._new_citizen(region or self._any_region(), accepted), self.rising
            appointment = self._appointment(citizen, receiver, topic, session.day, accepted, session.formats)
            self._book(session, appointment, accepted)

    # --- what happened at the reception -----------------------------------------------------------------

    def _run_session(self, session: _Session) -> None:
        rng = self.rng
        self._self_bookings(session)
        if session.fate == "held" or (session.fate == "held_unmarked" and not session.booked):
            session.status = SessionStatus.HELD
            session.changed_at = self._past(session.ends_at + timedelta(minutes=rng.randint(5, 180)))
        elif session.fate == "not_held":
            session.status = SessionStatus.NOT_HELD
            session.reason = rng.choice(data.NOT_HELD_REASONS)
            session.changed_at = self._past(session.ends_at + timedelta(hours=rng.uniform(1, 48)))
        for appointment in sorted(session.booked, key=lambda a: a.slot):
            row = appointment.row
            start, end = session.slots[appointment.slot]
            if session.status is SessionStatus.CANCELLED:
                row.update(status=AppointmentStatus.CANCELLED, cancel_reason=session.reason,
                           cancelled_at=session.changed_at)
            elif session.fate in ("not_held", "unmarked"):
                # Nobody received them and nobody closed their appointments: they stay as booked.
                self.active.add((appointment.citizen.index, session.receiver.official.id))
            elif (roll := rng.random()) < 0.07:  # the citizen cancelled
                cancelled = session.closes_at - timedelta(hours=rng.uniform(2, 24 * 5))
                row.update(status=AppointmentStatus.CANCELLED,
                           cancelled_at=max(cancelled, row["accepted_at"] + timedelta(hours=1)))
            elif roll < 0.15:
                row.update(status=AppointmentStatus.NO_SHOW)
            else:
                minutes = (end - start).total_seconds() / 60
                started = start + timedelta(minutes=rng.randint(0, 12))
                row.update(status=AppointmentStatus.HELD, started_at=started,
                           checked_in_at=start - timedelta(minutes=rng.randint(5, 25)),
                           finished_at=started + timedelta(minutes=rng.uniform(minutes / 2, minutes)))
                self._outcome(appointment)

    # --- outcomes -----------------------------------------------------------------------------------

    def _result(self, receiver: _Receiver, day: date) -> OutcomeResult:
        rng = self.rng
        recent = (self.today - day).days <= 21
        if recent and rng.random() < 0.2:
            return OutcomeResult.UNDER_CONSIDERATION
        if rng.random() < receiver.behaviour.forwarded:
            return OutcomeResult.FORWARDED if rng.random() < 0.75 else OutcomeResult.FORWARDED_PART
        return rng.choices((OutcomeResult.EXPLAINED, OutcomeResult.SATISFIED, OutcomeResult.RESOLVED,
                            OutcomeResult.REFUSED, OutcomeResult.UNDER_CONSIDERATION),
                           (62, 25, 6, 4, 0 if recent else 1))[0]

    def _ministry(self, topic: str) -> Body | None:
        if topic in ("construction", "housing.emergency", "housing.queue") and "min-industry" in self.by_code:
            return self.by_code["min-industry"].body
        found = [m.body for m in self.ministries if topic in m.topics or _parent(topic) in m.topics]
        return self.rng.choice(found) if found else None

    def _districts(self, akimat: Body) -> list[Body]:
        return sorted((b for b in akimat.children if b.code in self.by_code), key=lambda b: b.code)

    def _competent(self, receiver: _Receiver, topic: str, region: str) -> Body | None:
        """The body a question is forwarded to: down to the local bodies, or across to a ministry."""
        rng, body = self.rng, receiver.body
        if body.level is BodyLevel.PRESIDENTIAL:
            return (self._ministry(topic) if rng.random() < 0.5 else None) or self.akimats.get(region)
        if body.level is BodyLevel.CENTRAL:
            akimat = self.akimats.get(region)
            districts = self._districts(akimat) if akimat else []
            return rng.choice(districts) if districts and rng.random() < 0.2 else akimat
        if body.level in (BodyLevel.REGIONAL, BodyLevel.CITY):
            districts = self._districts(body)
            if districts and (topic not in ("construction", "housing.emergency") or rng.random() < 0.5):
                weights = [3.0 if self.by_code[b.code].behaviour.late else 1.0 for b in districts]
                return rng.choices(districts, weights)[0]
            return self._ministry(topic)
        if body.level is BodyLevel.DISTRICT:
            return (self._ministry(topic) if rng.random() < 0.3 else None) or body.parent
        return None

    def _outcome(self, appointment: _Appointment) -> None:
        rng, receiver, citizen, row = self.rng, appointment.receiver, appointment.citizen, appointment.row
        tz, day = appointment.session.venue.region.timezone, appointment.session.day
        recorded = self._past(row["finished_at"] + timedelta(minutes=rng.randint(10, 60 * 30)))
        assistant = self.assistants.get(receiver.body.id)
        appointment.outcome = dict(appointment_id=None, notes=rng.choice(data.OUTCOME_NOTES),
                                   recorded_by_id=assistant.id if assistant else None, recorded_at=recorded,
                                   updated_at=recorded)
        count = rng.choices((1, 2, 3), (75, 20, 5))[0]
        topics = [appointment.topic] + [self._topic(receiver, day) for _ in range(count - 1)]
        results = []
        for position, topic in enumerate(dict.fromkeys(topics), start=1):  # one question per topic
            result = self._result(receiver, day)
            target = self._competent(receiver, topic, citizen.region) if result in FORWARDED_RESULTS else None
            if result in FORWARDED_RESULTS and (target is None or target.id == receiver.body.id):
                result, target = OutcomeResult.EXPLAINED, None
            wording = appointment.wording if position == 1 else self._wording(topic, day, citizen.language)
            question = dict(outcome_id=None, position=position, topic_id=self.topic_ids[topic], wording=wording,
                            result=result, body_id=target.id if target else None, created_at=recorded,
                            grounds=rng.choice(data.REFUSAL_GROUNDS) if result is OutcomeResult.REFUSED else None)
            appointment.questions.append(question)
            results.append(result)
            if target is not None:
                self._instruction(question, target, topic, wording, recorded, receiver, tz)
            if result not in (OutcomeResult.SATISFIED, OutcomeResult.RESOLVED):
                # Not settled to the citizen's liking: they may come back about it, here or higher up.
                for key in (citizen.region, None):
                    self.issues[key].append((day, citizen, topic))
        if rng.random() < 0.35:
            settled = OutcomeResult.SATISFIED in results or OutcomeResult.RESOLVED in results
            score = rng.choices((5, 4, 3, 2, 1), (6, 3, 1, 0, 0) if settled else (2, 3, 3, 2, 1))[0]
            appointment.rating = dict(appointment_id=None, citizen_id=None, score=score,
                                      comment="Спасибо за внимание к моему вопросу." if rng.random() < 0.2 else "",
                                      created_at=self._past(row["finished_at"] + timedelta(hours=rng.uniform(1, 96))))

    def _rep(self, body: Body) -> int:
        """The id of the agency representative who reports for ``body``: an existing one, else (negative:
        resolved when written) a representative account created for it."""
        if body.id in self.reps:
            return self.reps[body.id].id
        if body.id not in self.new_reps:
            male = self.rng.random() < 0.5
            surname, given, patronymic, _ = self._name(body.region.code if body.region else "KZ-71", male)
            self.new_reps[body.id] = dict(
                iin=None, email=f"agency.{body.code}@{DOMAIN}", phone=None,
                full_name=f"{surname} {given} {patronymic}", password_hash=None, language="ru",
                notify_visiting=False, notify_by="email", region_id=body.region_id, body_id=body.id,
                is_active=True, created_at=datetime.combine(self.start, time(4), tzinfo=UTC), last_login_at=None)
        return -body.id

    def _instruction(self, question: dict, body: Body, topic: str, wording: str, given: datetime,
                     receiver: _Receiver, tz: str) -> None:
        """An instruction to ``body`` on a forwarded question: on time, late, extended, reported or open."""
        rng, calendar = self.rng, self.calendar
        late = body.code in self.by_code and self.by_code[body.code].behaviour.late
        given_on = _local_date(given, tz)
        appeal_type = rng.choices(("complaint", "statement", "request", "proposal"), (40, 40, 15, 5))[0]
        due = original = default_due_on(appeal_type, given_on, self.config)
        row = dict(question_id=None, body_id=body.id, responsible_name=data.RESPONSIBLE[_parent(topic)],
                   text=data.INSTRUCTION_TEXT.format(wording=wording), appeal_type=appeal_type, due_on=due,
                   original_due_on=original, extension_reason=None, extended_at=None, status=InstructionStatus.OPEN,
                   closed_at=None, closed_by_id=None, near_warned_for=None, overdue_warned_for=None, created_at=given)
        if rng.random() < (0.3 if late else 0.08):  # extended by a reasoned decision, at most two months
            extended_on = calendar.add_working_days(given_on, rng.randint(3, 10))
            if extended_on < min(original, self.today):
                due = min(calendar.add_working_days(original, rng.randint(5, 20)), add_months(given_on, 2))
                row.update(due_on=due, extension_reason=rng.choice(data.EXTENSION_REASONS),
                           extended_at=self._past(_at(extended_on, rng.uniform(10, 17), tz)))
        passed = due < self.today
        if passed:
            fate = rng.choices(("on_time", "late", "reported", "open"), (20, 20, 10, 50) if late else (84, 11, 2, 3))[0]
        else:
            fate = rng.choices(("on_time", "reported", "open"), (15, 20, 65) if late else (30, 20, 50))[0]
        window = {"on_time": (given_on + timedelta(days=1), min(due, self.yesterday)),
                  "late": (due + timedelta(days=1), min(due + timedelta(days=25), self.yesterday)),
                  "reported": (max(given_on + timedelta(days=1), self.yesterday - timedelta(days=10)), self.yesterday),
                  }.get(fate)
        if window is None or window[0] > window[1]:
            fate = "open"
        instruction = _Instruction(question, row)
        if fate != "open":
            reported_on = window[0] + timedelta(days=rng.randint(0, (window[1] - window[0]).days))
            reported = self._past(_at(reported_on, rng.uniform(9, 18), tz))
            author = self._rep(body)
            assistant = self.assistants.get(receiver.body.id)
            judge = assistant.id if assistant else None
            report = dict(instruction_id=None, author_id=author, text=rng.choice(data.REPORT_TEXTS),
                          created_at=reported, verdict=None, verdict_note=None, verdict_by_id=None, verdict_at=None)
            if fate == "reported":
                row.update(status=InstructionStatus.REPORTED)
            else:
                if rng.random() < 0.1 and reported - timedelta(days=3) > given:  # returned once for proof
                    instruction.reports.append(dict(
                        report, created_at=reported - timedelta(days=3), verdict=ReportVerdict.RETURNED,
                        verdict_note=rng.choice(data.RETURN_NOTES), verdict_by_id=judge,
                        verdict_at=reported - timedelta(days=2)))
                closed = self._past(reported + timedelta(hours=rng.uniform(2, 48)))
                report.update(verdict=ReportVerdict.ACCEPTED, verdict_by_id=judge, verdict_at=closed)
                row.update(status=InstructionStatus.CLOSED, closed_at=closed, closed_by_id=judge)
                if assistant is not None and rng.random() < 0.4:
                    confirmed = rng.random() < 0.85
                    instruction.contacts.append(dict(
                        instruction_id=None, staff_id=assistant.id, channel=ContactChannel.PHONE,
                        confirmed=confirmed, note=data.CONTACT_NOTES[0 if confirmed else 1],
                        contacted_at=self._past(closed + timedelta(hours=rng.uniform(1, 48)))))
            instruction.reports.append(report)
        if row["status"] is not InstructionStatus.CLOSED:
            # The daily warnings to the body have gone out already: history sends nothing now.
            if passed or calendar.working_days_between(self.today, due) <= self.warn_days:
                row["near_warned_for"] = due
            if passed:
                row["overdue_warned_for"] = due
        self.instructions.append(instruction)

    # --- request mode (the Presidential reception office) -----------------------------------------------

    def _requests(self) -> list[datetime]:
        """When requests arrived, any day of the year, at any hour a citizen writes."""
        receiver = next((r for r in self.receivers if r.schedule.booking_mode is BookingMode.REQUEST), None)
        self.request_receiver = receiver
        if receiver is None:
            return []
        tz, times, day = receiver.body.timezone, [], self.start
        while day <= self.yesterday:
            times.extend(_at(day, self.rng.uniform(7, 23), tz) for _ in range(_poisson(self.rng, REQUESTS_PER_DAY)))
            day += timedelta(days=1)
        # The screening queue is never empty: requests of the last days, one of them waiting too long.
        times.extend(_at(self.today - timedelta(days=back), self.rng.uniform(8, 21), tz) for back in (1, 2, 9))
        return sorted(times)

    def _run_request(self, received: datetime) -> None:
        """A request screened within a few working days: a time offered (and accepted), redirected,
        resolved without a reception or declined; the last few still wait."""
        rng, receiver = self.rng, self.request_receiver
        tz = receiver.body.timezone
        received_on = _local_date(received, tz)
        citizen, topic = self._citizen(receiver, None, received_on, received)
        appointment = self._appointment(citizen, receiver, topic, received_on, received, formats_of(receiver.schedule))
        row = appointment.row
        row.update(status=AppointmentStatus.REQUESTED, redirect_due_on=redirect_due_on(received, tz, self.calendar))
        waited = self.calendar.working_days_between(received_on, self.yesterday)
        if waited <= 2 or (waited <= 7 and rng.random() < 0.25):
            self.active.add((citizen.index, receiver.official.id))  # still in the screening queue
            return
        delay = rng.choices((1, 2, 3, 4, 5), (40, 30, 20, 6, 4))[0]  # 4 and 5: past the redirect deadline
        decided = self._past(_at(self.calendar.add_working_days(received_on, delay), rng.uniform(10, 17), tz))
        decision = rng.choices(tuple(RequestDecision), (45, 33, 10, 12))[0]
        row.update(decided_at=decided, decision=decision, status=AppointmentStatus.CLOSED)
        if decision is RequestDecision.OFFERED:
            accepted = decided + timedelta(hours=rng.uniform(1, 28))
            session = next((s for s in self.request_sessions if s.fate != "unpublished"
                            and decided + timedelta(days=2) < s.starts_at < decided + timedelta(days=28)
                            and accepted < s.closes_at and (s.changed_at is None or accepted < s.changed_at)
                            and len(s.taken) < len(s.slots)), None)
            if session is not None and self._book(session, appointment, accepted):
                appointment.offer = dict(appointment_id=None, slot_id=None, status=OfferStatus.ACCEPTED,
                                         expires_at=min(decided + timedelta(hours=48), session.closes_at),
                                         created_at=decided)
                return
            decision = RequestDecision.REDIRECTED  # no time to offer soon enough
            row.update(decision=decision)
        if decision is RequestDecision.REDIRECTED:
            body = self._competent(receiver, topic, citizen.region) or self.akimats[citizen.region]
            row.update(redirect_body_id=body.id, decision_note=data.REDIRECT_NOTE.format(body=body.name_ru))
        elif decision is RequestDecision.RESOLVED:
            row.update(decision_note=rng.choice(data.RESOLVED_NOTES))
        else:
            ground = rng.choices(("repeated", "court", "no_substance", "withdrawn"), (40, 30, 20, 10))[0]
            row.update(decline_ground=DeclineGround(ground), decision_note=data.DECLINE_NOTES[ground] or None)

    # --- demand: waitlists and reports of refused bookings ---------------------------------------------

    def _plan_demand(self) -> None:
        rng = self.rng
        # Citizens of the full city akimats often waited for a freed time before they got one.
        for appointment in self.appointments:
            session = appointment.session
            if (session is not None and session.kind is SessionKind.REGULAR
                    and appointment.receiver.body.level is BodyLevel.CITY and rng.random() < 0.25):
                booked = appointment.row["accepted_at"]
                self._wait(appointment.citizen, appointment.receiver, appointment.topic,
                           booked - timedelta(days=rng.uniform(3, 20)), WaitlistStatus.BOOKED, booked)
        span = (self.yesterday - self.start).days
        for code, count in WAITLIST.items():
            receiver = self.by_code.get(code)
            if receiver is None or receiver.body.region is None:
                continue
            for _ in range(count):
                # More of them lately; recent ones mostly still wait, older ones left or let an offer lapse.
                joined = _at(self.start + timedelta(days=int(span * rng.random() ** 0.6)), rng.uniform(8, 22),
                             receiver.body.timezone)
                waiting = (self.today - joined.date()).days < 120 and rng.random() < 0.75
                status = WaitlistStatus.WAITING if waiting else rng.choices(
                    (WaitlistStatus.LEFT, WaitlistStatus.EXPIRED), (6, 4))[0]
                citizen = self._someone(receiver.body.region.code, joined, receiver if waiting else None)
                self._wait(citizen, receiver, self._topic(receiver, joined.date()), joined, status,
                           joined if waiting else joined + timedelta(days=rng.uniform(5, 60)))
        code, month, joins = ABSENT
        receiver = self.by_code.get(code)
        if receiver is not None and receiver.body.region is not None:
            index = _month_index(self.today) + month
            first = date(index // 12, index % 12 + 1, 1)
            for n in range(joins):
                joined = _at(first + timedelta(days=3 + 8 * n), rng.uniform(9, 18), receiver.body.timezone)
                citizen = self._someone(receiver.body.region.code, joined)
                self._wait(citizen, receiver, self._topic(receiver, joined.date()), joined, WaitlistStatus.LEFT,
                           joined + timedelta(days=rng.uniform(20, 40)))
        reports = dict(ACCESS_REPORTS)
        others = [r.body.code for r in self.receivers if r.body.code not in reports]
        for _ in range(OTHER_ACCESS_REPORTS if others else 0):
            code = rng.choice(others)
            reports[code] = reports.get(code, 0) + 1
        for code, count in sorted(reports.items()):
            receiver = self.by_code.get(code)
            for _ in range(count if receiver else 0):
                region = receiver.body.region.code if receiver.body.region else self._any_region()
                created = _at(self.start + timedelta(days=int(span * rng.random() ** 0.7)), rng.uniform(8, 23),
                              receiver.body.timezone)
                kind = rng.choices((AccessReportKind.NO_TIME, AccessReportKind.REFUSED), (65, 35))[0]
                reviewed = self._past(created + timedelta(days=rng.uniform(1, 10)))
                if rng.random() > 0.7 or (self.now - created).days <= 10:
                    reviewed = None  # not yet looked at
                citizen = self._someone(region, created)
                self.access.append((citizen, dict(
                    citizen_id=None, body_id=receiver.body.id,
                    official_id=receiver.official.id if rng.random() < 0.6 else None, kind=kind,
                    text=rng.choice(data.ACCESS_TEXTS[kind.value]), created_at=self._past(created),
                    reviewed_at=reviewed, reviewed_by_id=self.monitor_id if reviewed else None)))

    def _someone(self, region: str, when: datetime, waiting_for: _Receiver | None = None) -> _Citizen:
        """A citizen of ``region``: one known since before ``when`` (not already waiting for
        ``waiting_for``), or a new one."""
        known = [c for c in self.by_region[region] if c.row["created_at"] < when]
        if known and self.rng.random() < 0.4:
            citizen = self.rng.choice(known)
            if waiting_for is None or (citizen.index, waiting_for.official.id) not in self.waiting:
                return citizen
        return self._new_citizen(region, when)

    def _wait(self, citizen: _Citizen, receiver: _Receiver, topic: str, joined: datetime, status: WaitlistStatus,
              updated: datetime) -> None:
        if status is WaitlistStatus.WAITING:
            self.waiting.add((citizen.index, receiver.official.id))
        self.waitlist.append((citizen, dict(
            citizen_id=None, official_id=receiver.official.id, visiting_id=None, topic_id=self.topic_ids[topic],
            status=status, offered_slot_id=None, offer_expires_at=None, created_at=self._past(joined),
            updated_at=self._past(max(updated, joined)))))

    # --- the whole year, in the order it happened --------------------------------------------------------

    def generate(self) -> None:
        self._plan_sessions()
        events = sorted([(s.starts_at, 1, i) for i, s in enumerate(self.sessions)]
                        + [(t, 0, i) for i, t in enumerate(self._requests())])
        for moment, is_session, index in events:
            if is_session:
                self._run_session(self.sessions[index])
            else:
                self._run_request(moment)
        self._plan_demand()

    # --- writing ----------------------------------------------------------------------------------------

    def write(self, password_hash: str) -> HistoryCounts:
        counts = HistoryCounts()
        for row in [c.row for c in self.citizens] + list(self.new_reps.values()):
            row["password_hash"] = password_hash
        for citizen, id_ in zip(self.citizens, _insert(User, [c.row for c in self.citizens]), strict=True):
            citizen.id = id_
        reps = sorted(self.new_reps.items())
        rep_ids = dict(zip([body_id for body_id, _ in reps], _insert(User, [row for _, row in reps]), strict=True))
        _insert(UserRole, [dict(user_id=c.id, role=Role.CITIZEN) for c in self.citizens]
                + [dict(user_id=id_, role=Role.AGENCY_REP) for id_ in rep_ids.values()], ids=False)
        counts.citizens, counts.staff = len(self.citizens), len(rep_ids)

        unified_id = _insert(UnifiedDay, [self.unified_day])[0] if self.unified_day else None
        visit_ids = _insert(VisitingReception, self.visits)
        rows = []
        for s in self.sessions:
            opens_days = s.receiver.schedule.opens_days_ahead if s.kind is SessionKind.REGULAR else 30
            marked = s.status is not SessionStatus.PLANNED
            rows.append(dict(
                official_id=s.receiver.official.id, venue_id=s.venue.id, schedule_id=s.schedule_id, kind=s.kind,
                local_date=s.day, starts_at=s.starts_at, ends_at=s.ends_at,
                restricted_region_id=self.regions[s.restricted_region].id if s.restricted_region else None,
                allow_in_person=AttendanceFormat.IN_PERSON in s.formats,
                allow_video_studio=AttendanceFormat.VIDEO_STUDIO in s.formats,
                allow_video_remote=AttendanceFormat.VIDEO_REMOTE in s.formats, single_video_room=False,
                video_room=None, booking_mode=s.booking_mode, opens_at=s.starts_at - timedelta(days=opens_days),
                closes_at=s.closes_at, status=s.status, is_published=s.fate != "unpublished",
                unified_day_id=unified_id if s.unified else None,
                visiting_id=visit_ids[s.visiting] if s.visiting is not None else None,
                status_reason=s.reason if marked else None, status_changed_at=s.changed_at if marked else None,
                created_at=s.created_at))
        for session, id_ in zip(self.sessions, _insert(ReceptionSession, rows), strict=True):
            session.id = id_
        slot_ids = iter(_insert(Slot, [dict(session_id=s.id, starts_at=a, ends_at=b, held_for_id=None, held_until=None)
                                       for s in self.sessions for a, b in s.slots]))
        for session in self.sessions:
            session.slot_ids = [next(slot_ids) for _ in session.slots]
        counts.sessions, counts.slots = len(self.sessions), sum(len(s.slots) for s in self.sessions)

        for a in self.appointments:
            a.row["citizen_id"] = a.citizen.id
            if a.session is not None:
                a.row.update(session_id=a.session.id, slot_id=a.session.slot_ids[a.slot])
        for a, id_ in zip(self.appointments, _reserve_ids(Appointment.__table__, len(self.appointments)), strict=True):
            a.id = a.row["id"] = id_
            if a.session is not None:
                venue = a.session.venue
                a.row["talon_number"] = talon_number(self.region_codes[venue.region_id], a.row["accepted_at"],
                                                     venue.region.timezone, id_)
        _insert(Appointment, [a.row for a in self.appointments], ids=False)
        _insert(SlotOffer, [dict(a.offer, appointment_id=a.id, slot_id=a.row["slot_id"])
                            for a in self.appointments if a.offer], ids=False)
        counts.appointments = len(self.appointments)
        counts.requests = sum(1 for a in self.appointments if a.row["redirect_due_on"] is not None)

        held = [a for a in self.appointments if a.outcome is not None]
        for a, id_ in zip(held, _insert(Outcome, [dict(a.outcome, appointment_id=a.id) for a in held]), strict=True):
            for question in a.questions:
                question["outcome_id"] = id_
        questions = [q for a in held for q in a.questions]
        question_ids = {id(q): id_ for q, id_ in zip(questions, _insert(Question, questions), strict=True)}
        instruction_ids = _insert(Instruction, [dict(i.row, question_id=question_ids[id(i.question)])
                                                for i in self.instructions])
        reports, contacts = [], []
        for i, id_ in zip(self.instructions, instruction_ids, strict=True):
            reports.extend(dict(r, instruction_id=id_, author_id=rep_ids.get(-r["author_id"], r["author_id"]))
                           for r in i.reports)
            contacts.extend(dict(c, instruction_id=id_) for c in i.contacts)
        ratings = [dict(a.rating, appointment_id=a.id, citizen_id=a.citizen.id) for a in held if a.rating]
        _insert(InstructionReport, reports, ids=False)
        _insert(CitizenContact, contacts, ids=False)
        _insert(Rating, ratings, ids=False)
        counts.outcomes, counts.questions, counts.instructions = len(held), len(questions), len(instruction_ids)
        counts.reports, counts.contacts, counts.ratings = len(reports), len(contacts), len(ratings)

        _insert(WaitlistEntry, [dict(row, citizen_id=c.id) for c, row in self.waitlist], ids=False)
        _insert(AccessReport, [dict(row, citizen_id=c.id) for c, row in self.access], ids=False)
        counts.waitlist, counts.access_reports = len(self.waitlist), len(self.access)

        for receiver in self.receivers:  # they kept these hours all year
            if receiver.schedule.starts_on > self.start:
                receiver.schedule.starts_on = self.start
        return counts


def _insert(model, rows: list[dict], *, ids: bool = True) -> list[int]:
    """Insert ``rows`` in bulk with Core (no ORM events: no audit record per row); returns their ids.

    The ids are taken first (from the sequence on PostgreSQL; after the largest on SQLite, whose one
    writer holds the lock for the whole transaction), so the rows go in one prepared statement run many
    times: far cheaper than INSERT … RETURNING, which SQLite runs row by row to keep the order and
    psycopg parses as one huge statement per thousand rows.
    """
    if not rows:
        return []
    table = model.__table__
    new_ids = []
    if ids:
        new_ids = _reserve_ids(table, len(rows))
        for row, id_ in zip(rows, new_ids, strict=True):
            row["id"] = id_
    db.session.execute(insert(table), rows)
    return new_ids


def _reserve_ids(table, count: int) -> list[int]:
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(db.session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    first = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0))) + 1
    return list(range(first, first + count))


# --- what the demo monitor did about the month before last ------------------------------------------------

def load_monitoring_actions(today: date) -> int:
    """Once: the demo monitor's actions on the alerts of the month before last (a letter to the body that held
    fewest of its receptions, a note on the most overdue body, a "resolved" on a body with demand and little
    time), so that last month's page shows whether they worked. Returns how many were recorded."""
    monitor = db.session.scalar(select(User).where(User.email == "monitor@demo.kz"))
    if monitor is None or db.session.scalar(select(MonitoringAction.id).limit(1)) is not None:
        return 0
    period = last_full_month(today).previous()
    attention = needs_attention(period, today)
    done = datetime.combine(period.end, time(17), tzinfo=ZoneInfo(CAPITAL_TZ)).astimezone(UTC)
    plans = ((AlertKind.NOT_HELD, ActionKind.LETTER, "Letter sent to the akim's office asking why the receptions "
                                                     "were not held and for a new schedule."),
             (AlertKind.OVERDUE, ActionKind.NOTE, "Called the head of the apparatus: reports promised within "
                                                  "two weeks."),
             (AlertKind.LOW_SUPPLY, ActionKind.RESOLVED, "Extra reception hours agreed on Thursdays."))
    recorded = 0
    for kind, action, note in plans:
        alerts = sorted(attention.sections.get(kind, []), key=lambda a: a.key)
        if alerts:
            record_action(monitor, alerts[0], period, action, note, done)
            recorded += 1
    return recorded
