"""Holding receptions: bodies invited by competence and their answers, and the day board's steps.

Every function adds and flushes in the caller's transaction; the view commits. Notifications go
through the outbox (reception.notifications) in the same transaction. State changes of an
appointment or a session are single ``UPDATE ... WHERE status = expected`` statements, so of two
people pressing the same button at once exactly one wins and the other gets a Conflict.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User, UserRole
from ..audit.services import record_change
from ..booking.announce import announce_participant_invited
from ..booking.lifecycle import Action, transition
from ..booking.models import Appointment, AppointmentStatus, Participant, ParticipantKind, ParticipantResponse
from ..booking.policy import is_officials_side
from ..booking.services import check_in
from ..core.clock import local_today
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.permissions import Permission, Role, acts_for_official
from ..core.web import absolute_url
from ..directory.models import Body
from ..directory.queries import competence_shape, competent_bodies, get
from ..extensions import db
from ..notifications.services import notify
from ..schedule.models import ReceptionSession, SessionStatus
from .models import BodyInvitation, InvitationStatus

#: Appointments whose invitations can still be answered or changed.
LIVE_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN)
#: The day board warns when a required body has not confirmed this long before the reception.
WARN_BEFORE = timedelta(days=1)
MAX_REASON = 2000

MSG_NOT_THEIRS = _l("This invitation is for another body. Only its agency representatives may answer it.")
MSG_NOT_LIVE = _l("This reception has been cancelled, moved or has already taken place: "
                  "the invitation can no longer be answered.")


# --- invitations by competence -------------------------------------------------------------------

def competent_body_ids(appointment: Appointment) -> list[int]:
    """The active bodies competent for the appointment's topic (or its parent topic) in the citizen's
    region, plus the central bodies so competent when the official's body is central or the
    Presidential Administration; never the official's own body (the rule:
    :func:`reception.directory.queries.competent_bodies`)."""
    official_body = appointment.official.body
    region_id = appointment.citizen.region_id
    shape = competence_shape(official_body.level, region_id)
    if shape is None:
        return []
    return sorted(db.session.scalars(competent_bodies(*shape), {
        "region": region_id, "topic": appointment.topic_id, "body": official_body.id}))


def _add_invitation(appointment: Appointment, body_id: int, *, required: bool, invited_by_id: int | None,
                    now: datetime, **answer) -> BodyInvitation | None:
    """Insert one invitation in a savepoint; None when the body is already invited (a twin won the race)."""
    invitation = BodyInvitation(appointment_id=appointment.id, body_id=body_id, required=required,
                                invited_by_id=invited_by_id, created_at=now, **answer)
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError:
        return None
    return invitation


def body_representatives(body_id: int) -> list[User]:
    """The body's active agency representatives, by name."""
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.AGENCY_REP, User.body_id == body_id, User.is_active)
        .order_by(User.full_name, User.id).distinct()))


def announce_body_invited(invitation: BodyInvitation) -> None:
    """Tell each active agency representative of the invited body, in their language, with the
    reception's local date, time and zone and the address of the invitations page."""
    appointment = invitation.appointment
    respond_url = absolute_url("hearings.invitation_respond", invitation_id=invitation.id)
    for user in body_representatives(invitation.body_id):
        subject = _l("Your body is invited to a citizen's reception with %(name)s",
                     name=appointment.official.full_name)  # rendered in the user's language by the outbox
        notify(user, "body_invited", subject, "body_invited", dedupe_key=f"body_invited:{invitation.id}:{user.id}",
               appointment_id=appointment.id, invitation=invitation, respond_url=respond_url,
               with_context="appointment", appointment=appointment)


def invite_competent_bodies(appointment: Appointment, now: datetime, *, fresh: bool = False,
                            body_ids: list[int] | None = None) -> list[BodyInvitation]:
    """Invite (required) every competent body not yet invited and notify its representatives.

    Called when an appointment becomes scheduled (``fresh``: just inserted in this transaction, so
    no body can have been invited yet). ``body_ids``: the competent bodies as the caller already read them
    in this transaction (a booking reads them with its checks), else :func:`competent_body_ids`. A body
    already invited is left as it is (the unique key appointment+body makes a concurrent twin a no-op).
    Returns the new invitations.
    """
    if appointment.slot_id is None:
        return []
    taken = set() if fresh else set(db.session.scalars(
        select(BodyInvitation.body_id).where(BodyInvitation.appointment_id == appointment.id)))
    made = []
    for body_id in competent_body_ids(appointment) if body_ids is None else body_ids:
        if body_id in taken:
            continue
        invitation = _add_invitation(appointment, body_id, required=True, invited_by_id=None, now=now)
        if invitation is not None:
            announce_body_invited(invitation)
            made.append(invitation)
    return made


