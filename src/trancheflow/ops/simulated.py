"""A simulated deployment: the logs a deal's contracts would emit, without a chain.

:class:`SimulatedDeal` runs a spec's exact waterfall (the contract's integer
rules, :func:`trancheflow.deal.run_deal` with ``mode="exact"``) and mines, on
a :class:`~trancheflow.ops.events.MemoryChain`, logs shaped exactly like the
``event`` definitions of ``Deal.vy`` and ``TrancheToken.vy``: ``SignerSet`` at
deployment, the closing mints (``Transfer`` from the zero address) and
``Closed``, one ``ReportSubmitted`` then ``TriggerBreached``/``PeriodFinalized``
per period (optionally a ``ReportVetoed`` first), holder ``Transfer`` and
``Claimed``, ``FeeClaimed`` and ``ResidualClaimed``. Claim amounts come from
:class:`trancheflow.chain.mirror.TrancheIndexMirror`, the Python mirror of the
token's index, so the simulation is an independent reference for the
indexer's holder accounting.

Delinquency buckets are synthetic: the projection gives one 60+ balance,
split here 60/25/10/5 % into 60-89 days, 90+, foreclosure and REO (and a
30-59 bucket of half the 60+ balance), with counts at one loan per
``avg_loan`` units. Only the 60+ total reaches the waterfall, as on-chain.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> from trancheflow.ops.events import MemoryChain
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-SIM",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}]})
>>> sim = SimulatedDeal(spec, MemoryChain())
>>> _ = sim.deploy(); _ = sim.close()
>>> sim.finalize_next()
1
>>> [e.name for e in sim.chain.events(0, sim.chain.latest_block(), sim.addresses)][-2:]
['ReportSubmitted', 'PeriodFinalized']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from trancheflow.chain.mirror import TrancheIndexMirror
from trancheflow.errors import ChainError
from trancheflow.ops.events import ZERO_ADDRESS, MemoryChain

__all__ = ["SimulatedDeal", "sim_address"]


def sim_address(label: str) -> str:
    """A deterministic 20-byte address for ``label`` (sha-256 based).

    Examples
    --------
    >>> sim_address("alice") == sim_address("alice") != sim_address("bob")
    True
    """
    return "0x" + hashlib.sha256(label.encode()).hexdigest()[:40]


def _b32(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


class SimulatedDeal:
    """One deal's contracts, simulated on a :class:`MemoryChain`.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    chain : MemoryChain
        Where the logs are mined.
    label : str
        Seed of the contract and role addresses.
    signers : int
        Oracle signers registered at deployment.
    avg_loan : int
        Units per loan for the synthetic delinquency counts.
    """

    def __init__(
        self,
        spec: Any,
        chain: MemoryChain,
        *,
        label: str = "deal",
        signers: int = 3,
        avg_loan: int = 250_000 * 10**6,
    ) -> None:
        from trancheflow.deal import run_deal
        from trancheflow.deal.params import RULE_IDS
        from trancheflow.deal.run import collateral_pool, pool_balance_units

        self.spec = spec
        self.chain = chain
        self.result = run_deal(spec, mode="exact")
        self.params = self.result.params
        self.pool_balance = pool_balance_units(spec, collateral_pool(spec))
        self.inputs = self.result.collections.to_exact(self.params.decimals, self.pool_balance)
        self.periods = self.result.exact or []
        self._rule_ids = RULE_IDS
        self.address = sim_address(f"{label}/deal")
        self.tokens = [sim_address(f"{label}/token/{n}") for n in self.params.names]
        self.issuer = sim_address(f"{label}/issuer")
        self.servicer = sim_address(f"{label}/servicer")
        self.guardian = sim_address(f"{label}/guardian")
        self.residual_holder = sim_address(f"{label}/residual")
        self.fee_recipients = [sim_address(f"{label}/fee/{n}") for n in self.params.fee_names]
        self.signers = sorted(sim_address(f"{label}/signer/{k}") for k in range(signers))
        self.quorum = max(1, (signers + 1) // 2)
        self.avg_loan = avg_loan
        self.mirrors = [TrancheIndexMirror(face) for face in self.params.tranche_balances]
        self.fee_owed = [0] * len(self.params.fee_rates)
        self.residual_owed = 0
        self.period = 0
        self.deploy_block: int | None = None

    @property
    def addresses(self) -> list[str]:
        """The deal and its tranche tokens."""
        return [self.address, *self.tokens]

    # ------------------------------------------------------------- lifecycle
    def deploy(self) -> int:
        """Mine the deployment block (``SignerSet`` per signer); returns its number."""
        self.deploy_block = self.chain.mine(
            [(self.address, "SignerSet", {"signer": a, "active": True}) for a in self.signers]
        )
        return self.deploy_block

    def close(self) -> int:
        """Mint every tranche's face to the issuer (``Transfer``) and log ``Closed``."""
        logs: list[tuple[str, str, dict[str, Any]]] = []
        for tok, mirror, face in zip(
            self.tokens, self.mirrors, self.params.tranche_balances, strict=True
        ):
            mirror.mint(self.issuer)
            logs.append(
                (tok, "Transfer", {"sender": ZERO_ADDRESS, "receiver": self.issuer, "value": face})
            )
        logs.append((self.address, "Closed", {"issuer": self.issuer}))
        return self.chain.mine(logs)

    def _report(self, t: int) -> dict[str, Any]:
        inp = self.inputs[t - 1]
        d60 = inp.delinquent_60_plus
        split = [d60 * 60 // 100, d60 * 25 // 100, d60 * 10 // 100]
        split.append(d60 - sum(split))
        dq30 = d60 // 2
        buckets = dict(
            zip(("dq30", "dq60", "dq90", "foreclosure", "reo"), [dq30, *split], strict=True)
        )
        report: dict[str, Any] = {
            "period": t,
            "interest": inp.interest,
            "scheduled_principal": inp.scheduled_principal,
            "prepayments": inp.prepayments,
            "recoveries": inp.recoveries,
            "losses": inp.losses,
        }
        for name, bal in buckets.items():
            report[f"{name}_count"] = -(-bal // self.avg_loan)
            report[f"{name}_balance"] = bal
        report["loans_root"] = _b32(f"{self.address}/loans/{t}")
        return report

    def submit(self, *, vetoed: bool = False) -> int:
        """Mine the next period's ``ReportSubmitted`` (and, if ``vetoed``, a
        ``ReportVetoed`` by the guardian in the next block); returns the last block."""
        t = self.period + 1
        if t > len(self.periods):
            raise ChainError(f"deal {self.spec.deal} has only {len(self.periods)} periods")
        report = self._report(t)
        inp = self.inputs[t - 1]
        args = {
            "period": t,
            "digest": _b32(f"{self.address}/digest/{t}/{vetoed}"),
            "inputs_hash": _b32(f"{self.address}/inputs/{t}/{vetoed}"),
            "cash": inp.cash,
            "report": report,
        }
        block = self.chain.mine([(self.address, "ReportSubmitted", args)])
        if vetoed:
            block = self.chain.mine(
                [
                    (
                        self.address,
                        "ReportVetoed",
                        {"period": t, "by": self.guardian, "cash_returned": inp.cash},
                    )
                ]
            )
        return block

    def finalize(self) -> int:
        """Mine the pending period's ``TriggerBreached`` logs and ``PeriodFinalized``."""
        t = self.period + 1
        r = self.periods[t - 1]
        prev = self.periods[t - 2].triggers if t > 1 else (False,) * len(r.triggers)
        logs: list[tuple[str, str, dict[str, Any]]] = [
            (self.address, "TriggerBreached", {"trigger": k, "period": t})
            for k, (now, before) in enumerate(zip(r.triggers, prev, strict=True))
            if now and not before
        ]
        breached = sum(1 << k for k, b in enumerate(r.triggers) if b)
        args = {
            "period": t,
            "pool_balance": r.pool_ending,
            "cumulative_loss": r.state.cumulative_loss,
            "reserve": r.reserve_balance,
            "residual": r.residual,
            "breached": breached,
            "principal_rule": self._rule_ids[r.active_rule],
            "fees_paid": [f.paid for f in r.fees],
            "interest_paid": [x.interest_paid for x in r.tranches],
            "principal_paid": [x.principal_paid for x in r.tranches],
            "writedown": [x.writedown for x in r.tranches],
            "balance": [x.ending_balance for x in r.tranches],
        }
        logs.append((self.address, "PeriodFinalized", args))
        for mirror, x in zip(self.mirrors, r.tranches, strict=True):
            if x.interest_paid + x.principal_paid:
                mirror.distribute(x.interest_paid + x.principal_paid)
        for j, f in enumerate(r.fees):
            self.fee_owed[j] += f.paid
        self.residual_owed += r.residual
        self.period = t
        return self.chain.mine(logs)

    def finalize_next(self, *, vetoed_first: bool = False) -> int:
        """Submit (optionally vetoed once and re-submitted) and finalize the next
        period; returns the period number."""
        if vetoed_first:
            self.submit(vetoed=True)
        self.submit()
        self.finalize()
        return self.period

    # ------------------------------------------------------------- holders
    def transfer(self, tranche: int, sender: str, receiver: str, amount: int) -> int:
        """Mine a tranche-token ``Transfer`` (settling both sides in the mirror)."""
        self.mirrors[tranche].transfer(sender, receiver, amount)
        return self.chain.mine(
            [
                (
                    self.tokens[tranche],
                    "Transfer",
                    {"sender": sender, "receiver": receiver, "value": amount},
                )
            ]
        )

    def claim(self, tranche: int, holder: str) -> int:
        """Mine the holder's ``Claimed`` (when it is owed anything); returns the amount."""
        amount = self.mirrors[tranche].claim(holder)
        if amount:
            self.chain.mine(
                [(self.tokens[tranche], "Claimed", {"holder": holder, "amount": amount})]
            )
        return amount

    def claim_fees(self) -> list[int]:
        """Mine ``FeeClaimed`` for every fee with an unclaimed amount."""
        logs = []
        paid = list(self.fee_owed)
        for j, amount in enumerate(paid):
            if amount:
                logs.append(
                    (
                        self.address,
                        "FeeClaimed",
                        {"fee": j, "recipient": self.fee_recipients[j], "amount": amount},
                    )
                )
        self.fee_owed = [0] * len(self.fee_owed)
        if logs:
            self.chain.mine(logs)
        return paid

    def claim_residual(self) -> int:
        """Mine ``ResidualClaimed`` for the residual owed; returns the amount."""
        amount, self.residual_owed = self.residual_owed, 0
        if amount:
            self.chain.mine(
                [
                    (
                        self.address,
                        "ResidualClaimed",
                        {"holder": self.residual_holder, "amount": amount},
                    )
                ]
            )
        return amount

    def claimable(self, tranche: int, holder: str) -> int:
        """What the token would answer to ``claimable(holder)`` (mirror)."""
        return self.mirrors[tranche].claimable(holder)

    def balances(self, tranche: int) -> dict[str, int]:
        """Token balances of tranche ``tranche`` (mirror), zero balances dropped."""
        return {str(k): v for k, v in self.mirrors[tranche].balances.items() if v}

    def register(self, db: Any, *, tokens: Sequence[str] | None = None) -> int:
        """Register this deal in the indexer database ``db``; returns its row id."""
        from trancheflow.ops.db import register_deal

        return register_deal(
            db,
            self.spec,
            chain_id=self.chain.chain_id,
            address=self.address,
            tokens=tokens or self.tokens,
            start_block=self.deploy_block if self.deploy_block is not None else 0,
            pool_balance=self.pool_balance,
        )
