"""Legal review fixtures: a scheduled appointment of a citizen of KZ-71, the official's assistant, and
legal consultants of the citizen's region and of another region."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from reception.accounts.models import User
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Official, Region
from reception.schedule.models import AttendanceFormat
from tests.booking.fixtures import new_session


@dataclass
class Case:
    appointment: Appointment
    official: Official
    citizen: User
    assistant: User
    consultant: User        # of the citizen's region
    other_consultant: User  # of the same region, to race
    far_consultant: User    # of another region


def region_id(db, code: str) -> int:
    return db.session.scalar(select(Region.id).where(Region.code == code))


@pytest.fixture
def case(db, make_body, make_official, make_venue, make_user) -> Case:
    body = make_body()
    official = make_official(body=body, full_name="Official Zhaksylykov")
    venue = make_venue(body=body)
    session = new_session(official, venue)
    db.session.add(session)
    db.session.flush()
    citizen = make_user(Role.CITIZEN, full_name="Citizen Aitova")
    appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON, topic_id=1,
                              summary="My land plot was taken by the akimat", appeal_numbers="ЖТ-2025-1234",
                              co_applicants="Neighbour Bekov", needs_wheelchair=True,
                              status=AppointmentStatus.SCHEDULED, talon_number=f"KZ71-LEGAL-{citizen.id:06d}",
                              accepted_at=utcnow())
    db.session.add(appointment)
    chamber = make_body()
    kz71, kz75 = region_id(db, "KZ-71"), region_id(db, "KZ-75")
    result = Case(appointment=appointment, official=official, citizen=citizen,
                  assistant=make_user(Role.ASSISTANT, body=body, email=f"assistant{citizen.id}@example.kz"),
                  consultant=make_user(Role.LEGAL_CONSULTANT, body=chamber, region_id=kz71),
                  other_consultant=make_user(Role.LEGAL_CONSULTANT, body=chamber, region_id=kz71),
                  far_consultant=make_user(Role.LEGAL_CONSULTANT, body=chamber, region_id=kz75))
    db.session.commit()
    return result
