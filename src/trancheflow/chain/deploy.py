"""Deploy a full on-chain deal (settlement token, deal, tranche tokens).

:class:`DealConfig` holds everything the ``Deal`` constructor needs beyond
the integers of :class:`~trancheflow.deal.onchain.OnchainParams` (which pass
through unchanged: the contract uses the same rule, metric and direction ids):
token names and symbols, fee recipients, oracle signers and quorum, roles,
the spec hash and the loan-tape root. :meth:`DealConfig.constructor_args`
is backend-agnostic (plain Python values in ABI order); :func:`deploy_deal`
deploys with titanoboa in the current ``boa.env``.

Examples
--------
>>> from trancheflow.deal.onchain import OnchainParams
>>> p = OnchainParams(decimals=6, pool_balance=1_000, tranche_balances=(600, 300),
...                   coupons=(50_000_000, 80_000_000), accrual=(False, False),
...                   fee_rates=(), principal_rule=0, reserve_target=0, reserve_floor=0,
...                   oc_target=0, triggers=())
>>> cfg = DealConfig.from_onchain(p, signers=("0x" + "aa" * 20,), servicer="0x" + "bb" * 20)
>>> [t.symbol for t in cfg.tranches], cfg.quorum
(['TF0', 'TF1'], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trancheflow.chain.compile import load_partial
from trancheflow.errors import ChainError

__all__ = [
    "ZERO_ADDRESS",
    "DealConfig",
    "DeployedDeal",
    "FeeConfig",
    "TrancheConfig",
    "core_blueprints",
    "deploy_deal",
]

ZERO_ADDRESS = "0x" + "00" * 20
#: Bounds of the contract's dynamic arrays (Deal.vy constants).
MAX_TRANCHES, MAX_FEES, MAX_TRIGGERS, MAX_SIGNERS = 16, 4, 8, 16
_ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class TrancheConfig:
    """One non-residual tranche: token name/symbol, original face, coupon x 1e9, Z flag."""

    name: str
    symbol: str
    original: int
    coupon: int
    accrual: bool = False

    def __post_init__(self) -> None:
        if len(self.name.encode()) > 25:
            raise ChainError(f"tranche token name {self.name!r} is longer than 25 bytes")
        if len(self.symbol.encode()) > 5:
            raise ChainError(f"tranche token symbol {self.symbol!r} is longer than 5 bytes")
        if self.original <= 0:
            raise ChainError(f"tranche {self.name!r}: original face {self.original} must be > 0")


@dataclass(frozen=True)
class FeeConfig:
    """One fee: recipient and annual rate on the pool balance x 1e9."""

    recipient: str
    rate: int


@dataclass(frozen=True)
class DealConfig:
    """Everything the ``Deal`` constructor takes (amounts in units, rates x 1e9).

    ``insurance_fund`` (an ``InsuranceFund`` address, zero for none) with
    ``insurance_premium_rate`` (annual, x 1e9) adds the first-loss fund of
    docs/waterfall.md; ``liquidation`` (zero for none) the auction proceeds
    taken at finalize; ``trigger_bounds`` one ``(lower, upper)`` per trigger
    within which governance may move its threshold (empty: fixed).
    """

    pool_balance: int
    tranches: tuple[TrancheConfig, ...]
    signers: tuple[str, ...]
    servicer: str
    fees: tuple[FeeConfig, ...] = ()
    principal_rule: int = 0
    reserve_target: int = 0
    reserve_floor: int = 0
    oc_target: int = 0
    triggers: tuple[tuple[int, int, int, int], ...] = ()
    quorum: int = 1
    dispute_window: int = 86_400
    guardian: str = ""
    residual_holder: str = ""
    compliance: str = ZERO_ADDRESS
    insurance_fund: str = ZERO_ADDRESS
    insurance_premium_rate: int = 0
    liquidation: str = ZERO_ADDRESS
    trigger_bounds: tuple[tuple[int, int], ...] = ()
    spec_hash: bytes = _ZERO32
    tape_root: bytes = _ZERO32
    extras: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_onchain(
        cls,
        params: Any,
        *,
        signers: Sequence[str],
        servicer: str,
        quorum: int = 1,
        names: Sequence[str] = (),
        symbols: Sequence[str] = (),
        fee_recipients: Sequence[str] = (),
        **kwargs: Any,
    ) -> DealConfig:
        """A config from ``OnchainParams`` plus the roles the spec does not hold.

        Missing names/symbols default to ``Tranche <i>`` / ``TF<i>``; missing
        fee recipients to the servicer.
        """
        n = len(params.tranche_balances)
        names = list(names) or [f"Tranche {i}" for i in range(n)]
        symbols = list(symbols) or [f"TF{i}" for i in range(n)]
        recips = list(fee_recipients) or [servicer] * len(params.fee_rates)
        if len(names) != n or len(symbols) != n or len(recips) != len(params.fee_rates):
            raise ChainError(
                f"{n} tranches and {len(params.fee_rates)} fees need as many names, symbols "
                f"and fee recipients (got {len(names)}, {len(symbols)}, {len(recips)})"
            )
        return cls(
            pool_balance=params.pool_balance,
            tranches=tuple(
                TrancheConfig(names[i], symbols[i], b, c, bool(a))
                for i, (b, c, a) in enumerate(
                    zip(params.tranche_balances, params.coupons, params.accrual, strict=True)
                )
            ),
            fees=tuple(
                FeeConfig(r, rate) for r, rate in zip(recips, params.fee_rates, strict=True)
            ),
            principal_rule=params.principal_rule,
            reserve_target=params.reserve_target,
            reserve_floor=params.reserve_floor,
            oc_target=params.oc_target,
            triggers=tuple(tuple(t) for t in params.triggers),
            signers=tuple(signers),
            servicer=servicer,
            quorum=quorum,
            **kwargs,
        )

    def constructor_args(
        self, settlement: str, token_blueprint: str, engine_blueprint: str, oracle_blueprint: str
    ) -> tuple[Any, ...]:
        """The ``Deal`` constructor arguments, in ABI order.

        The three blueprints (EIP-5202) are those of ``TrancheToken``,
        ``WaterfallEngine`` and ``ReportOracle``; the deal deploys one
        engine, one oracle and one token per tranche from them.

        Raises
        ------
        ChainError
            When a list is longer than the contract's bound.
        """
        for what, items, bound in (
            ("tranches", self.tranches, MAX_TRANCHES),
            ("fees", self.fees, MAX_FEES),
            ("triggers", self.triggers, MAX_TRIGGERS),
            ("signers", self.signers, MAX_SIGNERS),
        ):
            if len(items) > bound:
                raise ChainError(f"a deal takes at most {bound} {what}; got {len(items)}")
        guardian = self.guardian or self.servicer
        residual = self.residual_holder or self.servicer
        return (
            settlement,
            token_blueprint,
            engine_blueprint,
            oracle_blueprint,
            self.spec_hash,
            self.tape_root,
            self.pool_balance,
            [(t.name, t.symbol, t.original, t.coupon, t.accrual) for t in self.tranches],
            [(f.recipient, f.rate) for f in self.fees],
            self.principal_rule,
            self.reserve_target,
            self.reserve_floor,
            self.oc_target,
            [tuple(t) for t in self.triggers],
            list(self.signers),
            self.quorum,
            self.dispute_window,
            self.servicer,
            guardian,
            residual,
            self.compliance,
            self.insurance_fund,
            self.insurance_premium_rate,
            self.liquidation,
            [tuple(b) for b in self.trigger_bounds],
        )


@dataclass
class DeployedDeal:
    """Handles of a deployed deal (titanoboa contract objects).

    ``oracle`` is the deal's ReportOracle (the servicer submits there),
    ``engine`` its WaterfallEngine.
    """

    deal: Any
    tokens: list[Any]
    settlement: Any
    blueprint: str
    oracle: Any = None
    engine: Any = None

    @property
    def address(self) -> str:
        """The deal's address."""
        return str(self.deal.address)


