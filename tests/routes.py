"""What the route sweeps need: every route of the app, and a value for every URL argument."""
from __future__ import annotations

import re

import pytest

from reception import create_app
from reception.booking.models import Appointment, AppointmentStatus, Participant, ParticipantKind
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import VenueKind
from reception.schedule.models import AttendanceFormat, UnifiedDay
from tests.booking.fixtures import new_session
from tests.schedule.factories import event_world

PUBLIC_PREFIXES = ("directory.",)
PUBLIC = {"static", "main.index", "main.health", "main.choose_language", "accounts.register", "accounts.login",
          "accounts.logout", "accounts.forgot_password", "accounts.reset_password", "booking.search",
          "booking.verify_talon", "booking.verify_talon_token", "booking.official", "booking.lookup_names"}
# Any signed-in user, each seeing only their own data.
LOGIN_ONLY = {"main.home", "accounts.profile"}
# Any signed-in user's action on their own account: a POST that redirects back (not to the login page).
LOGIN_ACTIONS = {"accounts.end_other_sessions"}
# Phone-only citizens: a new password with a code sent by SMS (anyone may try: the code is the key); confirming
# the signed-in account's own phone, and asking for a new code (a button that redirects back).
PUBLIC |= {"accounts.reset_with_code"}
LOGIN_ONLY |= {"accounts.confirm_phone"}
LOGIN_ACTIONS |= {"accounts.send_phone_code"}
# Citizens' own bookings: other citizens get 404 for someone else's record, staff get 403.
CITIZEN_ONLY = {"booking.book", "booking.my_appointments", "booking.appointment", "booking.cancel"}
# Lists and forms scoped to the staff member's own body: staff of another body may open them
# (with the ':own' permission) but must not see body A's records there.
OWN_BODY_PAGES = {"schedule.schedules", "schedule.schedule_new", "schedule.sessions", "schedule.session_new",
                  "directory_admin.officials", "directory_admin.official_new", "directory_admin.venues",
                  "directory_admin.venue_new"}
