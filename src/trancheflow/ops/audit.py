"""Audit: recompute a deal's finalized periods from its spec and compare with the chain.

The chain says, for each finalized period, which servicer report it ran
(``ReportSubmitted``, the last one not vetoed) and what the waterfall paid
(``PeriodFinalized``). :func:`audit_record` re-runs every period with
:class:`~trancheflow.deal.exact.ExactWaterfall` from the spec and the
*reported* collections, and compares, to the unit, the pool balance,
cumulative loss, each fee paid, each tranche's interest, principal,
writedown and balance (hence its factor), the reserve, the residual, the
trigger bitmap and the principal rule in force, plus the ``TriggerBreached``
periods. Deal-level checks: the stored spec hash equals
:func:`~trancheflow.deal.onchain.spec_hash` of the spec given, the closing
pool balance and tranche faces equal the spec's, and each token's supply
(mints less burns, from ``Transfer`` logs) equals its original face, so
``supply x factor == balance``. Given loan-level files
(:func:`write_loan_file`), each file's Merkle root must equal its period's
reported ``loans_root`` (``tape.csv``: the deal's tape root).

First-loss fund and liquidation proceeds (docs/waterfall.md, "Insurance
(first-loss) fund" and "Liquidation (auction) proceeds"): each period runs
with ``recoveries`` = the reported recoveries + the chain's
``auction_proceeds`` for that period, after checking those proceeds do not
exceed the pool room ``P0 - scheduled_principal - prepayments - recoveries -
losses`` (the deal applies ``min(A, room)`` and carries the rest), and with
``insurance_available`` = the chain's ``insurance_cover``. The fund's
availability at finalize is in no event, so the cover cannot be recomputed
from scratch; fed the paid cover, the exact waterfall pays
``min(loss gap, cover, cap)``, so a match verifies that the cover did not
exceed the loss gap ``max(0, S - PA - turbo - P1)`` (nor the spec's cap), and
the premium ``min(mdiv(P0, premium_rate), IA)`` is verified exactly with the
spec's ``insurance.premium_rate``. The result says so: "cover checked as not
exceeding the loss gap".

Governance: a ``TriggerThresholdSet`` (or ``InsuranceFundSet``'s premium
rate) mined after ``k`` periods were finalized governs periods ``k + 1``
onwards; the audit applies it there, and lists every change made after
closing, with its block and period, in :attr:`AuditResult.governance`.

What the chain says is a :class:`ChainRecord`, read from the indexer's
database (:func:`record_from_db`) or straight from an
:class:`~trancheflow.ops.events.EventSource` (:func:`record_from_events`).
The result (:class:`AuditResult`) is pass/fail per period with the first
difference in words, e.g. ``period 14, tranche B principal_paid: chain
1,234,567 vs spec 1,234,568 (diff -1)``.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> from trancheflow.ops.events import MemoryChain
>>> from trancheflow.ops.simulated import SimulatedDeal
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-AUD",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}]})
>>> sim = SimulatedDeal(spec, MemoryChain())
>>> _ = sim.deploy(); _ = sim.close()
>>> for _ in range(3): _ = sim.finalize_next()
>>> rec = record_from_events(sim.chain, sim.address, sim.tokens)
>>> result = audit_record(rec, spec)
>>> result.ok, result.through_period
(True, 3)
>>> spec2 = spec.model_copy(update={"tranches": [spec.tranches[0].model_copy(
...     update={"coupon": 0.051}), spec.tranches[1]]})
>>> print(audit_record(rec, spec2).first_difference)
period 1, tranche A interest_paid: chain 3,333,333 vs spec 3,400,000 (diff -66,667)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from trancheflow.errors import DatabaseError, NotFoundError, SpecError, WaterfallError
from trancheflow.ops.audit_records import (
    LOAN_FILE,
    TRANCHE_FIELDS,
    ChainRecord,
    FinalizedRecord,
    ParameterChangeRecord,
    ReportRecord,
    hex32,
    loan_file_root,
    record_from_db,
    record_from_events,
    write_loan_file,
)

__all__ = [
    "AuditResult",
    "ChainRecord",
    "DealCheck",
    "Difference",
    "FinalizedRecord",
    "PeriodAudit",
    "ReportRecord",
    "audit_db",
    "audit_record",
    "loan_file_root",
    "record_from_db",
    "record_from_events",
    "write_loan_file",
]

_FACTOR_SCALE = 10**18


# ---------------------------------------------------------------- results
def _fmt(v: object) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


@dataclass(frozen=True)
class Difference:
    """One value where the chain and the spec disagree (``diff = chain - spec``)."""

    period: int | None
    subject: str
    field: str
    chain: object
    spec: object

    def __str__(self) -> str:
        where = f"period {self.period}, " if self.period is not None else ""
        text = f"{where}{self.subject} {self.field}: "
        text += f"chain {_fmt(self.chain)} vs spec {_fmt(self.spec)}"
        if isinstance(self.chain, int) and isinstance(self.spec, int):
            text += f" (diff {self.chain - self.spec:+,})"
        return text

    def to_json(self) -> dict[str, Any]:
        """JSON form (amounts as strings: they can exceed 2**53)."""
        return {
            "period": self.period,
            "subject": self.subject,
            "field": self.field,
            "chain": str(self.chain),
            "spec": str(self.spec),
            "text": str(self),
        }


@dataclass(frozen=True)
class DealCheck:
    """A deal-level check; ``ok`` is None when the source could not tell."""

    name: str
    ok: bool | None
    message: str
    difference: Difference | None = None


@dataclass(frozen=True)
class PeriodAudit:
    """One finalized period: pass/fail, values compared and the first difference."""

    period: int
    ok: bool
    compared: int
    difference: Difference | None = None


@dataclass(frozen=True)
class AuditResult:
    """The outcome of one audit of one deal."""

    deal: str
    address: str
    chain_id: int
    checks: tuple[DealCheck, ...]
    periods: tuple[PeriodAudit, ...]
    #: Parameter changes made through governance after closing (one line each).
    governance: tuple[str, ...] = ()
    #: What the audit could only bound, not recompute (e.g. the fund's cover).
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no check and no period failed."""
        return all(c.ok is not False for c in self.checks) and all(p.ok for p in self.periods)

    @property
    def through_period(self) -> int:
        """The last finalized period audited (0 before the first)."""
        return max((p.period for p in self.periods), default=0)

    @property
    def first_difference(self) -> Difference | str | None:
        """The first failure: a deal-level check first, then the earliest period."""
        for c in self.checks:
            if c.ok is False:
                return c.difference or c.message
        for p in self.periods:
            if not p.ok:
                return p.difference
        return None

    @property
    def summary(self) -> str:
        """One line: what passed, or the first difference."""
        first = self.first_difference
        if first is not None:
            bad = sum(not p.ok for p in self.periods)
            return f"FAIL {self.deal}: {first} ({bad} of {len(self.periods)} period(s) differ)"
        skipped = [c.name for c in self.checks if c.ok is None]
        text = (
            f"PASS {self.deal}: {len(self.periods)} period(s) match the spec to the unit "
            f"({sum(p.compared for p in self.periods):,} values)"
        )
        text += "".join(f"; {n}" for n in self.notes)
        if self.governance:
            text += "; changed through governance: " + "; ".join(self.governance)
        return text + (f"; not checked: {', '.join(skipped)}" if skipped else "")

    def to_json(self) -> dict[str, Any]:
        """JSON form, stored in ``audit_results.details``."""
        first = self.first_difference
        return {
            "deal": self.deal,
            "address": self.address,
            "chain_id": self.chain_id,
            "ok": self.ok,
            "through_period": self.through_period,
            "summary": self.summary,
            "first_difference": first.to_json() if isinstance(first, Difference) else first,
            "governance": list(self.governance),
            "notes": list(self.notes),
            "checks": [{"name": c.name, "ok": c.ok, "message": c.message} for c in self.checks],
            "periods": [
                {
                    "period": p.period,
                    "ok": p.ok,
                    "compared": p.compared,
                    "difference": None if p.difference is None else p.difference.to_json(),
                }
                for p in self.periods
            ],
        }


