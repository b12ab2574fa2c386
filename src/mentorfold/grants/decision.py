"""Deciding grants: calibration, funding line, lottery and budget into a record that is frozen and replayed;
then the award and decline letters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.engine import decision as decision_engine

from . import letters as letter_render
from .models import Application, DecisionRecord, GrantCycle, Letter, LetterMail, LetterTemplate, Review
from .money import money
from .state import lock_cycle, lock_unfrozen_cycle, refuse_if_frozen

NEED_WEIGHT = {1: 0.6, 2: 0.8, 3: 1.0}


# --------------------------------------------------------------------------- decision


def decision_inputs(*, cycle: GrantCycle, seed: int) -> dict[str, Any]:
    """Everything the decision depends on, from the database, as plain JSON (ids sorted: deterministic)."""
    apps = list(
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", "amount_requested", "need_level", "is_first_year", "is_rural")
    )
    reviews = list(
        Review.objects.filter(
            cycle=cycle, status=Review.Status.SUBMITTED, application__status=Application.Status.SUBMITTED
        )
        .order_by("application_id", "reviewer_id")
        .values_list("application_id", "reviewer_id", "total")
    )
    app_index = {a[0]: i for i, a in enumerate(apps)}
    reviewer_ids = sorted({r[1] for r in reviews})
    rev_index = {r: j for j, r in enumerate(reviewer_ids)}
    floors = []
    for f in cycle.floors or []:
        attr = 3 if f["attribute"] == "is_first_year" else 4
        floors.append(
            {
                "name": f["name"],
                "min_count": int(f["min_count"]),
                "members": [i for i, a in enumerate(apps) if a[attr]],
            }
        )
    return {
        "cycle": cycle.pk,
        "applications": [a[0] for a in apps],
        "reviewers": reviewer_ids,
        "reviews": {
            "application": [app_index[r[0]] for r in reviews],
            "reviewer": [rev_index[r[1]] for r in reviews],
            "score": [float(r[2]) for r in reviews],
        },
        "requests": [int(a[1] or 0) for a in apps],
        "need": [NEED_WEIGHT[int(a[2])] for a in apps],
        "floors": floors,
        "budget": int(cycle.total_budget),
        "award_min": int(cycle.award_min),
        "award_max": int(cycle.award_max),
        "award_step": int(cycle.award_step),
        "partial": bool(cycle.partial_awards),
        "use_lottery": bool(cycle.use_lottery),
        "z": 1.96,
        "seed": int(seed),
    }


def _decision_state(cycle: GrantCycle) -> tuple[Any, ...]:
    """A cheap summary of what the decision reads (aggregates, no rows), compared before and after computing.

    Submitted applications and reviews never change in place (only drafts are edited), so their counts,
    id sums and largest ids move whenever one is submitted, withdrawn or removed. The freeze itself
    re-checks the full inputs hash under the lock.
    """

    def summary(qs: Any) -> tuple[Any, ...]:
        agg = qs.aggregate(n=Count("pk"), total=Sum("pk"), top=Max("pk"))
        return (agg["n"], agg["total"], agg["top"])

    fields = (
        "total_budget",
        "award_min",
        "award_max",
        "award_step",
        "partial_awards",
        "use_lottery",
        "floors",
    )
    return (
        summary(Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)),
        summary(Review.objects.filter(cycle=cycle, status=Review.Status.SUBMITTED)),
        tuple(GrantCycle.objects.filter(pk=cycle.pk).values_list(*fields).get()),
    )


def _inputs_digest(inputs: dict[str, Any]) -> str:
    # The seed and engine are parameters, not data: the live-data check ignores them.
    return decision_engine.digest({k: v for k, v in inputs.items() if k != "seed"})


def decision_prepare(
    *, cycle: GrantCycle, actor: Any, seed: int | None = None, with_budget: bool = True
) -> DecisionRecord:
    """Calibrate (and with ``with_budget`` run the lottery and the budget) into a fresh draft record.

    The engine runs outside any transaction; the draft is stored in a short one under the cycle lock, after
    checking that no review or application changed meanwhile.
    """
    cycle = GrantCycle.objects.get(pk=cycle.pk)  # the parameters as stored now, not as a page loaded them
    refuse_if_frozen(cycle)
    if seed is None:
        seed = int.from_bytes(
            hashlib.sha256(f"{cycle.pk}-{timezone.now().isoformat()}".encode()).digest()[:4], "big"
        )
    if seed < 0 or seed > 2**53:
        raise ValidationError({"seed": _("Seed: use a whole number from 0 to 9007199254740992.")})
    state = _decision_state(cycle)
    inputs = decision_inputs(cycle=cycle, seed=seed)
    try:
        outputs = decision_engine.compute(inputs, with_budget=with_budget)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        cycle = lock_unfrozen_cycle(cycle.pk)
        if _decision_state(cycle) != state:
            raise ValidationError(
                _("Reviews or applications changed while calculating. Please run it again.")
            )
        DecisionRecord.objects.filter(cycle=cycle, status=DecisionRecord.Status.DRAFT).delete()
        record = DecisionRecord.objects.create(
            cycle=cycle,
            seed=seed,
            engine_version=decision_engine.engine_version(),
            inputs=inputs,
            inputs_sha256=_inputs_digest(inputs),
            outputs=outputs,
            outputs_sha256=decision_engine.digest(outputs),
            created_by=actor,
        )
        audit(
            actor=actor,
            action="grants.decision_budget" if with_budget else "grants.decision_calibrated",
            target=cycle,
            data={"seed": seed, "total": outputs.get("total")},
        )
    return record


@dataclass(frozen=True)
class Coverage:
    """How many of the wanted reviews are in, and how much of the budget a decision leaves unspent."""

    applications: int
    required: int
    reviews_in: int
    reviews_wanted: int
    short: int
    unreviewed: int
    budget: int
    awarded: int | None

    @property
    def missing(self) -> int:
        return self.reviews_wanted - self.reviews_in

    @property
    def unspent(self) -> int | None:
        return None if self.awarded is None else self.budget - self.awarded

    @property
    def is_complete(self) -> bool:
        return self.short == 0

    def summary(self) -> str:
        text = _("%(in)s of %(wanted)s reviews in.") % {"in": self.reviews_in, "wanted": self.reviews_wanted}
        if self.short:
            text += " " + ngettext(
                "%(n)s application has fewer than %(k)s submitted reviews.",
                "%(n)s applications have fewer than %(k)s submitted reviews.",
                self.short,
            ) % {"n": self.short, "k": self.required}
        if self.unspent:
            text += " " + _("%(money)s of the budget would stay unspent.") % {"money": money(self.unspent)}
        return text


def decision_coverage(*, record: DecisionRecord, required: int, budget: int) -> Coverage:
    """Review coverage of the record's inputs (the same data the decision used)."""
    n = len(record.inputs["applications"])
    counts = [0] * n
    for i in record.inputs["reviews"]["application"]:
        counts[i] += 1
    return Coverage(
        applications=n,
        required=required,
        reviews_in=sum(min(c, required) for c in counts),
        reviews_wanted=n * required,
        short=sum(1 for c in counts if c < required),
        unreviewed=sum(1 for c in counts if c == 0),
        budget=budget,
        awarded=record.outputs.get("total"),
    )