# Request mode: a citizen's request form and choosing an offered time; the screening queue.
CITIZEN_ONLY |= {"requests.new", "requests.accept"}
OWN_BODY_PAGES |= {"requests.queue"}
# Unified reception days and visiting receptions: public pages, the body's own lists and forms.
PUBLIC |= {"events.unified_days", "events.unified_day", "events.visiting_list", "events.visiting"}
OWN_BODY_PAGES |= {"events.unified_sessions", "events.visiting_staff", "events.visiting_new"}
# Waitlist and rescheduling: the signed-in user's own places in line with the join form (staff have none);
# leaving a place in line and moving an appointment act on the citizen's own records.
LOGIN_ONLY |= {"booking.my_waitlist"}
CITIZEN_ONLY |= {"booking.reschedule", "booking.reschedule_confirm", "booking.waitlist_leave"}
# Citizen pages any citizen may open (their own list, or a form for a new booking or request):
# another citizen gets 200 there, not 404.
CITIZEN_OPEN = {"booking.my_appointments", "booking.book", "requests.new"}
# Video receptions and the staff's appointment pages. The join page and the call are for the
# appointment's participants only: everyone else (administrators too) gets 403.
PARTICIPANTS_ONLY = {"video.join_page", "video.join"}
OWN_BODY_PAGES |= {"staff.day", "video.studio"}
# Which staff roles may open an own-body page of another body (seeing none of body A's records).
OWN_BODY_ROLES = {"staff.day": {Role.ASSISTANT, Role.OFFICIAL}, "video.studio": {Role.STUDIO_OPERATOR}}
# A staff member's own list (any staff member gets 200 and sees only their own records; citizens 403).
STAFF_OWN = {"staff.my_receptions"}
# Calendar feeds: the .ics address is its own key (an unknown or replaced token is a 404, see
# tests/calendars); the owners' page lists only the user's own feeds (officials, assistants, studio
# operators); replacing an address is for the feed's owners (calendars.rotate: everyone else 403).
PUBLIC |= {"calendars.feed"}
# "Add to my calendar" on the talon: the citizen's own appointment as an .ics file.
CITIZEN_ONLY |= {"calendars.appointment_ics"}
OWN_BODY_PAGES |= {"calendars.index"}
OWN_BODY_ROLES["calendars.index"] = {Role.ASSISTANT, Role.OFFICIAL, Role.STUDIO_OPERATOR}
# Holding receptions (hearings): a body's invitations are for agency representatives (staff of another
# body see none of body A's); answering one is for the invited body's representatives; the day board's
# buttons, inviting or withdrawing bodies and the case brief are for the official's side (everyone else
# 403, so in no set).
OWN_BODY_PAGES |= {"hearings.invitations"}
OWN_BODY_ROLES["hearings.invitations"] = {Role.AGENCY_REP}
# Audit log (audit.events, audit.history): administrators only (AUDIT_VIEW); everyone else 403, so
# these endpoints are in no set above.
# Legal review: the consultants' queue and their log of free consultations are their own lists (a
# consultant of another region sees none of body A's cases); the case, its opinions and attachments are
# for consultants of the case's region (the world's review is in KZ-75; others 403); flagging, withdrawing
# and the official's view of the opinion are for the official's side (others 403).
OWN_BODY_PAGES |= {"legal.queue", "legal.consultations"}
OWN_BODY_ROLES["legal.queue"] = OWN_BODY_ROLES["legal.consultations"] = {Role.LEGAL_CONSULTANT}
# Outcomes and follow-up: recording an outcome, checking reports, contacts and extensions are for the
# official's side (others 403, so in no set); an instruction's page is also for the responsible body's
# representatives (the world's instruction is body A's: others 403). The lists are own-body lists: the
# body's instructions (agency representatives), the follow-ups of the side's receptions (assistants,
# officials). The citizen rates their own held reception (``reception_id``) and sends or reads their own
# reports of refused bookings; monitors read all reports (the world's names no official of body A).
CITIZEN_ONLY |= {"outcomes.rate", "outcomes.my_reports", "outcomes.report_new"}
# The citizen answers "is your problem solved?" on their own talon (POST only; another citizen 404, staff 403).
CITIZEN_ONLY |= {"outcomes.answer_solved"}
CITIZEN_OPEN |= {"outcomes.my_reports", "outcomes.report_new"}
OWN_BODY_PAGES |= {"outcomes.instructions", "outcomes.follow_ups", "outcomes.monitor_reports",
                   "outcomes.monitor_report"}
OWN_BODY_ROLES["outcomes.instructions"] = {Role.AGENCY_REP}
OWN_BODY_ROLES["outcomes.follow_ups"] = {Role.ASSISTANT, Role.OFFICIAL}
OWN_BODY_ROLES["outcomes.monitor_reports"] = OWN_BODY_ROLES["outcomes.monitor_report"] = {Role.MONITOR}
# Monitoring: monitors (and administrators) see every body's figures: the country's overview, the bodies
# table, each body's page and the monthly reports (printable, XLSX, CSV). A body's assistants and officials
# (the ':own' permission) open only their own body's page and report: body A's answer 403 to staff of another
# body, and so do the country's pages. ALL_BODIES_ROLES: who opens body A's figures without being of body A.
ALL_BODIES_ROLES = {endpoint: {Role.MONITOR} for endpoint in (
    "monitoring.overview", "monitoring.bodies", "monitoring.body", "monitoring.report", "monitoring.report_xlsx",
    "monitoring.report_csv", "monitoring.body_report", "monitoring.body_report_xlsx", "monitoring.body_report_csv")}
# Monitoring's map: monitors see every body; a body's assistants and officials open the map, a region's and
# the central bodies' tables with their own body's figures only (the world's body A is not theirs), and get
# 403 for another body's topics. Needs attention and answering a citizen's report are for monitors (and
# administrators). Public results need no login and show no personal data.
OWN_BODY_PAGES |= {"monitoring.map_regions", "monitoring.map_region", "monitoring.map_central",
                   "monitoring.map_body", "monitoring.attention", "monitoring.attention_report"}
