"""The rule that derives a reception's result from its questions' results, checked on every combination."""
from __future__ import annotations

from datetime import timedelta
from itertools import combinations, permutations

import pytest

from reception.core.clock import utcnow
from reception.outcomes.models import (
    FINAL_RESULTS,
    FORWARDED_RESULTS,
    Instruction,
    InstructionStatus,
    OutcomeResult,
    Question,
    overall_result,
)

R = OutcomeResult
#: Every set of distinct results a reception's questions can have (127 of them).
COMBINATIONS = [set(c) for n in range(1, len(R) + 1) for c in combinations(R, n)]
#: The results that settle a question by themselves, from the least settled to the most.
LEAST_SETTLED_FIRST = [R.REFUSED, R.EXPLAINED, R.SATISFIED, R.RESOLVED]


def test_no_questions_no_result():
    assert overall_result([]) is None


@pytest.mark.parametrize("result", list(R))
def test_questions_with_one_result_give_that_result(result):
    assert overall_result([result]) is result
    assert overall_result([result] * 3) is result


@pytest.mark.parametrize("results", COMBINATIONS, ids=lambda s: "+".join(sorted(r.value for r in s)))
def test_the_derived_result_of_every_combination(results):
    derived = overall_result(results)
    if len(results) == 1:
        assert derived is next(iter(results))
    elif R.UNDER_CONSIDERATION in results:
        # A question still under consideration leaves the whole reception under consideration.
        assert derived is R.UNDER_CONSIDERATION
    elif results & FORWARDED_RESULTS:
        # Some questions forwarded (or all, some of them only in part): the reception is forwarded in part.
        assert derived is R.FORWARDED_PART
    else:
        # Only final results: the least settled of them, e.g. resolved and refused is refused.
        assert results <= FINAL_RESULTS
        assert derived is next(r for r in LEAST_SETTLED_FIRST if r in results)
    assert derived in results | {R.FORWARDED_PART}


@pytest.mark.parametrize("results", [c for c in COMBINATIONS if 1 < len(c) <= 4],
                         ids=lambda s: "+".join(sorted(r.value for r in s)))
def test_neither_the_order_nor_repeats_of_the_questions_change_the_result(results):
    derived = overall_result(results)
    for order in permutations(results):
        assert overall_result(order) is derived
        assert overall_result([*order, order[0], order[-1]]) is derived


def test_a_generator_of_results_is_read_once():
    assert overall_result(r for r in (R.RESOLVED, R.EXPLAINED)) is R.EXPLAINED


def _question(result, *statuses) -> Question:
    now = utcnow()
    question = Question(result=result, position=1, wording="q", topic_id=1, outcome_id=1)
    question.instructions = [Instruction(status=s, body_id=1, responsible_name="r", text="t", appeal_type="complaint",
                                         due_on=now.date() + timedelta(days=5), original_due_on=now.date())
                             for s in statuses]
    return question


@pytest.mark.parametrize("result", sorted(FINAL_RESULTS))
def test_a_question_with_a_final_result_is_closed_whatever_its_instructions(result):
    assert _question(result).is_closed
    assert _question(result, InstructionStatus.OPEN).is_closed


@pytest.mark.parametrize("result", sorted(FORWARDED_RESULTS))
def test_a_forwarded_question_is_closed_when_every_instruction_is_done(result):
    assert not _question(result).is_closed  # forwarded without an instruction: nothing to close it
    assert not _question(result, InstructionStatus.CLOSED, InstructionStatus.REPORTED).is_closed
    assert _question(result, InstructionStatus.CLOSED, InstructionStatus.CLOSED).is_closed


def test_a_question_under_consideration_is_never_closed():
    assert not _question(R.UNDER_CONSIDERATION, InstructionStatus.CLOSED).is_closed
