"""What the API sends and accepts. Only fields the web already shows to the same person."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class SiteOut(Schema):
    id: int
    name: str
    city: str
    min_age: int


class TermOut(Schema):
    id: int
    program_id: int
    name: str
    status: str
    application_opens: datetime
    application_closes: datetime
    starts_on: date
    ends_on: date


class ProgramOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    region: str
    eligible_stages: list[str]
    min_age: int
    allows_open_booking: bool


class ProgramDetailOut(ProgramOut):
    sites: list[SiteOut]
    open_terms: list[TermOut]


class MentorOut(Schema):
    id: int
    name: str
    specialty: str
    career_stage: str
    organization: str | None
    languages: list[str]
    years_in_practice: int
    bio: str
    accepting_learners: bool

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)

    @staticmethod
    def resolve_organization(obj: Any) -> str | None:
        return obj.organization.name if obj.organization else None

    @staticmethod
    def resolve_languages(obj: Any) -> list[str]:
        return [language.name for language in obj.languages.all()]


class LearnerOut(Schema):
    id: int
    stage: str
    date_of_birth: date
    school: str | None
    interests: str


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    preferred_name: str
    pronouns: str
    roles: list[str]
    learner: LearnerOut | None
    mentor: MentorOut | None


class EnrollmentOut(Schema):
    id: int
    term: TermOut
    program_name: str
    status: str
    created_at: datetime

    @staticmethod
    def resolve_program_name(obj: Any) -> str:
        return obj.term.program.name


class SlotOut(Schema):
    id: int
    mentor_id: int
    mentor_name: str
    site: SiteOut
    program_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    seats_left: int | None = None

    @staticmethod
    def resolve_mentor_name(obj: Any) -> str:
        return str(obj.mentor)

    @staticmethod
    def resolve_seats_left(obj: Any) -> int | None:
        taken = getattr(obj, "taken", None)
        return None if taken is None else max(obj.seats - taken, 0)


class BookingOut(Schema):
    id: int
    status: str
    slot: SlotOut
    learner_name: str
    created_at: datetime
    cancelled_at: datetime | None
    is_late_cancellation: bool
    verified_minutes: int | None

    @staticmethod
    def resolve_learner_name(obj: Any) -> str:
        return obj.learner.user.full_name


class CancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


class GrantCycleOut(Schema):
    id: int
    name: str
    status: str
    opens_at: datetime
    closes_at: datetime
    award_min: int
    award_max: int


class MyApplicationOut(Schema):
    id: int
    code: str
    cycle_id: int
    cycle_name: str
    status: str
    amount_requested: int | None
    submitted_at: datetime | None

    @staticmethod
    def resolve_cycle_name(obj: Any) -> str:
        return obj.cycle.name


class AssignmentOut(Schema):
    application_id: int
    code: str
    cycle_id: int
    cycle_name: str
    started: bool
    submitted: bool

    @staticmethod
    def resolve_code(obj: Any) -> str:
        return obj.application.code

    @staticmethod
    def resolve_cycle_id(obj: Any) -> int:
        return obj.application.cycle_id

    @staticmethod
    def resolve_cycle_name(obj: Any) -> str:
        return obj.application.cycle.name


class RubricItemOut(Schema):
    key: str
    name: str
    weight: float


class MyReviewOut(Schema):
    status: str
    scores: dict[str, int]
    comments: dict[str, str]
    total: float | None
    submitted_at: datetime | None


class ReviewDetailOut(Schema):
    application_id: int
    code: str
    cycle_name: str
    blind_review: bool
    applicant_name: str | None
    school: str | None
    personal_statement: str
    financial_need: str
    community_involvement: str
    amount_requested: int | None
    budget_purpose: str
    rubric: list[RubricItemOut]
    closed: bool
    my_review: MyReviewOut | None


class ReviewIn(Schema):
    scores: dict[str, int | None] = Field(default_factory=dict, max_length=30)
    comments: dict[str, str] = Field(default_factory=dict, max_length=30)
    submit: bool = False


class ConflictIn(Schema):
    reason: str = Field("", max_length=300)


class MatchRunOut(Schema):
    id: int
    term_id: int
    method: str
    status: str
    seed: int
    message: str
    created_at: datetime
    finished_at: datetime | None
    published_at: datetime | None


class MatchRunDetailOut(MatchRunOut):
    stats: dict[str, object]


ERROR_CODES = (400, 401, 403, 404, 422, 429)


def responses(ok: object, status: int = 200) -> dict[int, object]:
    """The success schema plus the shared error body on every error status the API answers with."""
    return {status: ok, **dict.fromkeys(ERROR_CODES, ErrorOut)}


# Ids and filters the database can hold: a larger number is a 422, never a database overflow.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
MAX_ID = 2**31 - 1


def id_filter(value: int | None, *, name: str) -> int | None:
    """Check an id given as a query filter (paginated views get builtin types only: ninja resolves their
    annotations in its own module); out of range is a 422 like any schema error."""
    if value is not None and not 1 <= value <= MAX_ID:
        raise NinjaValidationError(
            [{"loc": ("query", name), "msg": f"Input should be a whole number from 1 to {MAX_ID}"}]
        )
    return value


class PreferenceOut(Schema):
    rank: int
    mentor_id: int
    mentor_name: str

    @staticmethod
    def resolve_mentor_name(obj: Any) -> str:
        return str(obj.mentor)


class PreferencesOut(Schema):
    term_id: int
    is_open: bool
    max_preferences: int
    ranking: list[PreferenceOut]


class PreferencesIn(Schema):
    mentor_ids: list[Id] = Field(..., max_length=30)


class RequirementOut(Schema):
    requirement_id: int
    name: str
    kind: str
    program: str | None
    site: str | None
    status: str
    message: str


class HoursRowOut(Schema):
    mentor: str
    specialty: str
    site: str
    minutes: int
    sessions: int
    first: str
    last: str


class HoursOut(Schema):
    total_minutes: int
    first: str
    last: str
    by_specialty: dict[str, int]
    rows: list[HoursRowOut]


class CertificateOut(Schema):
    code: str
    issued_at: datetime
    revoked_at: datetime | None
    total_minutes: int

    @staticmethod
    def resolve_total_minutes(obj: Any) -> int:
        return int((obj.totals or {}).get("total_minutes", 0))


class MatchResultOut(Schema):
    learner_id: int
    learner_name: str
    mentor_id: int | None
    mentor_name: str | None
    site_id: int | None
    rank: int | None
    score: float | None
    reason: str

    @staticmethod
    def resolve_learner_name(obj: Any) -> str:
        return obj.learner.user.full_name

    @staticmethod
    def resolve_mentor_name(obj: Any) -> str | None:
        return str(obj.mentor) if obj.mentor_id else None
