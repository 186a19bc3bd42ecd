"""``trancheflow auction``: value, mark, bid on and settle defaulted loans.

The deal's ``Liquidation`` contract (``Deal.liquidation()``, or
``--liquidation``) auctions a loan proven 90+ days delinquent (or above the
LTV threshold) in the deal's latest finalized loan-level root:

* ``appraise``: relays a property value signed by the liquidation's signers
  (keys only from the environment, ``--signer-keys-env``);
* ``mark``: proves the loan's leaf (the one loan-level leaf,
  :func:`trancheflow.chain.merkle.loan_leaf` ``(loan_id, balance,
  days_delinquent)``) under the deal's latest loan root, straight from the
  period's remittance file (``--remittance``, with ``--spec``) or from the
  books file ``servicer report --books`` wrote (``--loans period-N.csv``,
  CSV ``loan_id,balance_units,days_delinquent`` in tape order), and starts
  the auction;
* ``bid``: buys at the current (falling) price, at most ``--max-price``;
* ``settle``: ends an unsold auction past its duration, pays a sold loan's
  surplus, and says what proceeds wait for the deal's next finalize (the
  deal takes them itself);
* ``status``: the auction of a loan and its current price.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trancheflow.errors import ChainError

from ._chainopts import (
    DirOpt,
    KeyOpt,
    RpcOpt,
    SpecOpt,
    TapeOpt,
    amount_units,
    client,
    keys_from_env,
    load_deal,
    units_text,
)

app = typer.Typer(help="loan auctions: appraise, mark, bid, settle, status", no_args_is_help=True)
console = Console()

DealArg = Annotated[str, typer.Argument(help="deal name, as recorded at deployment")]
LoanOpt = Annotated[str, typer.Option("--loan", help="the tape's loan id")]
LiqOpt = Annotated[str | None, typer.Option("--liquidation", help="address (default: the deal's)")]
_ZERO = "0x" + "00" * 20
_STATUS = {0: "none", 1: "auction", 2: "sold", 3: "unsold"}


def _liq_deal(
    deal: str, liq: str | None, spec: Path | None, tape: Path | None, rpc: str | None,
    deployments: Path, key_env: str,
) -> tuple[Any, Any, Any, Any, str]:  # fmt: skip
    """``(client, handle, spec, pool, liquidation address)``."""
    c = client(rpc, deployments, key_env)
    h, s, pool = load_deal(c, deal, spec, tape)
    addr = liq or str(c.backend.call("Deal", h.address, "liquidation"))
    if addr.lower() == _ZERO:
        raise ChainError(f"deal {deal} has no liquidation contract (pass --liquidation ADDRESS)")
    return c, h, s, pool, addr


def _liq(
    deal: str, liq: str | None, spec: Path | None, tape: Path | None, rpc: str | None,
    deployments: Path, key_env: str,
) -> tuple[Any, Any, str]:  # fmt: skip
    c, h, _, _, addr = _liq_deal(deal, liq, spec, tape, rpc, deployments, key_env)
    return c, h, addr


def read_status_file(path: Path) -> list[tuple[str, int, int]]:
    """``(loan_id, balance_units, days_delinquent)`` rows of a books (loan-status) file."""
    from trancheflow.servicer.books import read_book

    return read_book(path).rows()


@app.command()
def appraise(
    deal: DealArg,
    loan: LoanOpt,
    value: Annotated[str, typer.Option("--value", help="property value (currency)")],
    as_of: Annotated[
        int | None, typer.Option("--as-of", help="appraisal time (default: chain time)")
    ] = None,
    signer_keys_env: Annotated[
        str, typer.Option("--signer-keys-env", help="env var with the appraisal signers' keys")
    ] = "TRANCHEFLOW_SIGNER_KEYS",
    liquidation: LiqOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Relay a signed property value for a loan."""
    from trancheflow.chain.liquidation import loan_id, sign_property_value

    c, h, addr = _liq(deal, liquidation, spec, tape, rpc_url, deployments, key_env)
    units = amount_units(value, h.record.decimals, "--value")
    when = c.timestamp() if as_of is None else as_of
    lid = loan_id(loan)
    sigs = sign_property_value(lid, units, when, keys_from_env(signer_keys_env), c.chain_id, addr)
    c.backend.transact("Liquidation", addr, "report_value", [lid, units, when, sigs])
    console.print(f"loan {loan} valued {units_text(units, h.record.decimals)} as of {when}")