# ---------------------------------------------------------------- the audit
def _spec_pool_units(spec: Any) -> int | None:
    from trancheflow.deal.run import collateral_pool, pool_balance_units

    try:
        return int(pool_balance_units(spec, collateral_pool(spec)))
    except Exception:  # a tape that cannot be read: the check is reported as skipped
        return None


def _deal_checks(rec: ChainRecord, spec: Any, params: Any) -> list[DealCheck]:
    from trancheflow.deal.onchain import spec_hash

    out: list[DealCheck] = []

    def cmp(name: str, chain: object, want: object, subject: str = "deal") -> None:
        if chain is None:
            out.append(DealCheck(name, None, f"{name}: the source does not record it"))
        elif chain == want:
            out.append(DealCheck(name, True, f"{_fmt(chain)} as the spec says"))
        else:
            d = Difference(None, subject, name, chain, want)
            out.append(DealCheck(name, False, str(d), d))

    cmp("spec_hash", rec.spec_hash, "0x" + spec_hash(spec).hex())
    spec_pool = _spec_pool_units(spec)
    if spec_pool is None:
        out.append(DealCheck("pool_balance", None, "the spec's collateral could not be read"))
    else:
        cmp("pool_balance", rec.original_pool_balance, spec_pool)
    n = params.n_tranches
    if rec.tranche_originals is not None:
        for i in range(max(n, len(rec.tranche_originals))):
            name = params.names[i] if i < n else f"#{i}"
            got = rec.tranche_originals[i] if i < len(rec.tranche_originals) else "absent"
            want = params.tranche_balances[i] if i < n else "absent"
            cmp(f"original face {name}", got, want, f"tranche {name}")
    for i, supply in enumerate(rec.supply):
        name = params.names[i] if i < n else f"#{i}"
        want = params.tranche_balances[i] if i < n else 0
        # tokens are denominated in original face: supply x factor == balance iff supply == face
        cmp(f"token supply {name}", supply, want, f"tranche {name}")
    return out