for _endpoint in ("monitoring.map_regions", "monitoring.map_region", "monitoring.map_central"):
    OWN_BODY_ROLES[_endpoint] = {Role.MONITOR, Role.ASSISTANT, Role.OFFICIAL}
for _endpoint in ("monitoring.map_body", "monitoring.attention", "monitoring.attention_report"):
    OWN_BODY_ROLES[_endpoint] = {Role.MONITOR}
PUBLIC |= {"monitoring.results", "monitoring.results_body"}
# Booking by lot: any citizen may open a session's draw page (the world's session is booked as usual, and
# the page says so) and withdraw only their own application (another citizen has none: 404); opening a draw
# is for the body's schedule managers (others 403, so in no set).
CITIZEN_ONLY |= {"ballot.apply", "ballot.withdraw"}
CITIZEN_OPEN |= {"ballot.apply"}
# The SMS gateway's calls (Kannel): no login; a delivery report carries its message's signature (forged:
# 403), an SMS from a citizen the shared key RECEPTION_KANNEL_MO_SECRET (wrong: 403). tests/notifications.
PUBLIC |= {"notifications.kannel_report", "notifications.kannel_incoming"}
# API tokens (reception.api.pages): any signed-in user's own tokens page; revoking acts on the user's own token
# only (anyone else's is a 404: not even its existence is shown).
LOGIN_ONLY |= {"api_tokens.index"}
OWN_RECORDS = {"api_tokens.revoke"}
# Integration clients' webhooks (reception.api.webhook_pages): administrators only (everyone else 403, so in
# no set).
# The JSON API (reception.api.views) takes bearer tokens, never a session: its routes are walked by
# tests/api/test_sweep.py (anonymous, each role's token, a token lacking the scope), not by the session sweep.
# Every api.* endpoint is either public or needs the scope named here.
TOKEN_PREFIXES = ("api.",)
API_PUBLIC = {"api.openapi", "api.docs", "api.regions", "api.topics", "api.bodies", "api.body", "api.officials",
              "api.official", "api.slots"}
API_PUBLIC |= {"api.venues", "api.venue", "api.studios", "api.unified_days", "api.unified_day", "api.visiting_receptions", "api.visiting_reception", "api.results"}  # noqa: E501
API_SCOPES = {"api.my_appointments": "appointments:read", "api.my_appointment": "appointments:read",
              "api.book": "appointments:write", "api.cancel": "appointments:write"}
# API endpoints on one record of the citizen's own: another citizen's token gets 404 there.
API_OWN_RECORD = {"api.my_appointment", "api.cancel"}
# What an owner's POST of ``{}`` answers: 422 where the body names what to do (a slot, an offer, an answer), 200
# where the address alone says it (cancelling, withdrawing a request).
API_EMPTY_POST_422 = {"api.book"}
# The citizen's other resources (reception.api.citizen): moving an appointment, requests, the waitlist, the
# outcome. Reads need appointments:read, changes appointments:write; each one on a record of the citizen's own
# is a 404 for another citizen (before the body is read). The outcome and "solved?" are on the held reception
# (``reception_id``), a request is ``my_request_id``.
API_SCOPES |= {"api.reschedule": "appointments:write", "api.my_requests": "appointments:read",
               "api.my_request": "appointments:read", "api.send_request": "appointments:write",
               "api.accept_offer": "appointments:write", "api.withdraw_request": "appointments:write",
               "api.my_waitlist": "appointments:read", "api.my_waitlist_entry": "appointments:read",
               "api.join_waitlist": "appointments:write", "api.leave_waitlist": "appointments:write",
               "api.outcome": "appointments:read", "api.answer_solved": "appointments:write"}
API_OWN_RECORD |= {"api.reschedule", "api.my_request", "api.accept_offer", "api.withdraw_request",
                   "api.my_waitlist_entry", "api.leave_waitlist", "api.outcome", "api.answer_solved"}
API_EMPTY_POST_422 |= {"api.reschedule", "api.send_request", "api.accept_offer", "api.join_waitlist",
                       "api.leave_waitlist", "api.answer_solved"}