def carry_invitations(old: Appointment, new: Appointment, now: datetime) -> None:
    """A rescheduled appointment keeps its invitations and their answers: each is copied to ``new``
    (with the named attendee as a participant again), then bodies competent and not yet invited
    are invited."""
    for invitation in db.session.scalars(select(BodyInvitation).where(BodyInvitation.appointment_id == old.id)):
        copy = _add_invitation(new, invitation.body_id, required=invitation.required,
                               invited_by_id=invitation.invited_by_id, now=invitation.created_at,
                               status=invitation.status, attendee_id=invitation.attendee_id,
                               reason=invitation.reason, responded_by_id=invitation.responded_by_id,
                               responded_at=invitation.responded_at)
        if copy is not None and copy.status is InvitationStatus.ACCEPTED and copy.attendee_id is not None:
            _seat_attendee(new, copy, db.session.get(User, copy.attendee_id), invitation.responded_by_id, now,
                           announce=False)
    invite_competent_bodies(new, now)


def on_booked(appointment: Appointment, now: datetime, fresh: bool = False,
              competent_body_ids: list[int] | None = None, **_) -> None:
    """Receiver of reception.booking.signals.booked (``fresh``: a booking inserted in this transaction;
    ``competent_body_ids``: the competent bodies, when the booking read them with its checks)."""
    invite_competent_bodies(appointment, now, fresh=fresh, body_ids=competent_body_ids)


def on_rescheduled(old: Appointment, now: datetime, new: Appointment, **_) -> None:
    """Receiver of reception.booking.signals.rescheduled."""
    carry_invitations(old, new, now)


# --- the body answers --------------------------------------------------------------------------------