@transaction.atomic
def decision_freeze(*, record: DecisionRecord, actor: Any, override_reason: str = "") -> DecisionRecord:
    """The committee's final decision: inputs, parameters, seed and engine version become read-only.

    Locks the cycle row (every grant write takes the same lock, so nothing lands after the freeze) and
    refuses while an application has fewer reviews than the cycle asks, unless the coordinator writes a
    reason, which is audited.
    """
    cycle = lock_unfrozen_cycle(record.cycle_id)
    record = DecisionRecord.objects.select_for_update().get(pk=record.pk)
    record.cycle = cycle
    if record.status != DecisionRecord.Status.DRAFT:
        raise ValidationError(_("This decision record is no longer a draft. Reload the page."))
    if not record.has_budget:
        raise ValidationError(_("Run the budget before freezing the decision."))
    if record.outputs.get("solver_status") != "optimal":
        raise ValidationError(
            _(
                "The budget solver stopped at its time limit, so this result is not proven best and could differ "
                "on another computer. Run the budget again before freezing."
            )
        )
    live = decision_inputs(cycle=cycle, seed=record.seed)
    if _inputs_digest(live) != record.inputs_sha256:
        raise ValidationError(
            _("Reviews or applications changed since this draft. Run the budget again, then freeze.")
        )
    coverage = decision_coverage(
        record=record, required=cycle.reviewers_per_application, budget=cycle.total_budget
    )
    override_reason = override_reason.strip()
    if not coverage.is_complete and not override_reason:
        raise ValidationError(
            coverage.summary()
            + " "
            + _(
                "Wait for the missing reviews, or write a reason to freeze anyway (it is kept in the audit log)."
            )
        )
    record.status = DecisionRecord.Status.FROZEN
    record.frozen_at = timezone.now()
    record.frozen_by = actor
    record.save(update_fields=["status", "frozen_at", "frozen_by"])
    amounts = dict(zip(record.inputs["applications"], record.outputs["amounts"], strict=True))
    reasons = dict(zip(record.inputs["applications"], record.outputs["reasons"], strict=True))
    updates = []
    for application in Application.objects.filter(pk__in=list(amounts)):
        application.award_amount = amounts[application.pk]
        application.decision_reason = reasons[application.pk][:300]
        updates.append(application)
    Application.objects.bulk_update(updates, ["award_amount", "decision_reason"], batch_size=2000)
    cycle.status = GrantCycle.Status.DECIDED
    cycle.save(update_fields=["status"])
    audit(
        actor=actor,
        action="grants.decision_frozen",
        target=cycle,
        data={
            "seed": record.seed,
            "outputs_sha256": record.outputs_sha256,
            "engine": record.engine_version,
            "reviews_in": coverage.reviews_in,
            "reviews_wanted": coverage.reviews_wanted,
            "missing_reviews": coverage.missing,
            "applications_short": coverage.short,
            "unspent": coverage.unspent,
            "override": bool(override_reason) and not coverage.is_complete,
        },
        reason=override_reason,
    )
    return record