def _compare_period(
    fin: FinalizedRecord, res: Any, params: Any, rule_ids: Mapping[str, int]
) -> tuple[int, Difference | None]:
    t = fin.period
    compared = 0
    checks: list[tuple[str, str, object, object]] = [
        ("insurance fund", "insurance_premium", fin.insurance_premium, res.insurance_premium),
        ("insurance fund", "insurance_cover", fin.insurance_cover, res.insurance_cover),
        ("deal", "pool_balance", fin.pool_balance, res.pool_ending),
        ("deal", "cumulative_loss", fin.cumulative_loss, res.state.cumulative_loss),
        ("deal", "fee count", len(fin.fees_paid), len(res.fees)),
        ("deal", "tranche count", len(fin.balance), len(res.tranches)),
    ]
    checks += [
        (f"fee {f.name}", "paid", fin.fees_paid[j], f.paid)
        for j, f in enumerate(res.fees)
        if j < len(fin.fees_paid)
    ]
    for i, x in enumerate(res.tranches):
        for f, want in zip(
            TRANCHE_FIELDS,
            (x.interest_paid, x.principal_paid, x.writedown, x.ending_balance),
            strict=True,
        ):
            got = getattr(fin, f)
            if i < len(got):
                checks.append((f"tranche {x.name}", f, got[i], want))
        if i < len(fin.balance):
            face = params.tranche_balances[i]
            checks.append(
                (
                    f"tranche {x.name}",
                    "factor x 1e18",
                    fin.balance[i] * _FACTOR_SCALE // face if face else 0,
                    x.ending_balance * _FACTOR_SCALE // face if face else 0,
                )
            )
    breached = sum(1 << k for k, b in enumerate(res.triggers) if b)
    checks += [
        ("deal", "reserve", fin.reserve, res.reserve_balance),
        ("deal", "residual", fin.residual, res.residual),
        ("deal", "triggers breached (bitmap)", fin.breached, breached),
        ("deal", "principal_rule", fin.principal_rule, rule_ids[res.active_rule]),
    ]
    for subject, name, got, want in checks:
        compared += 1
        if got != want:
            return compared, Difference(t, subject, name, got, want)
    return compared, None


