"""Deciding grants: calibration, funding line, lottery and budget into a record that is frozen and replayed;
then the award and decline letters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.engine import decision as decision_engine

from . import letters as letter_render
from .models import Application, DecisionRecord, GrantCycle, Letter, LetterTemplate, Review
from .money import money
from .state import refuse_if_frozen as _refuse_if_frozen

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


def _inputs_digest(inputs: dict[str, Any]) -> str:
    # The seed and engine are parameters, not data: the live-data check ignores them.
    return decision_engine.digest({k: v for k, v in inputs.items() if k != "seed"})


@transaction.atomic
def decision_prepare(
    *, cycle: GrantCycle, actor: Any, seed: int | None = None, with_budget: bool = True
) -> DecisionRecord:
    """Calibrate (and with ``with_budget`` run the lottery and the budget) into a fresh draft record."""
    _refuse_if_frozen(cycle)
    if seed is None:
        seed = int.from_bytes(
            hashlib.sha256(f"{cycle.pk}-{timezone.now().isoformat()}".encode()).digest()[:4], "big"
        )
    if seed < 0 or seed > 2**53:
        raise ValidationError({"seed": _("Seed: use a whole number from 0 to 9007199254740992.")})
    inputs = decision_inputs(cycle=cycle, seed=seed)
    try:
        outputs = decision_engine.compute(inputs, with_budget=with_budget)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
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


@transaction.atomic
def decision_freeze(*, record: DecisionRecord, actor: Any) -> DecisionRecord:
    """The committee's final decision: inputs, parameters, seed and engine version become read-only."""
    record = DecisionRecord.objects.select_for_update().select_related("cycle").get(pk=record.pk)
    cycle = record.cycle
    _refuse_if_frozen(cycle)
    if not record.has_budget:
        raise ValidationError(_("Run the budget before freezing the decision."))
    live = decision_inputs(cycle=cycle, seed=record.seed)
    if _inputs_digest(live) != record.inputs_sha256:
        raise ValidationError(
            _("Reviews or applications changed since this draft. Run the budget again, then freeze.")
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
        data={"seed": record.seed, "outputs_sha256": record.outputs_sha256, "engine": record.engine_version},
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


@transaction.atomic
def letters_send(*, cycle: GrantCycle, actor: Any) -> int:
    """Award and decline letters to every submitted applicant not yet written to (e-mail; PDF on request)."""
    if not cycle.is_frozen:
        raise ValidationError(_("Freeze the decision before sending letters."))
    record = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
    templates = {t.kind: t for t in LetterTemplate.objects.filter(cycle=cycle)}
    sent = 0
    pending = (
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED, letter__isnull=True)
        .select_related("applicant__user", "cycle")
        .order_by("pk")
    )
    for application in pending:
        kind = (
            LetterTemplate.Kind.AWARD if (application.award_amount or 0) > 0 else LetterTemplate.Kind.DECLINE
        )
        template = templates[kind]
        values = letter_values(application, record)
        subject = letter_render.render_text(template.subject, values)
        body = letter_render.render_text(template.body, values)
        Letter.objects.create(application=application, kind=kind, subject=subject, body=body)
        email = application.applicant.user.email
        transaction.on_commit(
            lambda email=email, subject=subject, body=body: send_templated_mail(
                to=[email], subject=subject, template="grants/email/letter.txt", context={"body": body}
            )
        )
        sent += 1
    audit(actor=actor, action="grants.letters_sent", target=cycle, data={"letters": sent})
    return sent