# Staff resources (reception.api.staff): the scope is the permission the page needs (its ':own' variant, which
# administrators hold too); API_STAFF names the roles whose tokens get through it (everyone else 403). Staff of
# another body with that role get 403 or 404, or 200 with none of body A's records in a list; body A's own staff
# (an assistant, or an agency representative of the body the world's instruction is given to) are let through.
_VIEW, _RUN, _OUTCOME, _REPORT, _SCREEN = (
    "booking:appointment:view:own", "hearings:board:run:own", "outcomes:outcome:record:own",
    "outcomes:instruction:report:own", "booking:request:screen:own")
API_SCOPES |= {"api.staff_day": _VIEW, "api.staff_step": _RUN, "api.staff_outcome": _OUTCOME,
               "api.staff_instructions": _REPORT, "api.staff_instruction": _REPORT, "api.staff_report": _REPORT,
               "api.staff_decision": _OUTCOME, "api.staff_requests": _SCREEN, "api.staff_request_decision": _SCREEN,
               "api.staff_legal_review": _VIEW, "api.staff_record_outcome": _OUTCOME}
_SIDE, _BODY, _SCREENING = ({Role.ASSISTANT, Role.OFFICIAL, Role.ADMIN}, {Role.AGENCY_REP, Role.ADMIN},
                            {Role.ASSISTANT, Role.ADMIN})
API_STAFF = {"api.staff_day": _SIDE, "api.staff_step": _SIDE, "api.staff_outcome": _SIDE,
             "api.staff_instructions": _BODY, "api.staff_instruction": _BODY, "api.staff_report": _BODY,
             "api.staff_decision": _SIDE, "api.staff_requests": _SCREENING, "api.staff_request_decision": _SCREENING,
             "api.staff_legal_review": _SIDE, "api.staff_record_outcome": _SIDE}
# Who of body A is the owner side of each staff endpoint in the sweep, and the request bodies its POSTs and PUTs
# send (a callable: made from the world's values).
API_STAFF_OWNER = {endpoint: Role.AGENCY_REP if roles == _BODY else Role.ASSISTANT
                   for endpoint, roles in API_STAFF.items()}
API_STAFF_BODIES = {"api.staff_report": {"text": "The heating works again.", "seen_status": "reported"},
                    "api.staff_decision": {"verdict": "accepted"},
                    "api.staff_request_decision": {"action": "resolve", "resolution": "Resolved by phone."},
                    "api.staff_record_outcome": lambda values: {
                        "notes": "The citizen was called back.", "seen_updated_at": values["outcome_updated_at"],
                        "questions": []}}
# Integration clients' administration (reception.api.client_pages): administrators only (API_CLIENT_MANAGE;
# everyone else 403, so in no session set). The integration API (reception.api.integration) is for
# integration clients' tokens only: a person's token can never hold its scopes (tests/api/test_sweep.py).
API_CLIENT_SCOPES = {"api.integration_send_request": "requests:on-behalf",
                     "api.integration_request": "requests:on-behalf:read",
                     "api.integration_requests": "requests:on-behalf:read"}
# Systemic issues: the list and the new-issue form are own-body pages (an assistant of another body sees none
# of body A's issues and starts one in their own body); monitors read every issue (the list and the issue page).
# The issue page, editing, status changes and (un)linking are for the working group's assistants (the world's
# issue is body A's: others 403). The linked citizen reads the issue on their own page (others 404, staff 403).
OWN_BODY_PAGES |= {"systemic.issues", "systemic.new"}
ALL_BODIES_ROLES["systemic.issues"] = ALL_BODIES_ROLES["systemic.issue"] = {Role.MONITOR}
CITIZEN_ONLY |= {"systemic.citizen_issue"}