@app.command()
def mark(
    deal: DealArg,
    loan: LoanOpt,
    remittance: Annotated[
        Path | None,
        typer.Option(
            "--remittance",
            help="the latest finalized period's remittance file (CSV/Parquet; needs --spec)",
        ),
    ] = None,
    loans: Annotated[
        Path | None,
        typer.Option(
            "--loans", help="or its books file (period-N.csv from servicer report --books)"
        ),
    ] = None,
    liquidation: LiqOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Prove a loan 90+ days delinquent (or over the LTV threshold) in the latest loan root
    and start its auction."""
    from trancheflow.chain.liquidation import loan_id
    from trancheflow.chain.merkle import merkle_proof
    from trancheflow.servicer.books import book_from_remittance, read_book
    from trancheflow.servicer.reconcile import LoanBook

    if (remittance is None) == (loans is None):
        raise ChainError("auction mark: give the period's --remittance FILE or its --loans FILE")
    if remittance is not None and spec is None:
        raise ChainError("auction mark --remittance needs --spec (the tape gives the loans' order)")
    c, h, s, pool, addr = _liq_deal(deal, liquidation, spec, tape, rpc_url, deployments, key_env)
    if remittance is not None:
        book = book_from_remittance(remittance, LoanBook.from_pool(s, pool), h.record.decimals)
        source: Path = remittance
    else:
        assert loans is not None
        book, source = read_book(loans), loans
    if loan not in book.loan_ids:
        raise ChainError(f"loan {loan!r} is not in {source}")
    root = book.root()
    latest = bytes(c.backend.call("Deal", h.address, "latest_loan_root"))
    if root != latest:
        raise ChainError(
            f"{source} has root 0x{root.hex()}; the deal's latest finalized loan root is "
            f"0x{latest.hex()}: use the remittance (or books file) of that period"
        )
    k = book.loan_ids.index(loan)
    _, bal, days = book.rows()[k]
    tx = c.backend.transact(
        "Liquidation",
        addr,
        "mark",
        [loan_id(loan), bal, days, merkle_proof(book.leaves(), k), root],
    )
    console.print(f"loan {loan} ({days} days delinquent) marked in block {tx.block_number}")


@app.command()
def bid(
    deal: DealArg,
    loan: LoanOpt,
    max_price: Annotated[str, typer.Option("--max-price", help="most you pay (currency)")],
    liquidation: LiqOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """Buy a marked loan at the current price (approves the settlement token)."""
    from trancheflow.chain.liquidation import loan_id

    c, h, addr = _liq(deal, liquidation, spec, tape, rpc_url, deployments, key_env)
    dec = h.record.decimals
    cap = amount_units(max_price, dec, "--max-price")
    me = c.accounts[0]
    token = h.record.settlement
    if int(c.backend.call("MockUSDC", token, "allowance", [me, addr])) < cap:
        c.backend.transact("MockUSDC", token, "approve", [addr, cap])
    before = c.token_balance(token, me)
    c.backend.transact("Liquidation", addr, "bid", [loan_id(loan), cap])
    console.print(f"bought loan {loan} for {units_text(before - c.token_balance(token, me), dec)}")


@app.command()
def settle(
    deal: DealArg,
    loan: LoanOpt,
    liquidation: LiqOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """End an unsold auction or pay a sold loan's surplus; show proceeds awaiting the deal."""
    from trancheflow.chain.liquidation import loan_id

    c, h, addr = _liq(deal, liquidation, spec, tape, rpc_url, deployments, key_env)
    lid = loan_id(loan)
    a = c.backend.call("Liquidation", addr, "auctions", [lid])
    status, start = int(a[0]), int(a[2])
    done = []
    if status == 1:
        duration = int(c.backend.call("Liquidation", addr, "AUCTION_DURATION"))
        if c.timestamp() < start + duration:
            raise ChainError(f"loan {loan}: the auction runs until {start + duration}")
        c.backend.transact("Liquidation", addr, "expire", [lid])
        done.append("expired unsold")
    elif status == 2 and int(a[7]) > 0:
        c.backend.transact("Liquidation", addr, "claim_surplus", [lid])
        done.append("surplus paid")
    held = int(c.backend.call("Liquidation", addr, "recoveries_held"))
    if held:
        done.append(
            f"{units_text(held, h.record.decimals)} of proceeds held; the deal takes them as "
            "recoveries at its next finalize"
        )
    console.print(f"loan {loan}: " + (", ".join(done) or "nothing to settle"))


@app.command()
def status(
    deal: DealArg,
    loan: LoanOpt,
    liquidation: LiqOpt = None,
    spec: SpecOpt = None,
    tape: TapeOpt = None,
    rpc_url: RpcOpt = None,
    deployments: DirOpt = Path("deployments"),
    key_env: KeyOpt = "TRANCHEFLOW_PRIVATE_KEY",
) -> None:
    """The loan's auction: status, balance, prices, buyer."""
    from trancheflow.chain.liquidation import loan_id

    c, h, addr = _liq(deal, liquidation, spec, tape, rpc_url, deployments, key_env)
    dec = h.record.decimals
    lid = loan_id(loan)
    a = c.backend.call("Liquidation", addr, "auctions", [lid])
    status = _STATUS.get(int(a[0]), str(a[0]))
    line = f"loan {loan}: {status}"
    if int(a[0]):
        line += (
            f", balance {units_text(int(a[1]), dec)}, start price {units_text(int(a[3]), dec)}, "
            f"floor {units_text(int(a[4]), dec)}"
        )
    if int(a[0]) == 1:
        price = int(c.backend.call("Liquidation", addr, "price", [lid]))
        line += f", price now {units_text(price, dec)}"
    if int(a[0]) == 2:
        line += f", sold to {a[5]} for {units_text(int(a[6]), dec)}"
    console.print(line, soft_wrap=True)
