"""Legal review through the pages: flagging, the regional queue, taking a case, versioned opinions,
attachments, what the official's side and the citizen see, free consultations, and the audit record."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from reception.audit.models import AuditAction, AuditEvent
from reception.booking.models import Appointment
from reception.core.clock import utcnow
from reception.legal.models import FreeConsultation, LegalOpinion, LegalReview, OpinionStatus, ReviewStatus
from reception.notifications.models import OutboxMessage
from tests.conftest import as_sent, csrf_from, login

PDF = b"%PDF-1.4\n%test opinion attachment\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def as_user(app, client):
    """A separate browser for ``user``, logged in."""
    def make(user):
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(browser, user)
        return browser
    return make


def _post(browser, url, data=None, form_url="/", **kwargs):
    return browser.post(url, data={**(data or {}), "csrf_token": csrf_from(browser, form_url)}, **kwargs)


def _flag(as_user, case, reason="Is the land seizure lawful?"):
    assistant = as_user(case.assistant)
    url = f"/staff/appointments/{case.appointment.id}/legal-review"
    return assistant, _post(assistant, url, {"reason": reason}, form_url=url)


def _review(db, case) -> LegalReview:
    db.session.expire_all()
    return db.session.scalar(select(LegalReview).where(LegalReview.appointment_id == case.appointment.id))


def _taken(db, as_user, case):
    _, r = _flag(as_user, case)
    assert r.status_code == 302
    review = _review(db, case)
    consultant = as_user(case.consultant)
    assert _post(consultant, f"/legal/reviews/{review.id}/take").status_code == 302
    return consultant, review


FILLED = {"findings": "The plot was registered to the citizen in 2010.",
          "assessment": "The seizure lacks a court decision (Land Code, art. 84).",
          "conclusion": "The seizure was unlawful.", "recommended_action": "Ask the prosecutor to check.",
          "addressee": "prosecutor", "addressee_body_id": "0", "addressee_detail": ""}


def _draft(db, consultant, review, data=FILLED, sign=False):
    r = _post(consultant, f"/legal/reviews/{review.id}/opinions")
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    opinion = db.session.scalars(select(LegalOpinion).where(LegalOpinion.review_id == review.id)
                                 .order_by(LegalOpinion.version.desc())).first()
    extra = {"sign": "1"} if sign else {}
    r = _post(consultant, f"/legal/opinions/{opinion.id}", {**data, **extra})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    return opinion


# --- flagging and the queue ------------------------------------------------------------------

def test_a_flagged_case_reaches_only_the_queue_of_the_citizens_region(db, as_user, case):
    _, r = _flag(as_user, case)
    assert r.status_code == 302
    review = _review(db, case)
    assert review.status is ReviewStatus.QUEUED and review.region_id == case.citizen.region_id
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "legal_review_queued")))
    assert {case.consultant.id, case.other_consultant.id} <= told and case.far_consultant.id not in told

    page = as_user(case.consultant).get("/legal/").get_data(as_text=True)
    assert "Official Zhaksylykov" in page
    far = as_user(case.far_consultant)
    assert "Official Zhaksylykov" not in far.get("/legal/").get_data(as_text=True)
    assert far.get(f"/legal/reviews/{review.id}").status_code == 403
    assert _post(far, f"/legal/reviews/{review.id}/take").status_code == 403
    assert _review(db, case).status is ReviewStatus.QUEUED


def test_a_case_is_flagged_once(db, as_user, case):
    assistant, _ = _flag(as_user, case)
    url = f"/staff/appointments/{case.appointment.id}/legal-review"
    r = _post(assistant, url, {"reason": "again"}, form_url=url)
    assert r.status_code == 409
    assert "already been sent for legal review" in r.get_data(as_text=True)


def test_flag_with_an_empty_or_huge_reason_is_refused_and_writes_nothing(db, as_user, case):
    assistant = as_user(case.assistant)
    url = f"/staff/appointments/{case.appointment.id}/legal-review"
    assert _post(assistant, url, {"reason": ""}, form_url=url).status_code == 422
    assert _post(assistant, url, {"reason": "Ж" * 5000}, form_url=url).status_code == 422
    assert _review(db, case) is None


def test_assistant_of_another_body_and_consultants_cannot_flag(db, as_user, case, make_user):
    from reception.core.permissions import Role

    other = make_user(Role.ASSISTANT)
    db.session.commit()
    url = f"/staff/appointments/{case.appointment.id}/legal-review"
    assert as_user(other).get(url).status_code == 403
    assert _post(as_user(case.consultant), url, {"reason": "x"}).status_code == 403
    assert _review(db, case) is None


def test_the_officials_side_may_withdraw_until_an_opinion_is_signed(db, as_user, case):
    assistant, _ = _flag(as_user, case)
    url = f"/staff/appointments/{case.appointment.id}/legal-review/withdraw"
    assert _post(assistant, url).status_code == 302
    assert _review(db, case).status is ReviewStatus.WITHDRAWN
    assert "Official Zhaksylykov" not in as_user(case.consultant).get("/legal/").get_data(as_text=True)
    # Flagged again, taken and signed: no withdrawing any more.
    consultant, review = _taken(db, as_user, case)
    _draft(db, consultant, review, sign=True)
    r = _post(assistant, url)
    assert r.status_code == 409
    assert _review(db, case).status is ReviewStatus.TAKEN


def test_a_taken_case_leaves_the_queue_and_a_second_taker_gets_409(db, as_user, case):
    _, review = _taken(db, as_user, case)
    other = as_user(case.other_consultant)
    r = _post(other, f"/legal/reviews/{review.id}/take")
    assert r.status_code == 409
    assert "already taken" in r.get_data(as_text=True)
    review = _review(db, case)
    assert review.consultant_id == case.consultant.id and review.status is ReviewStatus.TAKEN
    # The other consultant may read it but not write.
    assert other.get(f"/legal/reviews/{review.id}").status_code == 200
    assert _post(other, f"/legal/reviews/{review.id}/opinions").status_code == 403


# --- the case page ---------------------------------------------------------------------------

def test_the_case_page_shows_what_the_citizen_submitted_and_records_the_view(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    page = consultant.get(f"/legal/reviews/{review.id}").get_data(as_text=True)
    for text in ("My land plot was taken by the akimat", "ЖТ-2025-1234", "Neighbour Bekov", "Wheelchair access",
                 "Official Zhaksylykov", "Is the land seizure lawful?", "Citizen Aitova"):
        assert text in page
    db.session.expire_all()
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                        AuditEvent.action == AuditAction.VIEW)).all()
    assert [(v.entity, v.entity_id, v.actor_id) for v in views] == [("legal_review", review.id, case.consultant.id)]


# --- opinions --------------------------------------------------------------------------------

def test_draft_then_signed_is_locked_and_a_change_is_a_new_version(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    first = _draft(db, consultant, review, sign=True)
    assert first.status is OpinionStatus.SIGNED and first.signed_at is not None
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "legal_opinion_signed")))
    assert case.assistant.id in told

    r = _post(consultant, f"/legal/opinions/{first.id}", {**FILLED, "conclusion": "Changed"})
    assert r.status_code == 409
    db.session.expire_all()
    assert db.session.get(LegalOpinion, first.id).conclusion == "The seizure was unlawful."

    second = _draft(db, consultant, review, {**FILLED, "conclusion": "Unlawful; compensation is due."})
    assert (second.version, second.status) == (2, OpinionStatus.DRAFT)
    assert second.findings == FILLED["findings"]  # copied from the signed version
    # A second "new version" while a draft exists is refused.
    assert _post(consultant, f"/legal/reviews/{review.id}/opinions").status_code == 409
    page = consultant.get(f"/legal/reviews/{review.id}").get_data(as_text=True)
    assert "Version 1" in page and "Draft, version 2" in page


def test_signing_needs_every_part_and_a_body_for_an_executive_addressee(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review, {**FILLED, "conclusion": ""})
    r = _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "conclusion": "", "sign": "1"})
    assert r.status_code == 422 and "Fill in before signing" in r.get_data(as_text=True)
    r = _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "addressee": "local_body", "sign": "1"})
    assert r.status_code == 422 and "Choose the executive body" in r.get_data(as_text=True)
    r = _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "addressee": "court_review", "sign": "1"})
    assert r.status_code == 422 and "which court decision" in r.get_data(as_text=True)
    r = _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "addressee": "local_body",
                                                            "addressee_body_id": str(case.official.body_id),
                                                            "sign": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(LegalOpinion, opinion.id).status is OpinionStatus.SIGNED


def test_sending_a_signed_opinion_closes_the_review(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    assert _post(consultant, f"/legal/opinions/{opinion.id}/send").status_code == 409  # a draft is not sent
    _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "sign": "1"})
    assert _post(consultant, f"/legal/opinions/{opinion.id}/send").status_code == 302
    db.session.expire_all()
    opinion = db.session.get(LegalOpinion, opinion.id)
    assert opinion.status is OpinionStatus.SENT and opinion.sent_at is not None
    assert opinion.review.status is ReviewStatus.DONE
    assert _post(consultant, f"/legal/opinions/{opinion.id}/send").status_code == 409


# --- attachments -----------------------------------------------------------------------------

def _upload(browser, opinion_id, content, filename):
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart({"csrf_token": csrf_from(browser, "/"),
                                       "file": FileStorage(io.BytesIO(content), filename=filename)})
    return browser.post(f"/legal/opinions/{opinion_id}/attachments", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")


def test_attachments_are_checked_stored_and_downloaded(app, db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    assert _upload(consultant, opinion.id, PDF, "Заключение.pdf").status_code == 302
    assert _upload(consultant, opinion.id, PNG, "plan.png").status_code == 302
    r = _upload(consultant, opinion.id, b"MZ\x90\x00 not a document", "virus.pdf")
    assert r.status_code == 422 and "PDF, JPEG, PNG or DOCX" in r.get_data(as_text=True)
    assert _upload(consultant, opinion.id, b"plain text", "notes.txt").status_code == 422
    db.session.expire_all()
    files = db.session.get(LegalOpinion, opinion.id).attachments
    assert [f.content_type for f in files] == ["application/pdf", "image/png"]
    import hashlib
    assert files[0].sha256 == hashlib.sha256(PDF).hexdigest() and files[0].data == PDF

    r = consultant.get(f"/legal/attachments/{files[0].id}")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    # Another region's consultant: 403; the official's side: only once signed.
    assert as_user(case.far_consultant).get(f"/legal/attachments/{files[0].id}").status_code == 403
    assistant = as_user(case.assistant)
    assert assistant.get(f"/legal/attachments/{files[0].id}").status_code == 403
    _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "sign": "1"})
    r = assistant.get(f"/legal/attachments/{files[1].id}")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert "plan.png" in r.headers["Content-Disposition"]
    # A signed version takes no more files.
    assert _upload(consultant, opinion.id, PDF, "late.pdf").status_code == 409


def test_a_file_over_the_limit_is_refused_with_413(app, db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    limit = app.config["MAX_ATTACHMENT_MB"]
    app.config["MAX_ATTACHMENT_MB"] = 1
    try:
        # Over the attachment limit but within the request's room: the service refuses it.
        r = _upload(consultant, opinion.id, PDF + b"0" * (1024 * 1024), "big.pdf")
        assert r.status_code == 413 and "at most 1 MB" in r.get_data(as_text=True)
        # Far over: the request body itself is refused before it is read.
        r = _upload(consultant, opinion.id, PDF + b"0" * (3 * 1024 * 1024), "huge.pdf")
        assert r.status_code == 413 and "at most 1 MB" in r.get_data(as_text=True)
    finally:
        app.config["MAX_ATTACHMENT_MB"] = limit
    db.session.expire_all()
    assert db.session.get(LegalOpinion, opinion.id).attachments == []


def test_a_file_larger_than_the_general_request_limit_is_accepted_up_to_the_attachment_limit(app, db, as_user,
                                                                                               case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    big = PDF + b"0" * (3 * 1024 * 1024)  # over MAX_CONTENT_LENGTH (2 MB), under 10 MB
    assert _upload(consultant, opinion.id, big, "scan.pdf").status_code == 302
    db.session.expire_all()
    assert db.session.get(LegalOpinion, opinion.id).attachments[0].size == len(big)


def test_an_upload_without_the_csrf_token_is_refused(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    r = consultant.post(f"/legal/opinions/{opinion.id}/attachments",
                        data={"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 400


# --- what the official's side and the citizen see --------------------------------------------

def test_the_official_side_sees_the_signed_opinion_and_the_citizen_only_its_conclusion(app, db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    citizen = as_user(case.citizen)
    talon = f"/my/appointments/{case.appointment.id}"
    assert "The seizure was unlawful." not in citizen.get(talon).get_data(as_text=True)  # a draft: nothing
    assistant = as_user(case.assistant)
    page = assistant.get(f"/staff/appointments/{case.appointment.id}/legal-opinion").get_data(as_text=True)
    assert "Being examined" in page and "The seizure was unlawful." not in page

    _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "sign": "1"})
    page = citizen.get(talon).get_data(as_text=True)
    assert "The seizure was unlawful." in page
    assert FILLED["assessment"] not in page and FILLED["findings"] not in page
    page = assistant.get(f"/staff/appointments/{case.appointment.id}/legal-opinion").get_data(as_text=True)
    assert FILLED["assessment"] in page and "Prosecutor" in page
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                       AuditEvent.action == AuditAction.VIEW,
                                                       AuditEvent.entity == "appointment",
                                                       AuditEvent.entity_id == case.appointment.id)).first()


def test_the_board_partial_shows_the_flag_button_then_the_signed_opinion(app, db, as_user, case):
    from flask import render_template_string
    from flask_login import login_user

    def board():
        with app.test_request_context(headers={"Accept-Language": "en"}):
            login_user(case.assistant)
            return render_template_string('{% include "legal/_board_opinion.html" %}',
                                          appointment=db.session.get(Appointment, case.appointment.id))

    assert "Ask for a legal review" in board()
    consultant, review = _taken(db, as_user, case)
    assert "Being examined" in board() and "Ask for a legal review" not in board()
    _draft(db, consultant, review, sign=True)
    html = board()
    assert "The seizure was unlawful." in html and "Ask the prosecutor to check." in html
    assert f"/staff/appointments/{case.appointment.id}/legal-opinion" in html


# --- free consultations ----------------------------------------------------------------------

def test_free_consultations_are_logged_and_a_future_date_is_refused(db, as_user, case):
    consultant = as_user(case.consultant)
    today = utcnow().date()
    r = _post(consultant, "/legal/consultations/", {"given_on": (today + timedelta(days=2)).isoformat(),
                                                     "topic_id": "1", "summary": "Inheritance", "appointment_id": "0"})
    assert r.status_code == 422 and "cannot be in the future" in r.get_data(as_text=True)
    r = _post(consultant, "/legal/consultations/", {"given_on": (today - timedelta(days=1)).isoformat(),
                                                     "topic_id": "1", "summary": "Explained the inheritance rules",
                                                     "appointment_id": str(case.appointment.id)})
    assert r.status_code == 422  # not a reception this consultant had anything to do with
    r = _post(consultant, "/legal/consultations/", {"given_on": (today - timedelta(days=1)).isoformat(),
                                                     "topic_id": "1", "summary": "Explained the inheritance rules",
                                                     "appointment_id": "0"})
    assert r.status_code == 302
    assert "Explained the inheritance rules" in consultant.get("/legal/consultations/").get_data(as_text=True)
    other = as_user(case.other_consultant).get("/legal/consultations/").get_data(as_text=True)
    assert "Explained the inheritance rules" not in other
    assert db.session.scalar(select(FreeConsultation.consultant_id)) == case.consultant.id


def test_a_consultation_can_name_a_reception_the_consultant_examined(db, as_user, case):
    consultant, _ = _taken(db, as_user, case)
    r = _post(consultant, "/legal/consultations/", {"given_on": utcnow().date().isoformat(), "topic_id": "1",
                                                     "summary": "At the reception",
                                                     "appointment_id": str(case.appointment.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(FreeConsultation.appointment_id)) == case.appointment.id


# --- bad input -------------------------------------------------------------------------------

def test_garbage_in_the_opinion_form_is_refused_and_nothing_changes(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    url = f"/legal/opinions/{opinion.id}"
    assert _post(consultant, url, {**FILLED, "findings": "Ж" * 20001}).status_code == 422
    assert _post(consultant, url, {**FILLED, "addressee": "-1"}).status_code == 422
    assert _post(consultant, url, {**FILLED, "addressee_body_id": "999999999"}).status_code == 422
    assert _post(consultant, url, {**FILLED, "addressee_body_id": str(case.official.body_id)}).status_code == 422
    assert consultant.post(url, data=FILLED).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(LegalOpinion, opinion.id).findings == FILLED["findings"]
    for forged in ("/legal/reviews/999999999", "/legal/attachments/999999999"):
        assert consultant.get(forged).status_code == 404
    assert _post(consultant, "/legal/opinions/999999999/send").status_code == 404
    assert as_user(case.assistant).get("/staff/appointments/999999999/legal-opinion").status_code == 404


def test_only_the_consultant_who_took_the_case_writes(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    other = as_user(case.other_consultant)
    assert _post(other, f"/legal/opinions/{opinion.id}", {**FILLED, "conclusion": "Mine"}).status_code == 403
    assert _upload(other, opinion.id, PDF, "x.pdf").status_code == 403
    assert _post(as_user(case.far_consultant), f"/legal/opinions/{opinion.id}", FILLED).status_code == 403
    db.session.expire_all()
    assert db.session.get(LegalOpinion, opinion.id).conclusion == FILLED["conclusion"]


def test_a_file_can_be_removed_from_a_draft_but_not_from_a_signed_version(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    opinion = _draft(db, consultant, review)
    _upload(consultant, opinion.id, PDF, "a.pdf")
    _upload(consultant, opinion.id, PDF, "b.pdf")
    db.session.expire_all()
    first, second = db.session.get(LegalOpinion, opinion.id).attachments
    assert _post(consultant, f"/legal/attachments/{first.id}/remove").status_code == 302
    _post(consultant, f"/legal/opinions/{opinion.id}", {**FILLED, "sign": "1"})
    assert _post(consultant, f"/legal/attachments/{second.id}/remove").status_code == 409
    db.session.expire_all()
    assert [a.filename for a in db.session.get(LegalOpinion, opinion.id).attachments] == ["b.pdf"]


def test_a_withdrawn_case_flagged_again_starts_afresh(db, as_user, case):
    consultant, review = _taken(db, as_user, case)
    _draft(db, consultant, review)
    assistant = as_user(case.assistant)
    assert _post(assistant, f"/staff/appointments/{case.appointment.id}/legal-review/withdraw").status_code == 302
    _, r = _flag(as_user, case, reason="Please look again")
    assert r.status_code == 302
    review = _review(db, case)
    assert (review.status, review.consultant_id, review.opinions) == (ReviewStatus.QUEUED, None, [])
    other = as_user(case.other_consultant)
    assert _post(other, f"/legal/reviews/{review.id}/take").status_code == 302
    assert _post(other, f"/legal/reviews/{review.id}/opinions").status_code == 302


def test_consultants_and_the_officials_side_are_told_by_the_channels_they_chose(db, as_user, case):
    from reception.accounts.models import NotifyBy
    from reception.notifications.models import Channel

    case.consultant.notify_by = NotifyBy.BOTH
    case.assistant.notify_by = NotifyBy.SMS
    db.session.commit()
    consultant, review = _taken(db, as_user, case)
    _draft(db, consultant, review, sign=True)
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.in_(
        [case.consultant.id, case.assistant.id]))).all()
    kinds = {(m.user_id, m.kind, m.channel) for m in sent}
    assert {(case.consultant.id, "legal_review_queued", Channel.EMAIL),
            (case.consultant.id, "legal_review_queued", Channel.SMS),
            (case.assistant.id, "legal_opinion_signed", Channel.SMS)} <= kinds
    sms = as_sent(next(m for m in sent if m.kind == "legal_review_queued" and m.channel is Channel.SMS))
    assert f"/legal/reviews/{review.id}" in sms.body_text