def can_respond(user, invitation: BodyInvitation) -> bool:
    """An active agency representative of the invited body, or an administrator."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.can(Permission.INVITATION_RESPOND_OWN) and user.body_id == invitation.body_id


def get_invitation(invitation_id: int) -> BodyInvitation:
    invitation = get(BodyInvitation, invitation_id)
    if invitation is None:
        raise NotFound(_l("The page or record you asked for does not exist."))
    return invitation


def is_answerable(invitation: BodyInvitation, now: datetime) -> bool:
    appointment = invitation.appointment
    return appointment.status in LIVE_STATUSES and appointment.slot is not None and appointment.slot.ends_at > now


def _drop_participant(appointment_id: int, user_id: int | None) -> None:
    if user_id is not None:  # through the ORM, so the audit log records the removal
        for participant in db.session.scalars(select(Participant).where(
                Participant.appointment_id == appointment_id, Participant.user_id == user_id,
                Participant.kind == ParticipantKind.AGENCY_REP)):
            db.session.delete(participant)
        db.session.flush()


def _seat_attendee(appointment: Appointment, invitation: BodyInvitation, attendee: User, actor_id: int | None,
                   now: datetime, *, announce: bool) -> Participant:
    """Make ``attendee`` a participant (agency representative, accepted) of the appointment."""
    participant = db.session.scalar(select(Participant).where(Participant.appointment_id == appointment.id,
                                                              Participant.user_id == attendee.id))
    if participant is None:
        participant = Participant(appointment_id=appointment.id, user_id=attendee.id, body_id=invitation.body_id,
                                  kind=ParticipantKind.AGENCY_REP, response=ParticipantResponse.ACCEPTED,
                                  invited_by_id=actor_id, created_at=now)
        db.session.add(participant)
        db.session.flush()
        if announce:
            announce_participant_invited(participant)
    else:
        participant.response = ParticipantResponse.ACCEPTED
    db.session.flush()
    return participant


def respond_to_invitation(actor, invitation: BodyInvitation, accept: bool, attendee_id: int | None,
                          reason: str | None, now: datetime) -> BodyInvitation:
    """Accept naming who attends (an active representative of the same body; the actor by default) or
    decline with a reason. Accepting makes the attendee an agency-representative participant (replacing
    the one named before, who is removed); declining removes the named participant.

    Raises NotAllowed (not a representative of the invited body), Conflict (the appointment is
    cancelled, moved or over) and Invalid (no reason to decline, an attendee from elsewhere).
    """
    if not can_respond(actor, invitation):
        raise NotAllowed(MSG_NOT_THEIRS)
    # One answer at a time per invitation: lock its row (PostgreSQL), then look again.
    db.session.execute(select(BodyInvitation.id).where(BodyInvitation.id == invitation.id).with_for_update())
    db.session.refresh(invitation)
    if not is_answerable(invitation, now):
        raise Conflict(MSG_NOT_LIVE)
    appointment = invitation.appointment
    previous = invitation.attendee_id
    if accept:
        attendee = get(User, attendee_id) if attendee_id else (actor if actor.body_id == invitation.body_id else None)
        if (attendee is None or not attendee.is_active or not attendee.has_role(Role.AGENCY_REP)
                or attendee.body_id != invitation.body_id):
            raise Invalid(_l("Choose an active agency representative of your body."), field="attendee_id")
        if attendee.id != previous:
            _drop_participant(appointment.id, previous)
        db.session.expire(appointment, ["participants"])
        _seat_attendee(appointment, invitation, attendee, actor.id, now, announce=attendee.id != actor.id)
        invitation.status, invitation.attendee_id, invitation.reason = InvitationStatus.ACCEPTED, attendee.id, None
    else:
        reason = (reason or "").strip()
        if not reason:
            raise Invalid(_l("Please write why your body cannot attend."), field="reason")
        if len(reason) > MAX_REASON:
            raise Invalid(_l("Please keep the reason shorter."), field="reason")
        _drop_participant(appointment.id, previous)
        invitation.status, invitation.attendee_id, invitation.reason = InvitationStatus.DECLINED, None, reason
    invitation.responded_by_id, invitation.responded_at = actor.id, now
    db.session.expire(appointment, ["participants"])
    db.session.flush()
    return invitation


# --- the official's side invites or withdraws -----------------------------------------------------

def invitable_bodies(appointment: Appointment) -> list[Body]:
    """Active bodies the official's side may invite: any but the official's own and those invited."""
    taken = set(db.session.scalars(select(BodyInvitation.body_id)
                                   .where(BodyInvitation.appointment_id == appointment.id)))
    taken.add(appointment.official.body_id)
    bodies = db.session.scalars(select(Body).where(Body.is_active).order_by(Body.level, Body.id)).all()
    return [b for b in bodies if b.id not in taken]


def _check_officials_side(actor, appointment: Appointment) -> None:
    if not is_officials_side(actor, appointment):
        raise NotAllowed(_l("Only the official's side may change who takes part in this reception."))
    if appointment.status not in LIVE_STATUSES or appointment.slot_id is None:
        raise Conflict(_l("This appointment is no longer active: its participants cannot change."))


def invite_body(actor, appointment: Appointment, body_id: int, required: bool, now: datetime) -> BodyInvitation:
    """The official's side invites another body (required or not) and its representatives are told.
    Raises NotAllowed, Conflict (appointment not active) and Invalid (no such active body, own body,
    already invited)."""
    _check_officials_side(actor, appointment)
    body = get(Body, body_id)
    if body is None or not body.is_active:
        raise Invalid(_l("Choose an active body."), field="body_id")
    if body.id == appointment.official.body_id:
        raise Invalid(_l("The official's own body takes part anyway."), field="body_id")
    invitation = _add_invitation(appointment, body.id, required=bool(required), invited_by_id=actor.id, now=now)
    if invitation is None:
        raise Invalid(_l("This body is already invited."), field="body_id")
    announce_body_invited(invitation)
    return invitation


def withdraw_invitation(actor, appointment: Appointment, invitation_id: int) -> None:
    """Withdraw a body's invitation; the person it named no longer takes part."""
    _check_officials_side(actor, appointment)
    invitation = get(BodyInvitation, invitation_id)
    if invitation is None or invitation.appointment_id != appointment.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    _drop_participant(appointment.id, invitation.attendee_id)
    db.session.delete(invitation)
    db.session.flush()
    db.session.expire(appointment, ["participants"])


