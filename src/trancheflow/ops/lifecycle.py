"""A deal's life on a chain: what servicers, oracle signers, a keeper and
investors do month after month, with the indexer recording it.

:func:`run_life` deploys a deal from its spec and tape through a
:class:`~trancheflow.chain.client.DealClient` (the embedded titanoboa chain by
default), sells every tranche to a handful of investor accounts through
subscription windows, then for each month:

1. draws the month's prepayment and default speeds around the spec's
   assumptions (a seeded AR(1) regime, so speeds wander the way rates do) —
   the collateral engine turns them into borrower payments, prepayments,
   delinquencies, defaults and recoveries;
2. the servicer deposits the collections with its report (delinquency
   buckets and the loan-level Merkle root), attested by 2 of 3 oracle signers;
3. time passes the dispute window and the keeper finalizes the period (the
   contract runs the waterfall);
4. investors claim some of what they are owed and trade tokens among
   themselves;
5. the indexer reads the new events into the database.

Examples
--------
>>> speeds = regime_speeds("PSA 150", "SDA 100", wala=12, months=6, seed=1)
>>> len(speeds[0].values), speeds[0].kind
(6, 'CPR')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from trancheflow.collateral import (
    Assumptions,
    DefaultSpeed,
    PrepaySpeed,
    parse_default,
    parse_prepay,
    psa_cpr,
    sda_cdr,
    smm_to_cpr,
)
from trancheflow.errors import AssumptionError

#: Test keys of the three oracle signers of the embedded demo (never real funds).
DEMO_SIGNER_KEYS = (0xD3110001, 0xD3110002, 0xD3110003)
DAY = 86_400
MONTH = 30 * DAY


def _annual_rate(
    speed: PrepaySpeed | DefaultSpeed, ages: np.ndarray, months: np.ndarray
) -> np.ndarray:
    """Annual CPR/CDR (decimal) of ``speed`` at pool ``ages`` for projection ``months``."""
    kind = speed.kind
    if kind == "PSA":
        return psa_cpr(ages, speed.values[0])
    if kind == "SDA":
        return sda_cdr(ages, speed.values[0])
    monthly = speed.monthly_rate(ages, period=months)
    return smm_to_cpr(monthly)


def regime_speeds(
    prepay: str | PrepaySpeed,
    default: str | DefaultSpeed,
    *,
    wala: float,
    months: int,
    seed: int,
    volatility: float = 0.25,
    persistence: float = 0.85,
) -> tuple[PrepaySpeed, DefaultSpeed]:
    """Monthly CPR/CDR vectors that wander around the base speeds.

    Each month's speed is the base speed at the pool's age times
    ``exp(x_t - v/2)``, where ``x_t`` is a stationary AR(1) with the given
    persistence and stationary variance ``v = volatility**2`` (so the
    multiplier averages 1). Prepayment and default regimes are drawn
    independently.

    Parameters
    ----------
    prepay, default : str or speed
        The base speeds (market notation).
    wala : float
        The pool's weighted average loan age at closing (months).
    months : int
        Number of monthly values.
    seed : int
        Seed of the draw.
    volatility, persistence : float
        Size and memory of the regime.

    Returns
    -------
    (PrepaySpeed, DefaultSpeed)
        ``CPR`` and ``CDR`` vectors by projection month (percent).
    """
    if months < 1:
        raise AssumptionError(f"months={months} must be at least 1")
    if not 0 <= persistence < 1 or volatility < 0:
        raise AssumptionError(
            f"persistence={persistence} must be in [0, 1) and volatility={volatility} >= 0"
        )
    p, d = parse_prepay(prepay), parse_default(default)
    t = np.arange(1, months + 1)
    ages = np.asarray(wala, dtype=np.float64) + t
    rng = np.random.default_rng(seed)
    v = volatility**2
    mult = []
    for _ in range(2):
        x = np.empty(months)
        x[0] = rng.normal(0.0, volatility)
        shock = volatility * np.sqrt(1 - persistence**2)
        for i in range(1, months):
            x[i] = persistence * x[i - 1] + rng.normal(0.0, shock)
        mult.append(np.exp(x - v / 2))
    cpr = np.clip(_annual_rate(p, ages, t) * mult[0], 0.0, 0.99) * 100
    cdr = np.clip(_annual_rate(d, ages, t) * mult[1], 0.0, 0.99) * 100
    return PrepaySpeed.vector(cpr, "CPR"), DefaultSpeed.vector(cdr, "CDR")


def sale_prices(names: list[str]) -> dict[str, float]:
    """Closing prices (decimal of face): senior classes at par, the two most
    junior at 99 and 97.

    Examples
    --------
    >>> sale_prices(["A1", "A2", "M", "B"])
    {'A1': 1.0, 'A2': 1.0, 'M': 0.99, 'B': 0.97}
    """
    n = len(names)
    return {
        nm: 1.0 if i < n - 2 else round(0.99 - 0.02 * (i - (n - 2)), 4)
        for i, nm in enumerate(names)
    }


@dataclass
class Investor:
    """One investor account and what it did."""

    name: str
    address: str
    claimed: dict[str, int] = field(default_factory=dict)


@dataclass
class LifeContext:
    """What a :class:`LifeHook` sees of the running deal.

    ``spare`` are funded-by-mint accounts no other actor uses (market makers,
    arbitrageurs, a KYC'd buyer...); ``report`` is the latest period's
    servicer report (None before the first) and ``period`` its number.
    """

    client: Any
    handle: Any
    spec: Any
    pool: pd.DataFrame
    feed: Any
    tape_path: Path
    db_url: str
    issuer: str
    servicer: str
    keeper: str
    investors: list[Investor]
    spare: list[str]
    rng: np.random.Generator
    period: int = 0
    report: Any = None


class LifeHook(Protocol):
    """A step that runs beside the deal's life (market trading, ZK audit, model re-pricing).

    Every method is called in the order the hooks were given. A hook must not
    finalize or veto periods: the keeper does that.
    """

    name: str

    def on_closing(self, ctx: LifeContext) -> None:
        """After the subscription windows closed, before period 1."""

    def on_period(self, ctx: LifeContext) -> None:
        """After period ``ctx.period`` finalized and investors claimed and traded."""

    def on_end(self, ctx: LifeContext) -> None:
        """After the last period was indexed."""


@dataclass
class LifeResult:
    """What happened on chain, in numbers the report and the summary use."""

    handle: Any
    client: Any
    db_url: str
    investors: list[Investor]
    months: int
    snapshots: pd.DataFrame
    tranche_summary: pd.DataFrame
    cash_flows: pd.DataFrame
    alerts: list[str]
    sales: dict[str, tuple[int, int]]
    transfers: int
    audit: Any = None


def run_life(
    spec: Any,
    pool: pd.DataFrame,
    *,
    tape_path: Path,
    db_url: str,
    months: int = 60,
    investors: int = 4,
    seed: int = 7,
    prices: dict[str, float] | None = None,
    dispute_window: int = 3 * DAY,
    client: Any = None,
    on_month: Callable[[int], None] | None = None,
    hooks: Sequence[LifeHook] = (),
) -> LifeResult:
    """Deploy ``spec`` over ``pool`` and run ``months`` of servicing on chain.

    Parameters
    ----------
    spec : DealSpec
        An on-chain-deployable deal spec.
    pool : pandas.DataFrame
        The validated loan tape (the deal's collateral).
    tape_path : Path
        Where that tape is stored (recorded with the deal for the API's analytics).
    db_url : str
        Indexer database (SQLAlchemy URL); migrated to the current schema.
    months : int
        Months of servicing (stops early when the collateral is gone).
    investors : int
        Number of investor accounts buying at closing.
    seed : int
        Seed of the speed regimes, purchases, claims and trades.
    prices : mapping, optional
        Sale price per tranche (decimal of face; default par for the senior
        classes and a discount for the subordinates).
    dispute_window : int
        Seconds a report waits before the keeper may finalize it.
    client : DealClient, optional
        Where to deploy; a fresh embedded chain when omitted.
    on_month : callable, optional
        Called with each finished month (progress bars).
    hooks : sequence of LifeHook
        Steps run at closing, after each period and at the end (see
        :class:`LifeHook`); each gets its own seeded random generator.

    Returns
    -------
    LifeResult
    """
    from trancheflow.chain.client import DealClient
    from trancheflow.chain.reports import sign_report, signer_addresses
    from trancheflow.chain.servicer import ServicerFeed
    from trancheflow.chain.subscription import open_subscription
    from trancheflow.ops.db import register_deal, upgrade
    from trancheflow.ops.indexer import Indexer
    from trancheflow.ops.keeper import BackendKeeperChain, Keeper

    rng = np.random.default_rng(seed)
    client = client or DealClient.embedded()
    acc = client.accounts
    if len(acc) < 3 + investors:
        raise AssumptionError(
            f"investors={investors} needs {3 + investors} accounts; have {len(acc)}"
        )
    issuer, servicer, keeper_acct = acc[0], acc[1], acc[2]
    people = [Investor(f"investor-{i + 1}", a) for i, a in enumerate(acc[3 : 3 + investors])]

    bal = pool["current_balance"].to_numpy(np.float64)
    wala = float(np.average(pool["loan_age"], weights=bal))
    a = spec.assumptions
    prepay, default = regime_speeds(a.prepay, a.default, wala=wala, months=360, seed=seed)
    feed = ServicerFeed(
        spec,
        pool,
        assumptions=Assumptions(
            prepay, default, severity=a.severity, recovery_lag=a.recovery_lag, advance=a.advance
        ),
    )
    handle = client.deploy_deal(
        spec,
        pool,
        signers=signer_addresses(list(DEMO_SIGNER_KEYS)),
        quorum=2,
        servicer=servicer,
        issuer=issuer,
        dispute_window=dispute_window,
        overwrite=True,
    )
    settlement = handle.record.settlement
    upgrade(db_url)
    register_deal(
        db_url,
        spec,
        chain_id=client.chain_id,
        address=handle.address,
        tokens=[t.address for t in handle.record.tokens],
        start_block=handle.record.block,
        pool_balance=feed.pool_balance_units,
        tape_path=tape_path,
        contracts=dict(handle.record.contracts),
    )
    indexer = Indexer(db_url, handle.event_source(), deal_addresses=[handle.address])
    keeper = Keeper(BackendKeeperChain(handle, sender=keeper_acct), db=db_url)

    # ---- closing: subscription windows, investors buy at the set prices
    names = handle.tranche_names
    n = len(names)
    prices = {**sale_prices(names), **(prices or {})}
    start = client.timestamp()
    sales: dict[str, tuple[int, int]] = {}
    open_sales = []
    for i, nm in enumerate(names):
        face = _face(handle, i)
        sale = open_subscription(
            handle,
            i,
            amount=face,
            price=prices[nm],
            start=start,
            end=start + 7 * DAY,
            issuer=issuer,
        )
        shares = rng.dirichlet(np.ones(len(people) + 1))[: len(people)] * 0.95
        sold = 0
        for person, share in zip(people, shares, strict=True):
            amount = int(face * share)
            if amount == 0:
                continue
            client.mint_mock(settlement, person.address, sale.quote(amount))
            sale.buy(amount, person.address)
            sold += amount
        sales[nm] = (face, sold)
        open_sales.append(sale)
    client.advance_time(7 * DAY)
    for sale in open_sales:
        sale.finish(sender=issuer)  # unsold tokens go back to the issuer
    contexts = [
        LifeContext(
            client=client,
            handle=handle,
            spec=spec,
            pool=pool,
            feed=feed,
            tape_path=tape_path,
            db_url=db_url,
            issuer=issuer,
            servicer=servicer,
            keeper=keeper_acct,
            investors=people,
            spare=list(acc[3 + investors :]),
            rng=np.random.default_rng([seed, k + 1]),
        )
        for k in range(len(hooks))
    ]
    for hook, ctx in zip(hooks, contexts, strict=True):
        hook.on_closing(ctx)

    # ---- monthly servicing
    rows: list[dict[str, Any]] = []
    transfers = 0
    horizon = min(months, feed.n_periods)
    for t in range(1, horizon + 1):
        report = feed.report(t)
        client.mint_mock(settlement, servicer, report.cash)  # borrowers' payments
        keys = [DEMO_SIGNER_KEYS[int(k)] for k in rng.choice(3, size=2, replace=False)]
        handle.submit_report(
            report, sign_report(report, keys, client.chain_id, handle.address), sender=servicer
        )
        keeper.run_once()  # inside the dispute window: waits
        client.advance_time(dispute_window + 60)
        keeper.run_once()  # finalizes
        for person in people:
            for i, nm in enumerate(names):
                if rng.random() < 0.35 and handle.claimable(i, person.address) > 0:
                    got = handle.claim(i, person.address)
                    person.claimed[nm] = person.claimed.get(nm, 0) + int(got)
        if len(people) >= 2 and rng.random() < 0.6:
            i = int(rng.integers(n))
            src, dst = rng.choice(len(people), size=2, replace=False)
            held = handle.balances(people[src].address)[names[i]]
            amount = int(held * rng.uniform(0.05, 0.5))
            if amount > 0:
                handle.transfer(i, people[src].address, people[dst].address, amount)
                transfers += 1
        for hook, ctx in zip(hooks, contexts, strict=True):
            ctx.period, ctx.report = t, report
            hook.on_period(ctx)
        indexer.run_once()
        buckets = feed.buckets(t)
        rows.append(
            {
                "period": t,
                "pool_balance": handle.pool_balance(),
                **{f"balance_{nm}": v for nm, v in handle.tranche_balances().items()},
                "reserve": handle.reserve(),
                "losses": report.losses,
                "interest": report.interest,
                "principal": report.scheduled_principal + report.prepayments + report.recoveries,
                **buckets,
            }
        )
        client.advance_time(MONTH - dispute_window - 60)
        if on_month is not None:
            on_month(t)
    indexer.run_once()
    for hook, ctx in zip(hooks, contexts, strict=True):
        hook.on_end(ctx)
    summary = _tranche_summary(handle, people, names, feed.decimals, issuer=issuer)
    return LifeResult(
        handle=handle,
        client=client,
        db_url=db_url,
        investors=people,
        months=horizon,
        snapshots=pd.DataFrame(rows),
        tranche_summary=summary,
        cash_flows=feed.cash_flows.iloc[:horizon],
        alerts=[str(a) for a in keeper.alerts],
        sales=sales,
        transfers=transfers,
    )


def _face(handle: Any, tranche: int) -> int:
    """Token supply of a tranche = its original face in units."""
    b = handle.client.backend
    return int(b.call("TrancheToken", handle.token(tranche), "totalSupply"))


def _tranche_summary(
    handle: Any,
    people: list[Investor],
    names: list[str],
    decimals: int,
    *,
    issuer: str | None = None,
) -> pd.DataFrame:
    """Per tranche: face, factor, paid, written down, claimed and still claimable, and
    the tokens (face) the issuer still holds (unsold at the sale, or bought back)."""

    rows = []
    events = handle.events()
    paid = dict.fromkeys(names, 0)
    written = dict.fromkeys(names, 0)
    for e in events:
        if e.name == "PeriodFinalized":
            for i, nm in enumerate(names):
                paid[nm] += int(e.args["interest_paid"][i]) + int(e.args["principal_paid"][i])
                written[nm] += int(e.args["writedown"][i])
    scale = 10**decimals
    for i, nm in enumerate(names):
        face = _face(handle, i)
        claimed = sum(p.claimed.get(nm, 0) for p in people)
        claimable = sum(handle.claimable(i, p.address) for p in people)
        held = 0 if issuer is None else handle.client.token_balance(handle.token(i), issuer)
        rows.append(
            {
                "tranche": nm,
                "face": face / scale,
                "factor": handle.factor(i) / 10**18,
                "paid": paid[nm] / scale,
                "written_down": written[nm] / scale,
                "claimed_by_investors": claimed / scale,
                "claimable_by_investors": claimable / scale,
                "held_by_issuer": held / scale,
            }
        )
    return pd.DataFrame(rows)