def build_outcomes_world(db, official, venue, citizen, body_a, body_b) -> dict:
    """A held reception of the world's citizen with body A's official (``reception_id``), its outcome
    (one question, forwarded) with an instruction to body A that the body has reported on
    (``instruction_id``, its report ``instruction_report_id``), and a citizen's report of a refused booking
    at body A naming no official (``report_id``)."""
    from datetime import timedelta

    from reception.outcomes.models import (
        AccessReport,
        AccessReportKind,
        Instruction,
        InstructionReport,
        InstructionStatus,
        Outcome,
        OutcomeResult,
        Question,
    )

    now = utcnow().replace(microsecond=0)
    session = new_session(official, venue, start=(now - timedelta(days=2)).replace(minute=0, second=0))
    db.session.add(session)
    db.session.flush()
    held = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                       slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON, topic_id=1,
                       summary="No heating", status=AppointmentStatus.HELD, talon_number="KZ71-TEST-000099",
                       accepted_at=now - timedelta(days=5))
    db.session.add(held)
    db.session.flush()
    outcome = Outcome(appointment_id=held.id, notes="", recorded_at=now, updated_at=now)
    db.session.add(outcome)
    db.session.flush()
    question = Question(outcome_id=outcome.id, position=1, topic_id=held.topic_id, wording="No heating",
                        result=OutcomeResult.FORWARDED, body_id=body_a.id, created_at=now)
    db.session.add(question)
    db.session.flush()
    due = now.date() + timedelta(days=20)
    instruction = Instruction(question_id=question.id, body_id=body_a.id, responsible_name="Head of housing",
                              text="Repair the heating", appeal_type="complaint", due_on=due, original_due_on=due,
                              status=InstructionStatus.REPORTED, created_at=now)
    db.session.add(instruction)
    db.session.flush()
    author = db.session.get(type(citizen), citizen.id)  # any existing user will do as the report's author
    instruction_report = InstructionReport(instruction_id=instruction.id, author_id=author.id, text="Repaired",
                                           created_at=now)
    db.session.add(instruction_report)
    report = AccessReport(citizen_id=citizen.id, body_id=body_a.id, kind=AccessReportKind.NO_TIME,
                          text="No time for three months", created_at=now)
    db.session.add(report)
    db.session.flush()
    return {"reception_id": held.id, "instruction_id": instruction.id, "report_id": report.id,
            "question_id": question.id, "instruction_report_id": instruction_report.id,
            "outcome_updated_at": now.isoformat()}


def app_rules():
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return list(app.url_map.iter_rules())


def build_world(db, make_body, make_official, make_venue, make_user) -> dict:
    """Records of body A (and a citizen's appointment) to fill every URL argument."""
    body_a, body_b = make_body(), make_body()
    official = make_official(body=body_a, full_name="Official Of Body A")
    venue = make_venue(body=body_a)
    session = new_session(official, venue, start=(utcnow() + __import__("datetime").timedelta(days=3))
                          .replace(minute=0, second=0, microsecond=0))
    db.session.add(session)
    db.session.flush()
    citizen = make_user(Role.CITIZEN)
    # By video from body A's studio, with an agency representative of body B taking part.
    studio = make_venue(body=body_a, kind=VenueKind.STUDIO)
    appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format=AttendanceFormat.VIDEO_STUDIO,
                              studio_id=studio.id, topic_id=1, summary="A leaking roof",
                              status=AppointmentStatus.SCHEDULED, talon_number="KZ71-TEST-000001",
                              accepted_at=utcnow())
    db.session.add(appointment)
    db.session.flush()
    participant = Participant(appointment_id=appointment.id, user_id=make_user(Role.AGENCY_REP, body=body_b).id,
                              body_id=body_b.id, kind=ParticipantKind.AGENCY_REP)
    db.session.add(participant)
    db.session.flush()
    values = {
        "official_id": official.id, "venue_id": venue.id, "body_id": body_a.id,
        "user_id": make_user(Role.ASSISTANT, body=body_a).id, "region_id": 1, "topic_id": 1,
        "code": "KZ-15", "token": "not-a-token", "session_id": session.id, "slot_id": session.slots[1].id,
        "appointment_id": appointment.id, "talon_number": appointment.talon_number,
        "participant_id": participant.id, "token_id": build_token(citizen),
        "step": "start",  # a day board step of the API (the world's reception is on another day: 409)
    }
    values.update(build_request_world(db, body_a, official, venue, citizen, make_official, make_user))
    values.update(event_world(official, venue))  # unified_day_id, unified_session_id, visiting_id
    values["local_date"] = db.session.get(UnifiedDay, values["unified_day_id"]).local_date.isoformat()
    values["entry_id"] = build_waitlist_entry(db, official, citizen)
    values["feed_id"] = build_feed(official)
    values["message_id"] = build_outbox_message(citizen)
    values.update(build_audit_world(appointment))
    values.update(build_legal_world(appointment, make_user))  # review_id, opinion_id, attachment_id
    values.update(build_hearings_world(db, make_body, appointment))
    values.update(build_outcomes_world(db, official, venue, citizen, body_a, body_b))  # reception_id, …
    values.update(build_systemic_world(db, appointment, body_a, values["user_id"]))  # issue_id
    values["client_id"] = build_client(db, body_a)
    values.update(build_webhook_world(db, values["client_id"]))  # endpoint_id
    db.session.commit()
    return {"values": values, "body_b": body_b, "citizen": citizen, "marker": official.full_name}


