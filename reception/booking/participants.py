"""Who takes part in an appointment besides the citizen and the official's side, and who may change that.

The official's side (the official, an assistant of the official's body, an administrator)
invites agency representatives, legal consultants, interpreters and other staff, removes
them, and may delegate moderation of the video call to one of them.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..accounts.models import User, UserRole
from ..audit.models import AuditAction
from ..audit.services import record_change
from ..core.errors import Invalid, NotAllowed, NotFound
from ..core.permissions import Role
from ..directory.queries import get
from ..extensions import db
from .announce import announce_participant_invited
from .models import ACTIVE_STATUSES, Appointment, Participant, ParticipantKind
from .policy import is_officials_side

#: Staff who may be invited, and the kind of participant each role is by default.
INVITABLE_ROLES = {Role.AGENCY_REP: ParticipantKind.AGENCY_REP, Role.LEGAL_CONSULTANT: ParticipantKind.LEGAL_CONSULTANT,
                   Role.ASSISTANT: ParticipantKind.STAFF, Role.OFFICIAL: ParticipantKind.STAFF}
MSG_NOT_YOURS = _l("Only the official's side may change who takes part in this reception.")


def candidates(appointment: Appointment) -> list[User]:
    """Active staff who may be invited: agency representatives, legal consultants, assistants and
    officials, without those already taking part, the official and the citizen."""
    taken = {p.user_id for p in appointment.participants} | {appointment.citizen_id}
    if appointment.official.user_id:
        taken.add(appointment.official.user_id)
    users = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(list(INVITABLE_ROLES)), User.is_active)
        .order_by(User.full_name).distinct()).all()
    return [u for u in users if u.id not in taken]


def _check_can_change(actor, appointment: Appointment) -> None:
    if not is_officials_side(actor, appointment):
        raise NotAllowed(MSG_NOT_YOURS)
    if appointment.status not in ACTIVE_STATUSES:
        raise Invalid(_l("This appointment is no longer active: its participants cannot change."))


def add_participant(actor, appointment: Appointment, user_id: int, kind: ParticipantKind, is_moderator: bool,
                    now: datetime) -> Participant:
    """Invite a staff member; adds and flushes, the caller commits (a twin invitation is a Conflict there)."""
    _check_can_change(actor, appointment)
    user = get(User, user_id)
    if user is None or not user.is_active or not (user.roles & set(INVITABLE_ROLES)):
        raise Invalid(_l("Choose an active agency representative, legal consultant or staff member."),
                      field="user_id")
    if user.id == appointment.citizen_id:
        raise Invalid(_l("The citizen cannot be invited as a participant."), field="user_id")
    if any(p.user_id == user.id for p in appointment.participants):
        raise Invalid(_l("This person already takes part."), field="user_id")
    participant = Participant(appointment=appointment, user=user, body_id=user.body_id, kind=kind,
                              is_moderator=bool(is_moderator), invited_by_id=actor.id, created_at=now)
    db.session.add(participant)
    db.session.flush()
    if appointment.slot_id is not None:  # a request without a time yet has nothing to announce
        announce_participant_invited(participant)
    return participant


def _own_participant(appointment: Appointment, participant_id: int) -> Participant:
    participant = get(Participant, participant_id)
    if participant is None or participant.appointment_id != appointment.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    return participant


def remove_participant(actor, appointment: Appointment, participant_id: int) -> None:
    _check_can_change(actor, appointment)
    participant = _own_participant(appointment, participant_id)
    gone = {"appointment_id": (participant.appointment_id, None), "user_id": (participant.user_id, None),
            "kind": (participant.kind, None)}
    db.session.execute(delete(Participant).where(Participant.id == participant.id))
    record_change("participant", participant.id, gone, action=AuditAction.DELETE)
    db.session.expire(appointment, ["participants"])


def set_moderator(actor, appointment: Appointment, participant_id: int, moderator: bool) -> Participant:
    """Delegate (or take back) moderation of the video call; takes effect at the participant's next join."""
    _check_can_change(actor, appointment)
    participant = _own_participant(appointment, participant_id)
    participant.is_moderator = bool(moderator)
    db.session.flush()
    return participant