def audit_record(
    record: ChainRecord, spec: Any, *, loans_dir: str | Path | None = None
) -> AuditResult:
    """Audit ``record`` against ``spec`` (and the loan files in ``loans_dir``).

    Each period runs from the spec's own state after the previous period, so
    a difference in period ``t`` usually makes later periods differ too; the
    first difference is the one to look at.

    Raises
    ------
    SpecError
        ``spec`` is not a :class:`~trancheflow.deal.spec.DealSpec`, or
        ``loans_dir`` is not a folder.
    """
    from trancheflow.deal.exact import ExactWaterfall
    from trancheflow.deal.params import RULE_IDS, WaterfallParams
    from trancheflow.deal.spec import DealSpec

    if not isinstance(spec, DealSpec):
        raise SpecError(f"the audit needs a DealSpec, got {type(spec).__name__}")
    params = WaterfallParams.from_spec(spec)
    wf = ExactWaterfall(params)
    checks = _deal_checks(record, spec, params)
    pool0 = record.original_pool_balance
    if pool0 is None:
        pool0 = _spec_pool_units(spec) or 0
    state = wf.initial_state(pool0)
    periods: list[PeriodAudit] = []
    changes = record.parameter_changes
    for k, fin in enumerate(record.periods, start=1):
        t = fin.period
        rep = record.reports.get(t)
        diff: Difference | None = None
        compared = 0
        if t != k:
            diff = Difference(t, "deal", "period number", t, k)
        elif rep is None:
            diff = Difference(t, "deal", "servicer report", "none finalized", "one report")
        elif rep.cash != rep.period_input().cash:
            diff = Difference(t, "report", "cash deposited", rep.cash, rep.period_input().cash)
        if diff is not None:
            periods.append(PeriodAudit(t, False, compared, diff))
            continue
        assert rep is not None
        for c in changes:
            if c.after_period == t - 1:
                wf.params = _apply_change(wf.params, c)
        inp, diff = _period_input(rep, fin, state.pool_balance)
        if diff is not None:
            periods.append(PeriodAudit(t, False, 0, diff))
            continue
        try:
            res = wf.run_period(state, inp)
        except WaterfallError as exc:
            d = Difference(t, "report", "bounds", "accepted", f"rejected ({exc})")
            periods.append(PeriodAudit(t, False, 0, d))
            continue
        compared, diff = _compare_period(fin, res, params, RULE_IDS)
        state = res.state
        periods.append(PeriodAudit(t, diff is None, compared, diff))
    checks.append(_breach_check(record, wf.params.trigger_names))
    if loans_dir is not None:
        checks.extend(_loan_checks(record, Path(loans_dir)))
    notes: tuple[str, ...] = ()
    if params.insurance_premium_rate or any(f.insurance_cover for f in record.periods):
        notes = (
            "premium recomputed exactly; cover checked as not exceeding the loss gap "
            "(the fund's availability is not in the events)",
        )
    return AuditResult(
        deal=record.name or spec.deal,
        address=record.address,
        chain_id=record.chain_id,
        checks=tuple(checks),
        periods=tuple(periods),
        governance=tuple(c.describe(params.trigger_names) for c in changes),
        notes=notes,
    )


def _period_input(
    rep: ReportRecord, fin: FinalizedRecord, pool: int
) -> tuple[Any, Difference | None]:
    """The waterfall's input: reported collections, recoveries plus the auction
    proceeds applied (bounded by the pool room), and the cover paid as available."""
    base = rep.period_input()
    room = pool - base.scheduled_principal - base.prepayments - base.recoveries - base.losses
    if fin.auction_proceeds > max(room, 0):
        want = f"at most the pool room {max(room, 0):,}"
        return base, Difference(
            fin.period, "liquidation", "auction_proceeds", fin.auction_proceeds, want
        )
    return replace(
        base,
        recoveries=base.recoveries + fin.auction_proceeds,
        insurance_available=fin.insurance_cover,
    ), None