def core_blueprints() -> tuple[str, str]:
    """``(engine, oracle)`` blueprint addresses in the current ``boa.env``.

    Deployed once per environment (the blueprints hold no state).
    """
    import boa

    env = boa.env
    cached = _BLUEPRINTS.get(id(env))
    if cached is not None and all(len(env.get_code(a)) > 0 for a in cached):
        return cached
    out = (
        str(load_partial("WaterfallEngine").deploy_as_blueprint().address),
        str(load_partial("ReportOracle").deploy_as_blueprint().address),
    )
    _BLUEPRINTS[id(env)] = out
    return out


_BLUEPRINTS: dict[int, tuple[str, str]] = {}


def deploy_deal(
    config: DealConfig,
    *,
    settlement: Any = None,
    blueprint: str | None = None,
    issuer: str | None = None,
    owner: str | None = None,
    pending_owner: str | None = None,
) -> DeployedDeal:
    """Deploy ``config`` in the current ``boa.env``.

    Parameters
    ----------
    config : DealConfig
        The deal.
    settlement : contract, optional
        The settlement token; a fresh ``MockUSDC`` when omitted.
    blueprint : str, optional
        An already deployed TrancheToken blueprint (saves gas across deals).
    issuer : str, optional
        When given, the deal is closed and every tranche minted to ``issuer``.
    owner : str, optional
        Deployer / owner of the deal (default ``boa.env.eoa``).
    pending_owner : str, optional
        Proposed next owner (two-step ownership, e.g. the governance
        timelock), after closing; it becomes owner when it calls
        ``accept_ownership``.
    """
    import boa

    if settlement is None:
        settlement = load_partial("MockUSDC").deploy()
    token_deployer = load_partial("TrancheToken")
    if blueprint is None:
        blueprint = str(token_deployer.deploy_as_blueprint().address)
    engine_bp, oracle_bp = core_blueprints()
    args = config.constructor_args(str(settlement.address), blueprint, engine_bp, oracle_bp)
    if owner is None:
        deal = load_partial("Deal").deploy(*args)
    else:
        with boa.env.prank(owner):
            deal = load_partial("Deal").deploy(*args)
    tokens = [token_deployer.at(deal.tranche_token(i)) for i in range(len(config.tranches))]
    out = DeployedDeal(
        deal=deal,
        tokens=tokens,
        settlement=settlement,
        blueprint=blueprint,
        oracle=load_partial("ReportOracle").at(deal.ORACLE()),
        engine=load_partial("WaterfallEngine").at(deal.ENGINE()),
    )
    if issuer is not None:
        with boa.env.prank(owner or boa.env.eoa):
            deal.close(issuer)
    if pending_owner is not None:
        with boa.env.prank(owner or boa.env.eoa):
            deal.transfer_ownership(pending_owner)
    return out