def build_request_world(db, body_a, official, venue, citizen, make_official, make_user) -> dict:
    """Request mode in body A: the official also takes requests and has one waiting for screening
    (``request_id``); the citizen's request to a second official has an open offer (``my_request_id``)."""
    from datetime import timedelta

    from reception.booking.models import RequestDecision, SlotOffer
    from reception.schedule.models import BookingMode

    now = utcnow().replace(microsecond=0)
    start = (now + timedelta(days=4)).replace(minute=0, second=0)
    second = make_official(body=body_a, full_name="Second Official Of Body A")
    sessions = [new_session(o, venue, start=start + timedelta(days=i), booking_mode=BookingMode.REQUEST)
                for i, o in enumerate((official, second))]
    db.session.add_all(sessions)
    db.session.flush()
    details = dict(format=AttendanceFormat.IN_PERSON, topic_id=1, summary="The bridge to our village fell down",
                   redirect_due_on=now.date() + timedelta(days=5), created_at=now)
    waiting = Appointment(citizen_id=make_user(Role.CITIZEN).id, official_id=official.id,
                          status=AppointmentStatus.REQUESTED, **details)
    offered = Appointment(citizen_id=citizen.id, official_id=second.id, status=AppointmentStatus.SCREENING,
                          decision=RequestDecision.OFFERED, decided_at=now, **details)
    db.session.add_all([waiting, offered])
    slot = sessions[1].slots[0]
    slot.held_for_id, slot.held_until = citizen.id, now + timedelta(days=2)
    db.session.flush()
    db.session.add(SlotOffer(appointment_id=offered.id, slot_id=slot.id, expires_at=slot.held_until))
    db.session.flush()
    return {"request_id": waiting.id, "my_request_id": offered.id}


def build_token(citizen) -> int:
    """The citizen's personal access token (``token_id``): only its owner may revoke it."""
    from datetime import timedelta

    from reception.api.scopes import APPOINTMENTS_READ
    from reception.api.tokens import create_token

    token, _secret = create_token(citizen, "world", utcnow() + timedelta(days=30), [APPOINTMENTS_READ], utcnow())
    return token.id


def build_client(db, body_a) -> int:
    """Body A's integration client (``client_id``), with every integration scope."""
    from reception.api.models import ApiClient
    from reception.api.scopes import INTEGRATION_SCOPES

    client = ApiClient(name=f"System of body {body_a.id}", body_id=body_a.id, scopes=" ".join(INTEGRATION_SCOPES))
    db.session.add(client)
    db.session.flush()
    return client.id


def build_systemic_world(db, appointment, body_a, assistant_id) -> dict:
    """A systemic issue of body A (``issue_id``), coordinated by body A's assistant, with the citizen's
    appointment linked to it."""
    from reception.directory.models import Body
    from reception.systemic.models import IssueLink, IssueStatus, SystemicIssue

    issue = SystemicIssue(title="No heating in the district", description="Many houses", status=IssueStatus.OPEN,
                          coordinator_id=assistant_id, bodies=[db.session.get(Body, body_a.id)])
    db.session.add(issue)
    db.session.flush()
    db.session.add(IssueLink(issue_id=issue.id, appointment_id=appointment.id))
    db.session.flush()
    return {"issue_id": issue.id}