# --- the day board ----------------------------------------------------------------------------------

def can_run_board(user, official) -> bool:
    """The official themself, an assistant of the official's body, or an administrator."""
    return acts_for_official(user, official, Permission.BOARD_RUN)


class Step:
    CHECK_IN = "check_in"
    NO_SHOW = "no_show"
    START = "start"
    FINISH = "finish"
    ALL = ("check_in", "no_show", "start", "finish")


_DONE_MESSAGES = {
    Step.CHECK_IN: _l("The citizen is checked in."),
    Step.NO_SHOW: _l("Marked: the citizen did not come."),
    Step.START: _l("The reception has started."),
    Step.FINISH: _l("The reception is finished and marked as held."),
}


def step_done_message(step: str) -> str:
    return str(_DONE_MESSAGES[step])


def advance_appointment(actor, appointment: Appointment, step: str, now: datetime) -> None:
    """One step of the day board, each a transition of :mod:`reception.booking.lifecycle`: check in
    (scheduled → checked in, on the reception's day: :func:`reception.booking.services.check_in`), no-show
    (scheduled or checked in → no-show, once the slot has started), start (sets started_at; checks in if
    not yet), finish (started → held, finished_at). Raises NotAllowed, Invalid (an unknown step, too early)
    and Conflict when the appointment is not in the expected state (someone else was quicker)."""
    if not can_run_board(actor, appointment.official):
        raise NotAllowed(_l("Only the official's side may run this reception."))
    if step not in Step.ALL:
        raise Invalid(_l("The form is damaged. Reload the page and send it again."))
    if appointment.slot is None or appointment.session is None:
        raise Conflict(_l("This request has no reception time."))
    if local_today(appointment.session.timezone, now) < appointment.session.local_date:
        raise Conflict(_l("This reception is on another day. It can be run on its day."))
    if step == Step.CHECK_IN:
        check_in(appointment, now)
    elif step == Step.NO_SHOW:
        if now < appointment.slot.starts_at:
            raise Conflict(_l("A citizen can be marked as not come only once their time has begun."))
        transition(appointment, Action.NO_SHOW, now)
    elif step == Step.START:
        transition(appointment, Action.START, now,
                   values={"started_at": now, "checked_in_at": appointment.checked_in_at or now})
    else:
        # Finishing what was never started is refused by the transition's guard; say why.
        transition(appointment, Action.FINISH, now, values={"finished_at": now},
                   conflict=_l("This reception has not started yet: start it before finishing it.")
                   if appointment.started_at is None and appointment.status in LIVE_STATUSES else None)
    db.session.flush()


def mark_session(actor, session: ReceptionSession, held: bool, reason: str | None, now: datetime) -> None:
    """Mark a session held or not held (with a reason), on or after its day; a cancelled session
    stays cancelled. Raises NotAllowed, Invalid (no reason, too early) and Conflict."""
    if not can_run_board(actor, session.official):
        raise NotAllowed(_l("Only the official's side may mark this reception session."))
    if local_today(session.timezone, now) < session.local_date:
        raise Invalid(_l("A session can be marked held or not held only on its day or later."))
    reason = (reason or "").strip() or None
    if not held and reason is None:
        raise Invalid(_l("Please write why the session was not held."), field="reason")
    if reason and len(reason) > MAX_REASON:
        raise Invalid(_l("Please keep the reason shorter."), field="reason")
    status = SessionStatus.HELD if held else SessionStatus.NOT_HELD
    old = session.status
    done = db.session.execute(
        update(ReceptionSession).where(ReceptionSession.id == session.id,
                                       ReceptionSession.status != SessionStatus.CANCELLED)
        .values(status=status, status_reason=reason, status_changed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(_l("This session was cancelled; it cannot be marked held or not held."))
    record_change("session", session.id, {"status": (old.value if old else None, status.value),
                                          "status_reason": (None, reason)})
    db.session.flush()
    db.session.expire(session)
