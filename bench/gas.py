"""Gas of the on-chain deal: finalize (1-8 tranches), claim, transfer, plain ERC-20.

Whole-transaction gas (21,000 base + calldata + execution - capped refund,
EIP-7623 floor), measured in titanoboa with state committed and every slot
cold before each measured call (``trancheflow.chain.gas``), in steady state:
each figure is taken after earlier periods have made every slot it writes
non-zero, as on a running deal.

Scenarios
---------
- finalize with k = 1..8 tranches: sequential principal, one servicing fee,
  a reserve target, excess spread to the residual every period, period 4.
- claim: a holder who has claimed before claims the next period's cash.
- transfer: tranche-token transfer between two existing holders right after
  a distribution (both sides settle: two record writes), vs. a plain
  snekmate ERC-20 transfer between two existing holders (MockUSDC).
- holders: finalize of the 1-tranche deal with 1 holder and with 10,000
  holders (created by transfers); ``holders_gas_delta`` is the difference.
- insured: the same deals with a first-loss fund (5 bp premium, 2,000,000
  USDC cap, 10,000,000 USDC of underwriting): finalize paying the premium
  only, and finalize of a loss period the fund covers (premium + cover).
  The targets apply to deals without a fund; these figures are reported.

Contract sizes: the runtime bytes (immutables included, as deployed) of
every contract of a deal (Deal, WaterfallEngine, ReportOracle,
TrancheToken); EIP-170 allows 24,576 and each must keep 4 KiB of it.

Baseline: :data:`BASELINE` holds the same figures measured with this script
on the single-contract ``Deal.vy`` before issue 10's split (commit e31a794,
titanoboa, same machine), printed beside today's so the split's cost reads
off one run.

Run: ``.venv/bin/python bench/gas.py [--holders 10000]``. The last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import boa

from trancheflow.chain.deploy import DealConfig, FeeConfig, TrancheConfig, deploy_deal
from trancheflow.chain.gas import begin_transaction, tx_gas
from trancheflow.chain.insurance import deploy_insured_deal
from trancheflow.chain.reports import ServicerReport, sign_report, signer_addresses

KEYS = [0xA11CE + i for i in range(3)]
EIP170 = 24_576
#: Figures of the pre-split Deal.vy (commit e31a794), measured with this script.
BASELINE = {
    "finalize_gas_k1": 73_686,
    "finalize_gas_k8": 173_594,
    "finalize_gas_prorata_k1": 73_789,
    "finalize_gas_prorata_k4": 126_625,
    "finalize_gas_prorata_k8": 197_073,
    "claim_gas": 51_977,
    "transfer_gas": 50_167,
    "insured_finalize_gas_k1": 106_249,
    "insured_cover_finalize_gas_k1": 142_426,
    "deal_runtime_bytes": 24_450,
}
UNIT = 10**6


def _config(k: int, servicer: str, fee: str, rule: int = 0) -> DealConfig:
    face = 900_000_000 // k
    return DealConfig(
        principal_rule=rule,
        pool_balance=1_000_000_000 * UNIT,
        tranches=tuple(
            TrancheConfig(f"Tranche {i}", f"T{i}", face * UNIT, 40_000_000 + 2_000_000 * i)
            for i in range(k)
        ),
        fees=(FeeConfig(fee, 2_500_000),),
        reserve_target=2_000_000,
        signers=tuple(signer_addresses(KEYS)),
        quorum=2,
        servicer=servicer,
        dispute_window=3_600,
    )


def _report(period: int) -> ServicerReport:
    return ServicerReport(
        period=period,
        interest=5_500_000 * UNIT,
        scheduled_principal=900_000 * UNIT,
        prepayments=2_100_000 * UNIT,
        recoveries=30_000 * UNIT,
        losses=50_000 * UNIT,
        dq60_balance=4_000_000 * UNIT,
        loans_root=period.to_bytes(32, "big"),
    )


class Bench:
    """One deal with its roles, driven period by period (``insured``: with a fund)."""

    def __init__(self, k: int, insured: bool = False, rule: int = 0) -> None:
        self.servicer = boa.env.generate_address()
        self.issuer = boa.env.generate_address()
        fee = boa.env.generate_address()
        cfg = _config(k, self.servicer, fee, rule)
        self.fund = None
        if insured:
            self.d, self.fund = deploy_insured_deal(
                cfg, premium_rate=500_000, cap_per_period=2_000_000 * UNIT, issuer=self.issuer
            )
            uw = boa.env.generate_address()
            self.d.settlement.mint(uw, 10_000_000 * UNIT)
            with boa.env.prank(uw):
                self.d.settlement.approve(self.fund.address, 10_000_000 * UNIT)
                self.fund.deposit(10_000_000 * UNIT, uw)
        else:
            self.d = deploy_deal(cfg, issuer=self.issuer)
        self.usdc = self.d.settlement
        self.usdc.mint(self.servicer, 10**30)
        with boa.env.prank(self.servicer):
            self.usdc.approve(self.d.deal.address, 2**256 - 1)
        self.period = 0

    def submit(self, losses: int | None = None) -> ServicerReport:
        self.period += 1
        r = _report(self.period)
        if losses is not None:
            r = replace(r, losses=losses)
        sigs = sign_report(r, KEYS[:2], boa.env.evm.patch.chain_id, self.d.address)
        with boa.env.prank(self.servicer):
            self.d.oracle.submit_report(r.as_tuple(), sigs)
        boa.env.time_travel(seconds=3_600)
        return r

    def finalize(self, measure: bool = False, losses: int | None = None) -> int:
        r = self.submit(losses)
        if measure:
            begin_transaction()
        self.d.deal.finalize(r.period_input())
        return tx_gas(self.d.deal) if measure else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holders", type=int, default=10_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    finalize: dict[int, int] = {}
    with boa.swap_env(boa.Env()):
        for k in range(1, 9):
            b = Bench(k)
            for _ in range(3):
                b.finalize()
            finalize[k] = b.finalize(measure=True)
            print(f"finalize k={k}: {finalize[k]} gas (target {60_000 + 15_000 * k})")
        print(
            f"before the split: k=1 {BASELINE['finalize_gas_k1']}, "
            f"k=8 {BASELINE['finalize_gas_k8']}"
        )
        prorata: dict[int, int] = {}
        for k in (1, 4, 8):  # pro-rata principal: one more division per tranche
            b = Bench(k, rule=1)
            for _ in range(3):
                b.finalize()
            prorata[k] = g = b.finalize(measure=True)
            print(
                f"finalize pro_rata k={k}: {g} gas (target {60_000 + 15_000 * k}; "
                f"before the split {BASELINE[f'finalize_gas_prorata_k{k}']})"
            )
        sizes = {
            name: len(boa.env.get_code(addr))
            for name, addr in (
                ("Deal", b.d.deal.address),
                ("WaterfallEngine", b.d.engine.address),
                ("ReportOracle", b.d.oracle.address),
                ("TrancheToken", b.d.tokens[0].address),
            )
        }
        for name, size in sizes.items():
            print(f"runtime size {name}: {size} bytes (headroom {EIP170 - size} of {EIP170})")
        print(f"(before the split: Deal {BASELINE['deal_runtime_bytes']} bytes)")

        # claim, transfer, plain ERC-20 transfer on a 1-tranche deal
        b = Bench(1)
        tok = b.d.tokens[0]
        alice, bob, carol = (boa.env.generate_address() for _ in range(3))
        with boa.env.prank(b.issuer):
            for h in (alice, bob, carol):
                tok.transfer(h, 1_000 * UNIT)
        with boa.env.prank(b.servicer):
            for h in (alice, bob, carol):
                b.usdc.transfer(h, UNIT)
        b.finalize()
        for h in (alice, bob, carol):  # every record non-zero from now on
            with boa.env.prank(h):
                tok.claim()
        b.finalize()
        begin_transaction()
        with boa.env.prank(alice):
            tok.claim()
        claim = tx_gas(tok)
        begin_transaction()
        with boa.env.prank(bob):
            tok.transfer(carol, UNIT)
        transfer = tx_gas(tok)
        begin_transaction()
        with boa.env.prank(bob):
            tok.transfer(carol, UNIT)
        transfer_settled = tx_gas(tok)
        begin_transaction()
        with boa.env.prank(bob):
            b.usdc.transfer(carol, UNIT)
        erc20 = tx_gas(b.usdc)
        dave = boa.env.generate_address()
        begin_transaction()
        with boa.env.prank(bob):
            tok.transfer(dave, UNIT)
        transfer_new = tx_gas(tok)
        begin_transaction()
        with boa.env.prank(bob):
            b.usdc.transfer(boa.env.generate_address(), UNIT)
        erc20_new = tx_gas(b.usdc)
        print(f"claim (repeat): {claim} gas (target 55000; before {BASELINE['claim_gas']})")
        print(
            f"transfer, both sides settle: {transfer} gas; already settled: {transfer_settled}; "
            f"plain ERC-20: {erc20} -> ratio {transfer / erc20:.2f} (target <= 1.5)"
        )
        print(
            f"transfer to a new holder: {transfer_new} gas vs plain ERC-20 to a new "
            f"address {erc20_new} -> ratio {transfer_new / erc20_new:.2f}"
        )

        # 1 holder vs many holders, same deal shape
        one = Bench(1)
        for _ in range(3):
            one.finalize()
        g_one = one.finalize(measure=True)
        many = Bench(1)
        tok = many.d.tokens[0]
        with boa.env.prank(many.issuer):
            for _ in range(args.holders - 1):
                tok.transfer(boa.env.generate_address(), UNIT)
        for _ in range(3):
            many.finalize()
        g_many = many.finalize(measure=True)
        print(f"finalize with 1 holder: {g_one}; with {args.holders} holders: {g_many}")

        # with a first-loss fund
        insured: dict[int, tuple[int, int]] = {}
        for k in (1, 4, 8):
            b = Bench(k, insured=True)
            for _ in range(3):
                b.finalize()
            premium = b.finalize(measure=True)
            # a loss beyond the overcollateralization: the fund covers part of it
            for _ in range(2):
                b.finalize(losses=60_000_000 * UNIT)
            cover = b.finalize(measure=True, losses=60_000_000 * UNIT)
            insured[k] = (premium, cover)
            print(
                f"insured finalize k={k}: premium only {premium} gas "
                f"(+{premium - finalize[k]} vs no fund); premium + cover {cover} gas"
            )
    print(f"elapsed {time.perf_counter() - t0:.1f} s")
    if insured:
        print(
            f"insured_finalize_gas_k1={insured[1][0]} insured_cover_finalize_gas_k1={insured[1][1]}"
        )
    print(
        "baseline (pre-split, commit e31a794): " + " ".join(f"{k}={v}" for k, v in BASELINE.items())
    )
    # The last line has the keys, for scripts that read it.
    print(
        f"finalize_gas_k1={finalize[1]} finalize_gas_k8={finalize[8]} claim_gas={claim} "
        f"transfer_gas={transfer} erc20_transfer_gas={erc20} holders_gas_delta={g_many - g_one} "
        f"finalize_gas_prorata_k8={prorata[8]} max_contract_bytes={max(sizes.values())}"
    )


if __name__ == "__main__":
    main()
