"""Every SMS the system sends stays within two segments, in Kazakh, Russian and English, with the longest
names of the demo directory; and the counting and fitting rules themselves.

Each template of templates/sms is rendered by the dispatcher's own function (``render_sms``) with values
as long as real ones: the demo's longest body name, a full name with patronymic, a long reason, a long
answer, the short date format with the zone in words, links under a production-like address. A template
this test does not know fails it: a new kind of SMS must be added to ``CONTEXTS`` with realistic values.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from reception.booking.models import Appointment
from reception.core.timeutil import format_local
from reception.directory.models import Body, BodyLevel, Official, Region
from reception.notifications.services import render_sms
from reception.notifications.sms import count_segments, encoding, fit, initials, is_gsm7, mark_free
from reception.outcomes.models import Instruction, Outcome, OutcomeResult, Question
from reception.schedule.models import Slot, VisitingReception
from reception.systemic.models import IssueChange, IssueStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "sms"
BASE = "https://reception.gov.kz"  # a production-like address: every link below starts with it
TALON = "KZ15-20260930-123456"
WHEN = datetime(2026, 9, 30, 10, 0, tzinfo=UTC)  # a Wednesday in September: long month names
ZONE = "Asia/Aqtobe"
# The demo directory's longest names (reception/cli/demo_data.py).
BODY = Body(code="mdd", level=BodyLevel.CENTRAL,
            name_kk="Қазақстан Республикасы Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
            name_ru="Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики "
                    "Казахстан",
            name_en="Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of "
                    "Kazakhstan")
WEST = Region(code="KZ-27", name_kk="Батыс Қазақстан облысы", name_ru="Западно-Казахстанская область",
              name_en="West Kazakhstan Region", timezone="Asia/Oral")
OFFICIAL = Official(full_name="Әбдіғаппаров Мұрат Серікұлы", body=BODY)
REASON = "Аким выехал в район в связи с паводком / Әкім су тасқынына байланысты ауданға кетті"
ANSWER = ("Ваше обращение рассмотрено: управление жилищно-коммунального хозяйства обязано восстановить "
          "отопление в доме до 15 декабря; ход работ проверит аппарат акима, о результате вам сообщат. ") * 2
LONG_WHEN = {"kk": "2026 ж. 30 қыркүйек, сәрсенбі, 15:00 (Ақтөбе уақыты)",  # format_local(…, "long"), as the
             "ru": "среда, 30 сентября 2026 г., 15:00 (время Актобе)",    # booking area passes it
             "en": "Wednesday, September 30, 2026, 3:00 PM (Aktobe time)"}


def _appointment() -> Appointment:
    return Appointment(id=123456, talon_number=TALON, slot=Slot(starts_at=WHEN))


def _instruction() -> Instruction:
    return Instruction(id=987654, body=BODY, due_on=date(2026, 9, 30))


def _outcome() -> Outcome:
    return Outcome(questions=[Question(position=1, result=OutcomeResult.FORWARDED_PART),
                              Question(position=2, result=OutcomeResult.EXPLAINED)])


def _appointment_context(lang: str) -> dict:
    return dict(appointment=_appointment(), official=OFFICIAL, tz=ZONE,
                talon_url=f"{BASE}/my/appointments/123456", join_url=None)


#: Every SMS template, with what it is given (as its callers give it) and what it must keep whole.
CONTEXTS = {
    "access_report_answered": lambda lang: dict(body=BODY, answer=ANSWER, search_url=f"{BASE}/search"),
    "appointment_cancelled": lambda lang: dict(_appointment_context(lang)),
    "ballot_lost": lambda lang: dict(official=OFFICIAL, on_waitlist=True, link=f"{BASE}/my/waitlist"),
    "body_invited": lambda lang: dict(_appointment_context(lang), invitation=None,
                                      respond_url=f"{BASE}/staff/invitations/123456"),
    "booking_confirmed": _appointment_context,
    "followup_due_soon": lambda lang: dict(instruction=_instruction(),
                                           instruction_url=f"{BASE}/staff/instructions/987654"),
    "followup_overdue": lambda lang: dict(instruction=_instruction(),
                                          instruction_url=f"{BASE}/staff/instructions/987654"),
    "instruction_extended": lambda lang: dict(_appointment_context(lang), instruction=_instruction()),
    "legal_opinion_signed": lambda lang: dict(opinion_url=f"{BASE}/staff/appointments/123456/legal-opinion"),
    "legal_review_queued": lambda lang: dict(case_url=f"{BASE}/legal/reviews/123456"),
    "outcome_recorded": lambda lang: dict(_appointment_context(lang), update=False, outcome=_outcome(),
                                          questions=_outcome().questions,
                                          instructions=[_instruction(), _instruction()]),
    "participant_invited": lambda lang: dict(_appointment_context(lang), receptions_url=f"{BASE}/my/receptions/"),
    "reminder": lambda lang: dict(_appointment_context(lang), join_url=f"{BASE}/video/appointments/123456"),
    "request_declined": lambda lang: dict(official=OFFICIAL, link=f"{BASE}/my/appointments/123456"),
    "request_offered": lambda lang: dict(official=OFFICIAL, accept_link=f"{BASE}/my/requests/123456/accept"),
    "request_redirected": lambda lang: dict(official=OFFICIAL, link=f"{BASE}/my/appointments/123456"),
    "request_on_behalf": lambda lang: dict(official=OFFICIAL, appeal_number="ЖТ-ЖОО-2026-00123456/АҚТ",
                                           sender="e-Otinish (appeals system)", link=f"{BASE}/my/appointments/123456"),
    "request_resolved": lambda lang: dict(official=OFFICIAL, link=f"{BASE}/my/appointments/123456"),
    "rescheduled": _appointment_context,
    "session_cancelled": lambda lang: dict(_appointment_context(lang), when=LONG_WHEN[lang], reason=REASON,
                                           link=f"{BASE}/reception/officials/123456", book_link=None,
                                           waitlist_link=None),
    "video_details": lambda lang: dict(_appointment_context(lang), join_url=f"{BASE}/video/appointments/123456"),
    "phone_code": lambda lang: dict(purpose="confirm", code="048213", minutes=10),
    "solved_asked": lambda lang: dict(_appointment_context(lang)),
    "systemic_issue_progress": lambda lang: dict(change=IssueChange(new_status=IssueStatus.IN_PROGRESS),
                                                 link=f"{BASE}/my/issues/123456"),
    "visiting_announced": lambda lang: dict(official=OFFICIAL, visit=VisitingReception(region=WEST),
                                            whens=[LONG_WHEN[lang]], link=f"{BASE}/reception/officials/123456"),
    "waitlist_offer": lambda lang: dict(official=OFFICIAL, when=LONG_WHEN[lang], deadline=LONG_WHEN[lang],
                                        link=f"{BASE}/reception/slots/1234567/book",
                                        waitlist_link=f"{BASE}/my/waitlist"),
}
#: What must survive any shortening: the talon number, the time and every link the text carries.
NO_LINK = {"access_report_answered", "appointment_cancelled", "phone_code"}  # they never carried one
KEEP_TIME = {"body_invited", "booking_confirmed", "participant_invited", "reminder", "rescheduled", "video_details"}


def test_every_sms_template_is_checked_here():
    """A template added to templates/sms without realistic values here fails: give it some in CONTEXTS."""
    templates = {path.stem for path in TEMPLATES.glob("*.txt")}
    assert sorted(templates - set(CONTEXTS)) == [], "SMS templates this test does not know"
    assert sorted(set(CONTEXTS) - templates) == [], "CONTEXTS names templates that no longer exist"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_sms_fits_in_two_segments_with_the_longest_real_values(app, template, lang):
    context = CONTEXTS[template](lang)
    with app.test_request_context():
        text, _shortened = render_sms(template, lang, None, **context)
        with force_locale(lang):
            when = " ".join(format_local(WHEN, ZONE, "short").split())  # one line, as render_sms makes it
    assert count_segments(text) <= 2, (template, lang, len(text), text)
    links = [v for v in context.values() if isinstance(v, str) and v.startswith(BASE)]
    used = [link for link in links if link in text]
    assert used or template in NO_LINK, f"{template}: no link in {text!r}"
    for link in used:
        assert text.endswith(link) or f"{link} " in text or f"{link}." in text, (template, text)
    if "appointment" in context and template not in ("access_report_answered",):
        # Invitations name the reception by its time; "is it solved?" leaves room for the reply's instructions
        # (its link opens the talon).
        assert TALON in text or template in ("body_invited", "participant_invited", "solved_asked"), (template, text)
    if template in KEEP_TIME:
        assert when in text, (template, lang, text)
    if lang != "en":
        assert encoding(text) == "ucs2"


# --- the rules ---------------------------------------------------------------------------------------------

def test_gsm7_segments_are_160_then_153_a_part():
    assert [count_segments("a" * n) for n in (1, 160, 161, 306, 307, 459, 460)] == [1, 1, 2, 2, 3, 3, 4]


def test_characters_of_the_gsm7_extension_table_take_two_septets():
    assert is_gsm7("Price: 5€ [x] {y} ~ | ^ \\")
    assert count_segments("{" * 80) == 1 and count_segments("{" * 81) == 2
    # An escaped character is never split across two parts: 152 septets, then one that needs two.
    assert count_segments("a" * 152 + "€" + "a" * 151) == 2  # 152 | 2 + 151
    assert count_segments("a" * 152 + "€" + "a" * 152) == 3  # were it split, 153 | 153 would be two


def test_one_cyrillic_letter_makes_the_whole_text_ucs2_70_then_67_a_part():
    assert not is_gsm7("Talon A-1: reception Ә")
    assert [count_segments("я" * n) for n in (70, 71, 134, 135, 201, 202)] == [1, 2, 2, 3, 3, 4]
    assert count_segments("a" * 70 + "ж") == 2  # latin letters count as UCS-2 units once one letter is not GSM-7


def test_a_text_within_two_segments_is_sent_as_it_is():
    text = "Талон KZ15-1: приём " + mark_free("Иванов И.И.") + ". https://x.kz/a"
    assert fit(text) == ("Талон KZ15-1: приём Иванов И.И.. https://x.kz/a", False)


def test_a_long_text_has_its_free_parts_shortened_and_keeps_talon_time_and_link():
    fixed_time = "ср, 30 сент. 2026 г., 15:00 (время Актобе)"
    link = "https://reception.gov.kz/my/appointments/1234567"
    text = (f"Талон {TALON}: приём {fixed_time}, " + mark_free(BODY.name_ru) + ". Причина: "
            + mark_free(ANSWER) + " " + link)
    fitted, shortened = fit(text)
    assert shortened and count_segments(fitted) == 2
    assert TALON in fitted and fixed_time in fitted and fitted.endswith(link)
    assert "…" in fitted and "\x02" not in fitted and "\x03" not in fitted


def test_a_text_too_long_without_free_parts_is_cut_before_its_link():
    link = "https://reception.gov.kz/a"
    fitted, shortened = fit("Ж" * 300 + " " + link)
    assert shortened and count_segments(fitted) == 2 and fitted.endswith("… " + link)


def test_an_english_text_is_shortened_with_dots_and_stays_gsm7():
    fitted, shortened = fit("Reason: " + mark_free("x" * 400) + " https://reception.gov.kz/a")
    assert shortened and is_gsm7(fitted) and "..." in fitted and count_segments(fitted) == 2


def test_initials_keep_the_surname():
    assert initials("Әбдіғаппаров Мұрат Серікұлы") == "Әбдіғаппаров М.С."
    assert initials("Smith") == "Smith"
