"""Forms of outcomes and follow-up: the outcome with its questions and their instructions, extension,
reports, verdicts, contacts, the citizen's rating and reports of refused bookings. Every message goes
through gettext."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from ..core.forms import REQUIRED, FlaskForm, Form
from .models import ACCESS_REPORT_KIND_LABELS, OUTCOME_RESULT_LABELS, AccessReportKind, ContactChannel, OutcomeResult
from .services import APPEAL_TYPE_LABELS, MAX_INSTRUCTIONS, MAX_QUESTIONS, NewInstruction, QuestionData

DAMAGED = _l("The form is damaged. Reload the page and send it again.")
CONTACT_CHANNEL_LABELS = {ContactChannel.PHONE: _l("By phone"), ContactChannel.VISIT: _l("In person"),
                          ContactChannel.EMAIL: _l("By e-mail")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _too_long(n: int):
    return Length(max=n, message=_l("Too long: at most %(max)d characters.", max=n))


class InstructionEntry(Form):
    """One new instruction to a body (a row of a question on the outcome form; a blank row is ignored)."""

    body_id = SelectField(_l("Responsible body"), coerce=int, validate_choice=True, validators=[Optional()])
    responsible_name = StringField(_l("Responsible person (name)"), filters=[_strip],
                                   validators=[Optional(), _too_long(200)])
    text = TextAreaField(_l("What must be done"), filters=[_strip], validators=[Optional(), _too_long(4000)])
    appeal_type = SelectField(_l("Type of appeal"), validate_choice=True)
    due_on = DateField(_l("Due date (leave empty for the usual term)"), validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not (self.body_id.data or self.responsible_name.data or self.text.data
                    or any(self.due_on.raw_data or ()))

    def validate(self, extra_validators=None):
        return True if self.is_blank else super().validate(extra_validators)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.appeal_type.choices = [(k, v) for k, v in APPEAL_TYPE_LABELS.items()]

    def to_data(self) -> NewInstruction:
        return NewInstruction(body_id=self.body_id.data or None, responsible_name=self.responsible_name.data or "",
                              text=self.text.data or "", appeal_type=self.appeal_type.data, due_on=self.due_on.data)


class QuestionEntry(Form):
    """One question the citizen raised: a recorded one (``id``) or a new one (a blank new row is ignored).
    The rules (a refusal's grounds, a forwarded question's body and instructions...) are the service's."""

    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    topic_id = SelectField(_l("Topic"), coerce=int, validate_choice=True, validators=[Optional()])
    wording = TextAreaField(_l("The question in brief"), filters=[_strip], validators=[Optional(), _too_long(4000)])
    result = SelectField(_l("Result"), validate_choice=True, validators=[Optional()])
    grounds = TextAreaField(_l("Grounds (required for a refusal)"), filters=[_strip],
                            validators=[Optional(), _too_long(4000)])
    body_id = SelectField(_l("Responsible body (required when forwarded)"), coerce=int, validate_choice=True,
                          validators=[Optional()])
    remove = BooleanField(_l("Remove this question"))
    instructions = FieldList(FormField(InstructionEntry), min_entries=1, max_entries=MAX_INSTRUCTIONS)
    add_instruction = SubmitField(_l("Add another instruction"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result.choices = [("", "—")] + [(r.value, label) for r, label in OUTCOME_RESULT_LABELS.items()]

    @property
    def is_blank(self) -> bool:
        return (self.id.data is None and not self.wording.data and not self.result.data and not self.grounds.data
                and not self.body_id.data and all(e.form.is_blank for e in self.instructions))

    def validate(self, extra_validators=None):
        return True if self.is_blank else super().validate(extra_validators)

    def to_data(self) -> QuestionData:
        return QuestionData(
            id=self.id.data, remove=bool(self.id.data is not None and self.remove.data),
            topic_id=self.topic_id.data or None, wording=self.wording.data or "",
            result=OutcomeResult(self.result.data) if self.result.data else None, grounds=self.grounds.data or "",
            body_id=self.body_id.data or None,
            instructions=[e.form.to_data() for e in self.instructions if not e.form.is_blank])


class OutcomeForm(FlaskForm):
    """The outcome: its questions, each with new instructions, and notes. Without JavaScript, "add another
    question" and "add another instruction" send the form back with one more blank row (nothing is saved)."""

    questions = FieldList(FormField(QuestionEntry), min_entries=1, max_entries=MAX_QUESTIONS)
    notes = TextAreaField(_l("What was said and decided"), filters=[_strip],
                          validators=[Optional(), _too_long(4000)])
    add_question = SubmitField(_l("Add another question"))
    # The outcome's last change the form was built from ("" for a new outcome): a stale form is refused.
    seen = HiddenField(validators=[Optional(), Regexp(r"^[0-9T:.+\- ]{10,40}$", message=DAMAGED)])

    def set_choices(self, topics: list[tuple[int, str]], bodies) -> None:
        """The topics (id, label) and the active bodies offered in every row (call again after adding rows)."""
        question_bodies = [(0, str(_l("— (the official's own body)")))] + [(b.id, b.name) for b in bodies]
        instruction_bodies = [(0, str(_l("— (the question's responsible body)")))] + [(b.id, b.name) for b in bodies]
        for entry in self.questions:
            entry.form.topic_id.choices = topics
            entry.form.body_id.choices = question_bodies
            for row in entry.form.instructions:
                row.form.body_id.choices = instruction_bodies

    def row_requested(self) -> bool:
        """Whether an "add another" button sent the form (it goes back to the user with one more row)."""
        return bool(self.add_question.data or any(e.form.add_instruction.data for e in self.questions))

    def add_row(self, topic_id: int | None) -> None:
        """One more blank row where an "add another" button was pressed (a new question starts on ``topic_id``)."""
        if self.add_question.data:
            if len(self.questions) < MAX_QUESTIONS:
                self.questions.append_entry({"topic_id": topic_id})
            return
        for entry in self.questions:
            if entry.form.add_instruction.data and len(entry.form.instructions) < MAX_INSTRUCTIONS:
                entry.form.instructions.append_entry()

    def rows(self) -> list[QuestionEntry]:
        """The question rows filled in (blank new rows left out), in the order of the form."""
        return [entry.form for entry in self.questions if not entry.form.is_blank]

    def show_error(self, field_name: str | None, message: str) -> None:
        """Show a service's error next to its field, named by :class:`~.services.QuestionsInvalid`'s
        indices into the rows that were filled in; at the top of the form when it names none."""
        parts = (field_name or "").split("-")
        target = None
        if parts[0] == "questions" and len(parts) >= 3 and parts[1].isdigit():
            rows = self.rows()
            question = rows[int(parts[1])] if int(parts[1]) < len(rows) else None
            if question is not None and parts[2] == "instructions":
                filled = [e.form for e in question.instructions if not e.form.is_blank]
                if len(parts) == 5 and parts[3].isdigit() and int(parts[3]) < len(filled):
                    target = getattr(filled[int(parts[3])], parts[4], None)
                else:  # about the question's instructions as a whole
                    question.form_errors.append(message)
                    self._collect_errors()
                    return
            elif question is not None:
                target = getattr(question, parts[2], None)
        if target is None:
            self.form_errors.append(message)
        else:
            target.errors = list(target.errors) + [message]
            self._collect_errors()

    def _collect_errors(self) -> None:
        # A FieldList keeps the errors its own validation found; those added since (the service's) count too,
        # so that the form says it has errors.
        for entry in self.questions.entries:
            rows = [row.errors for row in entry.form.instructions.entries]
            entry.form.instructions.errors = rows if any(rows) else []
        questions = [entry.errors for entry in self.questions.entries]
        self.questions.errors = questions if any(questions) else []


class ExtendForm(FlaskForm):
    due_on = DateField(_l("New due date"), validators=[DataRequired(message=REQUIRED)])
    reason = TextAreaField(_l("Reasons for the extension"), filters=[_strip],
                           validators=[DataRequired(message=REQUIRED), _too_long(4000)])
    seen_due_on = HiddenField(validators=[DataRequired(message=DAMAGED),
                                          Regexp(r"^\d{4}-\d{2}-\d{2}$", message=DAMAGED)])


class ReportForm(FlaskForm):
    text = TextAreaField(_l("What your body has done"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(4000)])
    # The instruction's status the body saw: if the report was returned or accepted meanwhile, a stale form.
    seen_status = HiddenField(validators=[AnyOf(["open", "reported"], message=DAMAGED)])


class VerdictForm(FlaskForm):
    verdict = RadioField(_l("Your decision"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    note = TextAreaField(_l("Note to the body (required when you return the report)"), filters=[_strip],
                         validators=[Optional(), _too_long(4000)])
    report_id = HiddenField(validators=[DataRequired(message=DAMAGED), Regexp(r"^\d{1,9}$", message=DAMAGED)])

    def validate_note(self, field):
        if self.verdict.data == "returned" and not field.data:
            raise ValidationError(str(_l("Say why the report is returned.")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdict.choices = [("accepted", _l("Accept: the instruction is done")),
                                ("returned", _l("Return to the body with a note"))]


class ContactForm(FlaskForm):
    channel = SelectField(_l("How you contacted the citizen"), validate_choice=True)
    confirmed = SelectField(_l("Did the citizen confirm what the body reports?"), validate_choice=True)
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[Optional(), _too_long(4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [(c.value, label) for c, label in CONTACT_CHANNEL_LABELS.items()]
        self.confirmed.choices = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", _l("Could not say"))]


class RatingForm(FlaskForm):
    score = RadioField(_l("Your mark"), coerce=int, validate_choice=True,
                       validators=[DataRequired(message=REQUIRED), NumberRange(1, 5)])
    comment = TextAreaField(_l("Comment (if you wish)"), filters=[_strip], validators=[Optional(), _too_long(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.score.choices = [(5, _l("5 — very good")), (4, _l("4 — good")), (3, _l("3 — fair")),
                              (2, _l("2 — poor")), (1, _l("1 — very poor"))]


class AccessReportForm(FlaskForm):
    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    official_id = SelectField(_l("Official (if you know)"), coerce=int, validate_choice=True,
                              validators=[Optional()])
    kind = RadioField(_l("What happened"), validate_choice=True, validators=[DataRequired(message=REQUIRED)])
    text = TextAreaField(_l("Tell us what happened"), filters=[_strip],
                         validators=[DataRequired(message=REQUIRED), _too_long(4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, label) for k, label in ACCESS_REPORT_KIND_LABELS.items()]


class ReviewForm(FlaskForm):
    # What the monitor saw: a report not yet reviewed. A damaged value is refused.
    seen = HiddenField(default="new", validators=[AnyOf(["new"], message=DAMAGED)])


__all__ = ["AccessReportForm", "AccessReportKind", "ContactForm", "ExtendForm", "OutcomeForm", "RatingForm",
           "ReportForm", "ReviewForm", "VerdictForm"]


class SolvedForm(FlaskForm):
    """The citizen's yes/no to "is your problem solved?" for one question (two buttons on the talon page)."""

    question_id = IntegerField(validators=[DataRequired(message=DAMAGED), NumberRange(1, 2**31 - 1, message=DAMAGED)])
    answer = RadioField(_l("Is your problem solved?"), validate_choice=True,
                        choices=lambda: [("yes", _l("Yes, it is solved")), ("no", _l("No, it is not solved"))],
                        validators=[DataRequired(message=_l("Answer yes or no."))])
