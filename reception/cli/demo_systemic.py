"""Demo data: one systemic issue, "no heating" in Aktobe Region, worked on by the regional akimat and the Alga
district akimat, coordinated by the demo assistant, in progress, with three citizens' appointments linked (the
demo citizen's reception about the heating first, then other citizens' receptions with those akimats, housing
topics first). The status changes after the demo citizen's reception is linked and before the others are, so
the demo citizen has the message in the outbox and the history's citizens none.

Made through the area's services (linking by talon number, the status change telling each linked citizen), once:
when an issue with the demo title exists, nothing is created or changed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select

from ..accounts.models import User
from ..booking.models import Appointment, AppointmentStatus
from ..directory.models import Body, Official, Topic
from ..extensions import db
from ..systemic.models import IssueLink, IssueStatus, SystemicIssue
from ..systemic.services import IssueData, change_status, create_issue, link_appointment
from .demo_data import AKTOBE_AKIMAT

TITLE = "Нет отопления в жилых домах Актобе и Алгинского района"
DESCRIPTION = ("С октября в многоквартирных домах на проспекте Абулхаир хана (Актобе) и в посёлке Алга нет "
               "отопления. Жители обращаются к акиму области и в районный акимат; поставщик тепла ссылается на "
               "аварию на магистральной теплотрассе. Рабочая группа: акимат области (координатор) и акимат "
               "Алгинского района.")
NOTE = ("Рабочая группа акимата области и акимата Алгинского района проверила теплотрассу; ремонт участка "
        "начат, срок — две недели. О подаче тепла сообщим.")
CITIZENS = 3


def _numbers(body_ids: list[int], demo_citizen_id: int | None) -> list[str]:
    """Talon (or request) numbers of up to three citizens' receptions with the working group's bodies, each
    citizen once, not linked to an issue yet: the demo citizen's first, then housing topics, newest first."""
    linked = select(IssueLink.appointment_id)
    rows = db.session.execute(
        select(Appointment.id, Appointment.citizen_id, Appointment.talon_number, Appointment.redirect_due_on)
        .join(Official, Official.id == Appointment.official_id).join(Topic, Topic.id == Appointment.topic_id)
        .where(Official.body_id.in_(body_ids), Appointment.id.not_in(linked),
               Appointment.status != AppointmentStatus.RESCHEDULED,
               Appointment.talon_number.is_not(None) | Appointment.redirect_due_on.is_not(None))
        .order_by(case((Appointment.citizen_id == (demo_citizen_id or -1), 0), else_=1),
                  case((Topic.code.like("housing%"), 0), else_=1), Appointment.id.desc())
        .limit(200))
    numbers, seen = [], set()
    for appointment_id, citizen_id, talon, _due in rows:
        if citizen_id in seen:
            continue
        seen.add(citizen_id)
        numbers.append(talon or str(appointment_id))
        if len(numbers) == CITIZENS:
            break
    return numbers


def load_systemic_issue(now: datetime) -> SystemicIssue | None:
    """Create the demo's systemic issue unless it exists (or its bodies or assistant are missing); adds and
    flushes, the caller commits. Returns the issue made, else None."""
    if db.session.scalar(select(SystemicIssue.id).where(SystemicIssue.title == TITLE)) is not None:
        return None
    assistant = db.session.scalar(select(User).where(User.email == "assistant@demo.kz"))
    citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.kz"))
    bodies = list(db.session.scalars(select(Body).where(Body.code.in_([AKTOBE_AKIMAT, f"{AKTOBE_AKIMAT}-alga"]))))
    if assistant is None or len(bodies) != 2:
        return None
    body_ids = sorted(b.id for b in bodies)
    region_id = next(b.region_id for b in bodies if b.code == AKTOBE_AKIMAT)
    issue = create_issue(assistant, IssueData(title=TITLE, description=DESCRIPTION, body_ids=body_ids,
                                              coordinator_id=assistant.id, region_id=region_id), now)
    first, *others = _numbers(body_ids, citizen.id if citizen else None) or [None]
    if first is not None:
        link_appointment(assistant, issue, first, now)
    # Told now: the demo citizen (the first linked) only; the history's citizens, linked after the change, get
    # nothing (the history sends no message, see demo_history), until a change is made in the demo.
    change_status(assistant, issue, IssueStatus.OPEN, IssueStatus.IN_PROGRESS, NOTE, now)
    for number in others:
        link_appointment(assistant, issue, number, now)
    return issue
