"""Required fields and field qualification: does each answer fit what the buyer accepts?

An answer is mapped to the closest accepted value, trying in turn: the exact text, the text
ignoring case, spacing, ``_`` and ``-`` (and equal numbers), the campaign's synonyms, and
finally a fuzzy match (rapidfuzz) above the field's threshold. The buyer then receives the
accepted spelling, not the seller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field
from rapidfuzz import fuzz, process

from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.conditions import as_number
from leadflow.submissions.field_paths import field_value, is_present

MatchMethod = Literal["exact", "normalized", "synonym", "fuzzy"]
FieldMethod = Literal[MatchMethod, "unrestricted", "absent", "missing", "unmatched"]
FULL_SCORE = 100.0


class FieldQualification(CampaignConfigModel):
    """One delivered field's rule, as configured on the campaign."""

    field: str = Field(min_length=1)
    required: bool = False
    accepted_values: list[str] = Field(default_factory=list)
    # A named list shared by many fields (``us_states``), merged with ``accepted_values``.
    value_set: str | None = None
    # accepted value → other spellings that mean it (``Yes`` → ``["y", "yeah"]``).
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    fuzzy_threshold: float = Field(default=85.0, ge=0, le=100)
    # Read by the optional AI qualifier; the rules here ignore it.
    formatting_instructions: str | None = None


@dataclass(frozen=True)
class AnswerMatch:
    value: str
    method: MatchMethod
    score: float


@dataclass(frozen=True)
class FieldResult:
    field: str
    passed: bool
    value: Any
    mapped_value: Any
    method: FieldMethod
    score: float
    reason: str | None = None


@dataclass(frozen=True)
class QualificationResult:
    passed: bool
    score: float
    method: str
    reason: str | None
    fields: list[FieldResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The submission's ``qualification`` object."""
        return {
            "passed": self.passed,
            "score": self.score,
            "method": self.method,
            "reason": self.reason,
        }


def missing_required_fields(paths: Iterable[str], lead: Mapping[str, Any]) -> list[str]:
    """The required field paths that are absent or blank in the lead (pipeline step 4)."""
    return [path for path in paths if not is_present(field_value(lead, path))]


def normalize_answer(text: str) -> str:
    """``  Car_Accident `` → ``car accident``: case, spacing, ``_`` and ``-`` ignored."""
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


def map_answer(
    answer: Any,
    accepted: Sequence[str],
    synonyms: Mapping[str, Sequence[str]] | None = None,
    fuzzy_threshold: float = 85.0,
) -> AnswerMatch | None:
    """The accepted value closest to ``answer``, and how it was found; None if nothing fits."""
    text = _answer_text(answer)
    if text in accepted:
        return AnswerMatch(text, "exact", FULL_SCORE)
    wanted = normalize_answer(text)
    number = as_number(text)
    for value in accepted:
        if normalize_answer(value) == wanted or (number is not None and as_number(value) == number):
            return AnswerMatch(value, "normalized", FULL_SCORE)
    spellings = [
        (normalize_answer(spelling), value)
        for value, others in (synonyms or {}).items()
        if value in accepted
        for spelling in others
    ]
    for spelling, value in spellings:
        if spelling == wanted:
            return AnswerMatch(value, "synonym", FULL_SCORE)
    if not wanted:
        return None
    choices = [(normalize_answer(value), value) for value in accepted] + spellings
    best = process.extractOne(
        wanted,
        [choice for choice, _ in choices],
        scorer=fuzz.token_sort_ratio,
        score_cutoff=fuzzy_threshold,
    )
    if best is None:
        return None
    _, score, index = best
    return AnswerMatch(choices[index][1], "fuzzy", round(float(score), 2))


def _answer_text(answer: Any) -> str:
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return str(answer).strip()


def qualify_field(
    rule: FieldQualification,
    lead: Mapping[str, Any],
    value_sets: Mapping[str, Sequence[str]] | None = None,
) -> FieldResult:
    value = field_value(lead, rule.field)
    if not is_present(value):
        if rule.required:
            return FieldResult(rule.field, False, None, None, "missing", 0.0, "is required")
        return FieldResult(rule.field, True, None, None, "absent", FULL_SCORE)
    accepted = list(rule.accepted_values)
    if rule.value_set is not None:
        if value_sets is None or rule.value_set not in value_sets:
            reason = f"value set {rule.value_set!r} is not defined"
            return FieldResult(rule.field, False, value, None, "unmatched", 0.0, reason)
        accepted += [item for item in value_sets[rule.value_set] if item not in accepted]
    if not accepted:
        return FieldResult(rule.field, True, value, value, "unrestricted", FULL_SCORE)
    answers = value if isinstance(value, list) else [value]
    matches = [map_answer(one, accepted, rule.synonyms, rule.fuzzy_threshold) for one in answers]
    unmatched = [answer for answer, match in zip(answers, matches, strict=True) if match is None]
    if unmatched:
        listed = ", ".join(repr(_answer_text(answer)) for answer in unmatched)
        reason = f"{listed} is not an accepted value"
        return FieldResult(rule.field, False, value, None, "unmatched", 0.0, reason)
    found = [match for match in matches if match is not None]
    weakest = min(found, key=lambda match: match.score)
    mapped: Any = [match.value for match in found] if isinstance(value, list) else found[0].value
    return FieldResult(rule.field, True, value, mapped, weakest.method, weakest.score)


def qualify(
    rules: Iterable[FieldQualification],
    lead: Mapping[str, Any],
    value_sets: Mapping[str, Sequence[str]] | None = None,
) -> QualificationResult:
    """Every field's result and the overall verdict: passed when every field passed, scored
    as the mean of the fields' scores (100 when there is nothing to check)."""
    fields = [qualify_field(rule, lead, value_sets) for rule in rules]
    failures = [f"{result.field}: {result.reason}" for result in fields if not result.passed]
    score = sum(r.score for r in fields) / len(fields) if fields else FULL_SCORE
    return QualificationResult(
        passed=not failures,
        score=round(score, 2),
        method="rules",
        reason="; ".join(failures) or None,
        fields=fields,
    )


def mapped_answers(result: QualificationResult) -> dict[str, Any]:
    """field path → the accepted spelling, for the fields whose answer was re-mapped."""
    return {
        one.field: one.mapped_value
        for one in result.fields
        if one.passed and one.method in ("normalized", "synonym", "fuzzy")
    }