@dataclass(frozen=True)
class Replay:
    reproduced: bool
    outputs_sha256: str
    live_data_unchanged: bool
    inputs_intact: bool
    same_engine: bool


def decision_replay(*, record: DecisionRecord) -> Replay:
    """Recompute from the frozen inputs and compare bit for bit; also say whether live data still matches."""
    outputs = decision_engine.compute(record.inputs, with_budget=record.has_budget)
    sha = decision_engine.digest(outputs)
    live = decision_inputs(cycle=record.cycle, seed=record.seed)
    return Replay(
        reproduced=sha == record.outputs_sha256,
        outputs_sha256=sha,
        live_data_unchanged=_inputs_digest(live) == record.inputs_sha256,
        inputs_intact=_inputs_digest(record.inputs) == record.inputs_sha256,
        same_engine=record.engine_version == decision_engine.engine_version(),
    )


# --------------------------------------------------------------------------- letters


@transaction.atomic
def letter_template_save(*, template: LetterTemplate, subject: str, body: str, actor: Any) -> LetterTemplate:
    template.subject = subject
    template.body = body
    template.full_clean()
    template.save()
    audit(
        actor=actor,
        action="grants.letter_template_changed",
        target=template.cycle,
        data={"kind": template.kind},
    )
    return template


def letter_values(application: Application, record: DecisionRecord | None) -> dict[str, str]:
    amount = application.award_amount or 0
    return {
        "name": application.applicant.user.full_name,
        "cycle": application.cycle.name,
        "amount": money(amount),
        "decision": _("an award of %(amount)s") % {"amount": money(amount)}
        if amount
        else _("no award this time"),
        "code": application.code,
        "reason": application.decision_reason,
        "seed": str(record.seed) if record else "",
        "date": timezone.localdate().isoformat(),
    }


def letters_send(*, cycle: GrantCycle, actor: Any) -> int:
    """Queue the award and decline letters: a background task writes and mails them (see letters_deliver).

    Returns how many letters are still to go. Applications the decision could not review get no letter.
    """
    from mentorfold.core.tracking import task_run_start

    from . import tasks

    with transaction.atomic():
        cycle = lock_cycle(cycle.pk)
        if not cycle.is_frozen:
            raise ValidationError(_("Freeze the decision before sending letters."))
        pending = len(_letter_targets(cycle))
        if pending:
            task_run_start(
                task=tasks.send_letters,
                kind="grants.letters",
                label=_("Letters for %(cycle)s") % {"cycle": cycle.name},
                user=actor,
                cycle_id=cycle.pk,
            )
        audit(actor=actor, action="grants.letters_queued", target=cycle, data={"letters": pending})
    return pending


def _letter_targets(cycle: GrantCycle) -> list[int]:
    """Submitted applications the frozen decision reviewed and that have no sent letter yet."""
    record = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
    reviewed = {
        app_id
        for app_id, status in zip(record.inputs["applications"], record.outputs["status"], strict=True)
        if status != "not_reviewed"
    }
    done = set(LetterMail.objects.filter(application__cycle=cycle).values_list("application_id", flat=True))
    return [
        pk
        for pk in Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)
        if pk in reviewed and pk not in done
    ]


def letters_deliver(*, cycle_id: int, progress: Any = None) -> int:
    """Write and mail each pending letter in its own short transaction; the sent-log makes it idempotent.

    A retried or doubled task skips every application already in ``LetterMail`` (unique per application
    and kind), and each e-mail leaves only when its log row commits.
    """
    cycle = GrantCycle.objects.get(pk=cycle_id)
    if not cycle.is_frozen:
        raise ValidationError(_("Freeze the decision before sending letters."))
    record = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
    templates = {t.kind: t for t in LetterTemplate.objects.filter(cycle=cycle)}
    targets = _letter_targets(cycle)
    sent = 0
    for n, pk in enumerate(targets):
        with transaction.atomic():
            lock_cycle(cycle.pk)
            application = Application.objects.select_related("applicant__user", "cycle").get(pk=pk)
            kind = (
                LetterTemplate.Kind.AWARD
                if (application.award_amount or 0) > 0
                else LetterTemplate.Kind.DECLINE
            )
            if LetterMail.objects.filter(application=application).exists():
                continue
            values = letter_values(application, record)
            letter, _created = Letter.objects.get_or_create(
                application=application,
                defaults={
                    "kind": kind,
                    "subject": letter_render.render_text(templates[kind].subject, values),
                    "body": letter_render.render_text(templates[kind].body, values),
                },
            )
            LetterMail.objects.create(application=application, kind=letter.kind, letter=letter)
            email = application.applicant.user.email
            transaction.on_commit(
                lambda email=email, subject=letter.subject, body=letter.body: send_templated_mail(
                    to=[email], subject=subject, template="grants/email/letter.txt", context={"body": body}
                )
            )
            sent += 1
        if progress is not None and n % 100 == 0:
            progress(int(100 * n / max(len(targets), 1)), _("letters written: %(n)s") % {"n": n})
    return sent