def build_waitlist_entry(db, official, citizen) -> int:
    """The citizen's place in the official's waitlist (``entry_id``)."""
    from reception.booking.models import WaitlistEntry

    entry = WaitlistEntry(citizen_id=citizen.id, official_id=official.id)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def build_feed(official) -> int:
    """The calendar feed of the official's agenda (``feed_id``): body A's, private."""
    from reception.calendars.feeds import get_or_create_feed
    from reception.calendars.models import FeedKind

    return get_or_create_feed(FeedKind.OFFICIAL, official.id).id


def build_legal_world(appointment, make_user) -> dict:
    """The appointment flagged for legal review in region KZ-75 (not the sweep users' region), taken by a
    consultant of that region, with a signed opinion and its attachment."""
    from reception.directory.models import Region
    from reception.extensions import db
    from reception.legal.models import (
        Addressee,
        LegalOpinion,
        LegalReview,
        OpinionAttachment,
        OpinionStatus,
        ReviewStatus,
    )

    region_id = db.session.query(Region.id).filter(Region.code == "KZ-75").scalar()
    consultant = make_user(Role.LEGAL_CONSULTANT, region_id=region_id)
    now = utcnow()
    review = LegalReview(appointment_id=appointment.id, region_id=region_id, reason="Land title",
                         status=ReviewStatus.TAKEN, consultant_id=consultant.id, taken_at=now)
    opinion = LegalOpinion(review=review, version=1, status=OpinionStatus.SIGNED, findings="f", assessment="a",
                           conclusion="c", recommended_action="r", addressee=Addressee.PROSECUTOR,
                           author_id=consultant.id, signed_at=now)
    attachment = OpinionAttachment(opinion=opinion, filename="a.pdf", content_type="application/pdf", size=8,
                                   sha256="0" * 64, data=b"%PDF-1.4")
    db.session.add_all([review, opinion, attachment])
    db.session.flush()
    return {"review_id": review.id, "opinion_id": opinion.id, "attachment_id": attachment.id}


def fill(rule: str, arguments, values) -> str:
    for arg in arguments:
        assert arg in values, f"add a value for URL argument {arg!r} to tests/routes.py build_world"
        rule = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{arg}>", str(values[arg]), rule)  # also any(...) converters
    return rule


@pytest.fixture
def world(db, make_body, make_official, make_venue, make_user):
    return build_world(db, make_body, make_official, make_venue, make_user)


def build_webhook_world(db, client_id: int) -> dict:
    """One webhook address of body A's integration client (its pages are for administrators only)."""
    from reception.api.webhook_models import WebhookEndpoint

    endpoint = WebhookEndpoint(client_id=client_id, url="https://hooks.example.kz/reception",
                               secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", events="appointment.booked")
    db.session.add(endpoint)
    db.session.flush()
    return {"endpoint_id": endpoint.id}


def build_outbox_message(citizen) -> int:
    """A password-reset e-mail waiting in the outbox (administrators see it rendered on its page)."""
    from reception.notifications.services import enqueue_email

    return enqueue_email(citizen, "password_reset", "Reset your password", "password_reset",
                         link="https://reception.test/reset/x", minutes=60).id


def build_audit_world(appointment) -> dict:
    """The audit history of one record: the citizen's appointment."""
    return {"entity": "appointment", "entity_id": appointment.id}


def build_hearings_world(db, make_body, appointment) -> dict:
    """A third body invited to the citizen's appointment (``invitation_id``), not yet answered."""
    from reception.hearings.models import BodyInvitation

    invitation = BodyInvitation(appointment_id=appointment.id, body_id=make_body().id, required=True)
    db.session.add(invitation)
    db.session.flush()
    return {"invitation_id": invitation.id}
