"""Words for raw codes on staff pages: the audit record's field names, values and page names, and the
outbox's statuses, channels and kinds. Each enum's labels live next to the enum; this module gathers them
per recorded field and adds the few that no other page needed yet."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..booking.models import PARTICIPANT_KIND_LABELS, STATUS_LABELS, ParticipantResponse
from ..directory.models import BODY_LEVEL_LABELS
from ..hearings.models import INVITATION_STATUS_LABELS
from ..legal.models import ADDRESSEE_LABELS, OPINION_STATUS_LABELS, REVIEW_STATUS_LABELS
from ..monitoring.models import ACTION_KIND_LABELS, AlertKind
from ..notifications.models import CHANNEL_LABELS, KIND_LABELS, OUTBOX_STATUS_LABELS
from ..outcomes.forms import CONTACT_CHANNEL_LABELS
from ..outcomes.models import ACCESS_REPORT_KIND_LABELS, INSTRUCTION_STATUS_LABELS, OUTCOME_RESULT_LABELS, ReportVerdict
from ..requests.rules import DECISION_LABELS, DECLINE_GROUND_LABELS
from ..schedule.models import FORMAT_LABELS

PARTICIPANT_RESPONSE_LABELS = {
    ParticipantResponse.INVITED: _l("Invited"),
    ParticipantResponse.ACCEPTED: _l("Will attend"),
    ParticipantResponse.DECLINED: _l("Will not attend"),
    ParticipantResponse.ATTENDED: _l("Attended"),
}

REPORT_VERDICT_LABELS = {ReportVerdict.ACCEPTED: _l("Report accepted"),
                         ReportVerdict.RETURNED: _l("Report returned to the body")}

ALERT_KIND_LABELS = {
    AlertKind.NOT_HELD: _l("Receptions not held"),
    AlertKind.LOW_SUPPLY: _l("Too little reception time"),
    AlertKind.OVERDUE: _l("Overdue instructions"),
    AlertKind.RISING_TOPIC: _l("A topic on the rise"),
    AlertKind.REPEATED: _l("A citizen came back with the same question"),
    AlertKind.ACCESS_REPORT: _l("A citizen's report"),
}

#: The audit record's field names (model columns, and the details of a page view).
FIELD_LABELS = {
    "accepted_at": _l("Accepted at"),
    "accepted_by_name": _l("Accepted by"),
    "action": _l("Action"),
    "actor_id": _l("By user"),
    "addressee": _l("Recommended addressee"),
    "addressee_body_id": _l("Addressee body"),
    "addressee_detail": _l("Addressee details"),
    "alert_kind": _l("Kind of alert"),
    "appeal_numbers": _l("Earlier appeal numbers"),
    "appeal_type": _l("Kind of appeal"),
    "appointment_id": _l("Appointment"),
    "appointments": _l("Appointments"),
    "assessment": _l("Assessment"),
    "attendee_id": _l("Attendee"),
    "author_id": _l("Author"),
    "body_id": _l("Body"),
    "cancel_reason": _l("Reason for cancelling"),
    "cancelled_at": _l("Cancelled at"),
    "channel": _l("Channel"),
    "checked_in_at": _l("Checked in at"),
    "citizen_id": _l("Citizen"),
    "closed_at": _l("Closed at"),
    "closed_by_id": _l("Closed by"),
    "co_applicants": _l("Co-applicants"),
    "comment": _l("Comment"),
    "conclusion": _l("Conclusion"),
    "confirmed": _l("Confirmed by the citizen"),
    "consultant_id": _l("Legal consultant"),
    "contacted_at": _l("Contacted at"),
    "content_type": _l("File type"),
    "created_at": _l("Created at"),
    "decided_at": _l("Decided at"),
    "decided_by_id": _l("Decided by"),
    "decision": _l("Decision"),
    "decision_note": _l("Note on the decision"),
    "decline_ground": _l("Ground for declining"),
    "due_on": _l("Due date"),
    "extended_at": _l("Extended at"),
    "extension_reason": _l("Reason for the extension"),
    "filename": _l("File name"),
    "findings": _l("Findings"),
    "finished_at": _l("Finished at"),
    "flagged_by_id": _l("Flagged by"),
    "format": _l("Format"),
    "given_on": _l("Given on"),
    "grounds": _l("Grounds"),
    "id": _l("Number"),
    "instruction_id": _l("Instruction"),
    "invited_by_id": _l("Invited by"),
    "is_moderator": _l("Moderator of the call"),
    "item_key": _l("Item"),
    "kind": _l("Kind"),
    "level": _l("Level"),
    "near_warned_for": _l("Reminded of the due date"),
    "needs_sign_language": _l("Needs a sign-language interpreter"),
    "needs_wheelchair": _l("Needs wheelchair access"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "official_id": _l("Official"),
    "opinion_id": _l("Legal opinion"),
    "original_due_on": _l("Original due date"),
    "outcome_id": _l("Outcome"),
    "overdue_warned_for": _l("Warned of the delay"),
    "page": _l("Page"),
    "period": _l("Period"),
    "period_end": _l("Period end"),
    "period_start": _l("Period start"),
    "position": _l("Position"),
    "question_id": _l("Question"),
    "reason": _l("Reason"),
    "recommended_action": _l("Recommended action"),
    "recorded_at": _l("Recorded at"),
    "recorded_by_id": _l("Recorded by"),
    "redirect_body_id": _l("Body the request was sent to"),
    "redirect_due_on": _l("Body's answer due"),
    "region_id": _l("Region"),
    "report_id": _l("Report"),
    "required": _l("Attendance required"),
    "rescheduled_from_id": _l("Moved from appointment"),
    "responded_at": _l("Answered at"),
    "responded_by_id": _l("Answered by"),
    "response": _l("Answer"),
    "responsible_name": _l("Responsible person"),
    "result": _l("Result"),
    "review_id": _l("Legal review"),
    "reviewed_at": _l("Reviewed at"),
    "reviewed_by_id": _l("Reviewed by"),
    "score": _l("Score"),
    "sent_at": _l("Sent at"),
    "session_id": _l("Reception session"),
    "sha256": _l("File checksum"),
    "signed_at": _l("Signed at"),
    "size": _l("Size"),
    "slot_id": _l("Reception time"),
    "staff_id": _l("Staff member"),
    "started_at": _l("Started at"),
    "status": _l("Status"),
    "studio_id": _l("Studio"),
    "summary": _l("Summary"),
    "taken_at": _l("Taken at"),
    "talon_number": _l("Talon number"),
    "talon_token": _l("Talon link"),
    "text": _l("Text"),
    "topic_id": _l("Topic"),
    "updated_at": _l("Updated at"),
    "uploaded_by_id": _l("Uploaded by"),
    "user_id": _l("User"),
    "verdict": _l("Verdict"),
    "verdict_at": _l("Verdict at"),
    "verdict_by_id": _l("Verdict by"),
    "verdict_note": _l("Note on the verdict"),
    "version": _l("Version"),
    "wording": _l("Wording"),
}

#: The pages whose views of personal data are recorded (``record_view``'s ``what``).
PAGE_LABELS = {
    "answer to a citizen's report": _l("Answer to a citizen's report"),
    "attachment download": _l("Attachment download"),
    "body invitation": _l("Invitation of a body"),
    "body invitations": _l("Invitations of the body"),
    "case brief": _l("Case brief"),
    "citizen's report": _l("Citizen's report"),
    "contact": _l("Contact with the citizen"),
    "citizens' reports": _l("Citizens' reports"),
    "day board": _l("Day board"),
    "extend": _l("Extending an instruction"),
    "follow-ups": _l("Follow-ups"),
    "instruction": _l("Instruction"),
    "instructions of the body": _l("Instructions of the body"),
    "legal case": _l("Legal case"),
    "legal opinion": _l("Legal opinion"),
    "legal review flag": _l("Flag for legal review"),
    "my receptions": _l("My receptions"),
    "needs attention": _l("Needs attention"),
    "outcome": _l("Outcome of a reception"),
    "participants": _l("Participants"),
    "request screening": _l("Request screening"),
    "screening queue": _l("Screening queue"),
    "studio week": _l("Studio week"),
    "verdict": _l("Verdict on a report"),
}

#: Per recorded field, the words for its coded values (the same field name means the same enum in
#: every audited model, except ``kind`` and ``status``, which are looked up per entity).
VALUE_LABELS: dict[str, dict] = {
    "action": ACTION_KIND_LABELS,
    "addressee": ADDRESSEE_LABELS,
    "alert_kind": ALERT_KIND_LABELS,
    "channel": CONTACT_CHANNEL_LABELS,
    "decision": DECISION_LABELS,
    "decline_ground": DECLINE_GROUND_LABELS,
    "format": FORMAT_LABELS,
    "level": BODY_LEVEL_LABELS,
    "page": PAGE_LABELS,
    "response": PARTICIPANT_RESPONSE_LABELS,
    "result": OUTCOME_RESULT_LABELS,
    "verdict": REPORT_VERDICT_LABELS,
}

ENTITY_VALUE_LABELS: dict[tuple[str, str], dict] = {
    ("access_report", "kind"): ACCESS_REPORT_KIND_LABELS,
    ("participant", "kind"): PARTICIPANT_KIND_LABELS,
    ("appointment", "status"): STATUS_LABELS,
    ("body_invitation", "status"): INVITATION_STATUS_LABELS,
    ("instruction", "status"): INSTRUCTION_STATUS_LABELS,
    ("legal_opinion", "status"): OPINION_STATUS_LABELS,
    ("legal_review", "status"): REVIEW_STATUS_LABELS,
}


def _lookup(labels: dict, value):
    # Enum-keyed dicts (StrEnum) match their plain string value as well.
    label = labels.get(value)
    return value if label is None else str(label)


def field_label(name: str) -> str:
    """The words for a recorded field's name (the name itself when it has none yet)."""
    return _lookup(FIELD_LABELS, name)


def value_label(value, name: str, entity: str = "") -> str:
    """The words for a recorded field's coded value (the value itself when it is not a code)."""
    labels = ENTITY_VALUE_LABELS.get((entity, name)) or VALUE_LABELS.get(name)
    return value if labels is None else _lookup(labels, value)


def outbox_status_label(status) -> str:
    return _lookup(OUTBOX_STATUS_LABELS, status)


def outbox_kind_label(kind: str) -> str:
    return _lookup(KIND_LABELS, kind)


def channel_label(channel) -> str:
    return _lookup(CHANNEL_LABELS, channel)