def _apply_change(params: Any, change: ParameterChangeRecord) -> Any:
    """``params`` with a governance change that moves the waterfall applied."""
    a = change.args
    if change.name == "TriggerThresholdSet":
        k = int(a["trigger"])
        if 0 <= k < len(params.triggers):
            triggers = list(params.triggers)
            triggers[k] = replace(triggers[k], threshold=int(a["threshold"]))
            return replace(params, triggers=tuple(triggers))
    elif change.name == "InsuranceFundSet":
        return replace(params, insurance_premium_rate=int(a["premium_rate"]))
    return params


def _breach_check(rec: ChainRecord, names: Sequence[str]) -> DealCheck:
    """``TriggerBreached`` logs: each trigger once, in the first period its bit is set."""
    first: dict[int, int] = {}
    for fin in rec.periods:
        for k in range(fin.breached.bit_length()):
            if fin.breached >> k & 1:
                first.setdefault(k, fin.period)
    logged: dict[int, int] = {}
    for k, t in rec.breaches:
        if k in logged:
            d = Difference(t, f"trigger {k}", "TriggerBreached", "logged twice", "logged once")
            return DealCheck("trigger breaches", False, str(d), d)
        logged[k] = t
    for k in sorted(set(first) | set(logged)):
        name = names[k] if k < len(names) else str(k)
        got, want = logged.get(k, "never"), first.get(k, "never")
        if got != want:
            d = Difference(None, f"trigger {name}", "breach period", got, want)
            return DealCheck("trigger breaches", False, str(d), d)
    return DealCheck("trigger breaches", True, f"{len(logged)} trigger breach(es) logged")


def _loan_checks(rec: ChainRecord, folder: Path) -> list[DealCheck]:
    if not folder.is_dir():
        raise SpecError(
            "is not a folder; pass the folder holding period-<N>.csv / tape.csv loan files",
            file=str(folder),
        )
    out: list[DealCheck] = []
    files = sorted(
        (int(m.group(1)) if m.group(1) else 0, p)
        for p in folder.iterdir()
        if (m := LOAN_FILE.match(p.name))
    )
    if not files:
        out.append(DealCheck("loan files", None, f"no period-<N>.csv or tape.csv in {folder}"))
    for t, p in files:
        root = "0x" + loan_file_root(p).hex()
        name = f"loans {p.name}"
        if t == 0:
            want = rec.tape_root
            subject = "tape root"
        else:
            rep = rec.reports.get(t)
            want = None if rep is None else rep.loans_root
            subject = f"period {t} loans_root"
        if want is None:
            out.append(DealCheck(name, None, f"{p.name}: no {subject} on record to compare"))
        elif want == root:
            out.append(DealCheck(name, True, f"{p.name}: Merkle root matches the {subject}"))
        else:
            d = Difference(t or None, "loan file " + p.name, "Merkle root", want, root)
            msg = f"{d}: the loan-level file does not match the root reported on chain"
            out.append(DealCheck(name, False, msg, d))
    return out


def audit_db(
    db: str | URL | Engine,
    ref: str,
    spec: Any,
    *,
    loans_dir: str | Path | None = None,
    tape_root: str | bytes | None = None,
    store: bool = True,
    chain_id: int | None = None,
) -> AuditResult:
    """Audit deal ``ref`` (name or address) of the indexer database ``db`` against
    ``spec``; store the result (``audit_results``) unless ``store`` is false.

    Raises
    ------
    NotFoundError, DatabaseError, SpecError
        Unknown deal, unreadable database, unusable spec or loan files.
    """
    from trancheflow.ops.db import upgrade

    upgrade(db)  # an index written by an older trancheflow gains the new columns first
    rec, deal_id = record_from_db(db, ref, chain_id=chain_id)
    if tape_root is not None:
        rec.tape_root = hex32(tape_root)
    result = audit_record(rec, spec, loans_dir=loans_dir)
    if store:
        from trancheflow.ops.db import store_audit_result

        try:
            store_audit_result(
                db,
                deal_id,
                ok=result.ok,
                through_period=result.through_period,
                summary=result.summary,
                details=result.to_json(),
            )
        except NotFoundError:
            raise
        except SQLAlchemyError as exc:
            raise DatabaseError(f"storing the audit result failed: {exc}") from exc
    return result
