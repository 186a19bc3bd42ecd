"""``trancheflow chain`` against anvil: deploy, report, finalize, status, claim.

The key comes only from the environment; the deployment is recorded in
``<dir>/31337.json`` and later commands find the deal by name. The period's
numbers printed and claimed equal the chain client's views.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.chain.client import DealClient
from trancheflow.cli import app

from ..unit.chain.client.scenario import EXAMPLE
from .anvil import AnvilNode, anvil, rpc  # noqa: F401

pytestmark = pytest.mark.integration


def test_cli_round_trip(
    anvil: AnvilNode,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k, v in anvil.env(1).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("TRANCHEFLOW_RPC_URL", anvil.url)
    monkeypatch.setenv("TRANCHEFLOW_SIGNER_KEYS", ",".join(anvil.keys[7:9]))
    runner = CliRunner()
    dep = ["--deployments", str(tmp_path)]

    def run(*argv: str) -> str:
        res = runner.invoke(app, ["chain", *argv, *dep])
        assert res.exit_code == 0, (argv, res.output, res.exception)
        return " ".join(res.output.split())

    signers = list(anvil.addresses[7:9])
    out = run(
        "deploy",
        str(EXAMPLE),
        "--signer",
        signers[0],
        "--signer",
        signers[1],
        "--quorum",
        "2",
        "--dispute-window",
        "600",
    )
    assert "recorded in" in out
    rec = json.loads((tmp_path / "31337.json").read_text())["deals"]["EXAMPLE-2026-1"]
    # the sending account funds the servicer's cash with the mock token
    client = DealClient.connect(anvil.url, deployments_dir=tmp_path)
    client.mint_mock(rec["settlement"], client.accounts[0], 10**15)
    out = run("report", "EXAMPLE-2026-1", "--period", "1", "--spec", str(EXAMPLE))
    assert "period 1 report submitted" in out
    res = runner.invoke(app, ["chain", "finalize", "EXAMPLE-2026-1", "--period", "1", *dep])
    assert res.exit_code != 0 and "dispute window open" in res.output
    rpc(anvil.url, "evm_increaseTime", [600])
    rpc(anvil.url, "evm_mine")
    assert "period 1 finalized" in run("finalize", "EXAMPLE-2026-1", "--period", "1")
    h = client.load_deployment("EXAMPLE-2026-1")
    owed = h.claimable("A", client.accounts[0])
    assert owed > 0
    out = run("status", "EXAMPLE-2026-1")
    assert "period 1" in out and f"{h.factor('A') / 10**18:.8f}" in out
    out = run("claim", "EXAMPLE-2026-1", "--tranche", "A")
    assert f"({owed} units)" in out
    assert h.claimable("A", client.accounts[0]) == 0


# ---------------------------------------------------------------- checks (issue 15)
LIFE_SPEC = Path(__file__).resolve().parents[2] / "examples" / "cli_life" / "deal.yaml"
LIFE = "CLI-LIFE-1"


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the installed entry point (its error boundary included): exit code, output."""
    import sys

    from trancheflow.cli import main

    old = sys.argv
    sys.argv = ["trancheflow", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


@pytest.fixture
def life_deal(
    anvil: AnvilNode,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Path, DealClient]:
    """CLI-LIFE-1 deployed by the CLI (quorum 1, signer key in the environment), funded,
    with two simulated remittance files in ``<tmp>/r``."""
    monkeypatch.setenv("TRANCHEFLOW_RPC_URL", anvil.url)
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", anvil.keys[0])
    monkeypatch.setenv("TRANCHEFLOW_SIGNER_KEYS", anvil.keys[7])
    monkeypatch.setenv("TRANCHEFLOW_ORACLE_KEY", anvil.keys[7])
    dep = ["--deployments", str(tmp_path)]
    for argv in (
        ["chain", "deploy", str(LIFE_SPEC), "--signer", anvil.addresses[7], *dep],
        ["chain", "fund", LIFE, "--amount", "1,000,000", "--mint", *dep],
        ["servicer", "simulate-remittance", "--spec", str(LIFE_SPEC), "--out",
         str(tmp_path / "r"), "--periods", "2", "--seed", "3"],
    ):  # fmt: skip
        code, out = _main(argv, capsys)
        assert code == 0, (argv, out)
    return tmp_path, DealClient.connect(anvil.url, deployments_dir=tmp_path)


def _other_spec(tmp_path: Path, **change: str) -> Path:
    text = LIFE_SPEC.read_text().replace("tape: tape.csv", f"tape: {LIFE_SPEC.parent}/tape.csv")
    for old, new in change.items():
        text = text.replace(old, new)
    p = tmp_path / "other.yaml"
    p.write_text(text)
    return p


def test_chain_commands_refuse_another_deals_spec(
    life_deal: tuple[Path, DealClient], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, _ = life_deal
    dep = ["--deployments", str(tmp)]
    other = _other_spec(tmp, **{"coupon: 0.04": "coupon: 0.045"})
    f1 = str(tmp / "r" / "remittance-001.csv")
    for argv in (
        ["chain", "status", LIFE, "--spec", str(other)],
        ["chain", "report", LIFE, "--period", "1", "--spec", str(other)],
        ["chain", "report", LIFE, "--period", "1", "--spec", str(EXAMPLE)],
        ["servicer", "report", "--deal", LIFE, "--period", "1", "--remittance", f1,
         "--spec", str(other)],
        ["oracle", "attest", "--deal", LIFE, "--period", "1", "--remittance", f1,
         "--spec", str(other)],
        ["index", "add", "--deal", LIFE, "--spec", str(other), "--db",
         f"sqlite:///{tmp / 'i.db'}"],
    ):  # fmt: skip
        code, out = _main([*argv, *dep], capsys)
        assert code == 2, (argv, out)
        assert "wrong spec for this deal" in out
    assert not (tmp / "i.db").exists() or (tmp / "i.db").stat().st_size == 0


def test_wrong_tape_root_is_refused(
    life_deal: tuple[Path, DealClient], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, client = life_deal
    lines = (LIFE_SPEC.parent / "tape.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = f"{float(cells[2]) + 0.01:.2f}"  # one loan a cent higher
    tape = tmp / "tape.csv"
    tape.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    code, out = _main(
        ["servicer", "report", "--deal", LIFE, "--period", "1", "--remittance",
         str(tmp / "r" / "remittance-001.csv"), "--spec", str(LIFE_SPEC), "--tape", str(tape),
         "--deployments", str(tmp)],
        capsys,
    )  # fmt: skip
    assert code == 2 and "wrong tape for this deal" in out, out
    assert client.load_deployment(LIFE).pending_report()[0] is False


def test_wrong_chain_id_and_token_address_are_refused(
    life_deal: tuple[Path, DealClient], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, _ = life_deal
    path = tmp / "31337.json"
    good = path.read_text()
    data = json.loads(good)
    data["deals"][LIFE]["chain_id"] = 1
    path.write_text(json.dumps(data))
    code, out = _main(["chain", "status", LIFE, "--spec", str(LIFE_SPEC),
                       "--deployments", str(tmp)], capsys)  # fmt: skip
    assert code == 2 and "recorded on chain 1" in out, out
    data = json.loads(good)
    data["deals"][LIFE]["tokens"][0]["address"] = data["deals"][LIFE]["settlement"]
    path.write_text(json.dumps(data))
    code, out = _main(["chain", "claim", LIFE, "--tranche", "A", "--deployments", str(tmp)],
                      capsys)  # fmt: skip
    assert code == 2 and "records tranche A at" in out, out


def test_bad_remittance_submits_nothing_and_oracle_vetoes_a_mismatch(
    life_deal: tuple[Path, DealClient], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    good = tmp / "r" / "remittance-001.csv"
    rows = good.read_text().splitlines()
    cells = rows[2].split(",")
    cents = int(cells[10].replace(".", "")) - 1  # row 2's ending balance a cent short
    cells[10] = f"{cents // 100}.{cents % 100:02d}"
    bad = tmp / "bad.csv"
    bad.write_text("\n".join([rows[0], rows[1], ",".join(cells), *rows[3:]]) + "\n")
    held = client.token_balance(h.record.settlement, client.accounts[0])
    base = ["--deal", LIFE, "--period", "1", "--spec", str(LIFE_SPEC), *dep]
    code, out = _main(["servicer", "report", "--remittance", str(bad), *base], capsys)
    assert code == 2, out
    assert f"{bad} row 2, field 'ending_balance'" in out and "does not roll forward" in out
    assert h.pending_report()[0] is False
    assert client.token_balance(h.record.settlement, client.accounts[0]) == held

    # the servicer submits the good file; an oracle holding another file vetoes
    code, out = _main(["servicer", "report", "--remittance", str(good), *base], capsys)
    assert code == 0 and "report submitted with 1 signature(s)" in out, out
    code, out = _main(["oracle", "attest", "--remittance", str(good), *base], capsys)
    assert code == 0 and "pending report matches" in out, out
    moved = rows[1].split(",")
    moved[4], moved[5] = "0.00", f"{float(moved[4]) + float(moved[5]):.2f}"
    theirs = tmp / "theirs.csv"
    theirs.write_text("\n".join([rows[0], ",".join(moved), *rows[2:]]) + "\n")
    code, out = _main(["oracle", "attest", "--remittance", str(theirs), "--veto", *base], capsys)
    assert code == 2, out
    assert "scheduled_principal: recomputed" in out and "vetoed in block" in out


# ---------------------------------------------------------------- operators (issue 15)
def _deploy_by_abi(client: DealClient, name: str, **named: object) -> str:
    """Deploy ``name`` with constructor arguments given by parameter name (setup only)."""
    from trancheflow.chain.backends import artifact

    ctor = next(i for i in artifact(name).abi if i.get("type") == "constructor")
    args = [named[p["name"]] for p in ctor["inputs"]]
    return str(client.backend.deploy(name, args).contract_address)


def test_insurance_and_time_commands(
    life_deal: tuple[Path, DealClient], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    fund = _deploy_by_abi(
        client, "InsuranceFund", asset_=h.record.settlement, decimals_offset_=6,
        cooldown_=3_600, redeem_window_=86_400, cap_per_period_=0, name_="CLI fund",
        symbol_="CLIF",
    )  # fmt: skip
    client.backend.transact("InsuranceFund", fund, "set_deal", [h.address])
    client.backend.transact("Deal", h.address, "set_insurance_fund", [fund, 10**7])
    code, out = _main(["insurance", "deposit", LIFE, "--amount", "1,000", *dep], capsys)
    assert code == 0 and "deposited 1,000.00 for" in out, out
    shares = int(client.backend.call("InsuranceFund", fund, "balanceOf", [client.accounts[0]]))
    code, out = _main(["insurance", "status", LIFE, *dep], capsys)
    assert code == 0 and "1,000.00" in out and f"{shares:,}" in out, out
    code, out = _main(["insurance", "redeem", LIFE, *dep], capsys)
    assert code == 2 and "no matured redemption request" in out, out
    code, out = _main(["insurance", "request", LIFE, "--shares", str(shares), *dep], capsys)
    assert code == 0 and "redeemable after 3600 s" in out, out
    t0 = client.timestamp()
    code, out = _main(["chain", "time", "--advance", "3601", *dep], capsys)
    assert code == 0, out
    assert int(out.split(" time ")[1].split()[0]) >= t0 + 3601  # the node mines a block
    before = client.token_balance(h.record.settlement, client.accounts[0])
    code, out = _main(["insurance", "redeem", LIFE, *dep], capsys)
    assert code == 0 and "for 1,000.00" in out, out
    assert client.token_balance(h.record.settlement, client.accounts[0]) - before == 10**9


def test_transfer_claims_and_governance_calldata(
    life_deal: tuple[Path, DealClient],
    anvil: AnvilNode,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    to = anvil.addresses[3]
    code, out = _main(
        ["chain", "transfer", LIFE, "--tranche", "B", "--to", to, "--amount", "100,000.5", *dep],
        capsys,
    )
    assert code == 0, out
    assert h.balances(to)["B"] == 100_000_500_000
    code, out = _main(
        ["chain", "transfer", LIFE, "--tranche", "B", "--to", to, "--amount", "1.0000001", *dep],
        capsys,
    )
    assert code == 2 and "at most 6 decimal places" in out, out
    for argv, paid in (
        (["chain", "claim-residual", LIFE], "residual: 0.00 paid"),
        (["chain", "claim-fee", LIFE, "--fee", "0"], "fee 0: 0.00 paid"),
    ):
        code, out = _main([*argv, *dep], capsys)
        assert code == 0 and paid in out, out
    code, out = _main(["chain", "veto", LIFE, *dep], capsys)
    assert code == 2 and "no pending report" in out, out


def _deploy_safe_on_node(url: str, key: str, owners: list[str], threshold: int) -> str:
    """A Safe proxy on the node from the npm artifacts (test setup, through web3)."""
    from eth_account import Account
    from web3 import Web3

    from trancheflow.chain.safe import artifact

    w3 = Web3(Web3.HTTPProvider(url))
    acct = Account.from_key(key)

    def send(tx: dict[str, object]) -> dict[str, object]:
        tx = {**tx, "from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address)}
        tx["gas"] = int(w3.eth.estimate_gas(tx) * 1.3)  # type: ignore[arg-type]
        tx["gasPrice"] = w3.eth.gas_price
        tx["chainId"] = w3.eth.chain_id
        h = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
        receipt = dict(w3.eth.wait_for_transaction_receipt(h))
        assert receipt["status"] == 1
        return receipt

    safe_art, fac_art = artifact("Safe"), artifact("SafeProxyFactory")
    singleton = send({"data": safe_art["bytecode"]})["contractAddress"]
    factory = send({"data": fac_art["bytecode"]})["contractAddress"]
    zero = "0x" + "00" * 20
    setup = w3.eth.contract(abi=safe_art["abi"]).encode_abi(
        "setup", args=[owners, threshold, zero, b"", zero, zero, 0, zero]
    )
    fac = w3.eth.contract(address=factory, abi=fac_art["abi"])  # type: ignore[call-overload]
    data = fac.encode_abi("createProxyWithNonce", args=[singleton, setup, 7])
    receipt = send({"to": factory, "data": data})
    logs = fac.events.ProxyCreation().process_receipt(receipt)
    return str(logs[0]["args"]["proxy"])


def test_governance_through_safe_and_timelock_from_files(
    life_deal: tuple[Path, DealClient],
    anvil: AnvilNode,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    owners = [anvil.addresses[4], anvil.addresses[5], anvil.addresses[6]]
    safe = _deploy_safe_on_node(anvil.url, anvil.keys[0], owners, 2)
    zero = "0x" + "00" * 20
    timelock = str(client.backend.deploy("Timelock", [60, [safe], [safe], zero]).contract_address)
    client.backend.transact("Deal", h.address, "transfer_ownership", [timelock])
    monkeypatch.setenv("OWNER_A", anvil.keys[4])
    monkeypatch.setenv("OWNER_C", anvil.keys[6])

    def change(fn: str, *args: str) -> None:
        for step in ("schedule", "execute"):
            if step == "execute":
                code, out = _main(["chain", "time", "--advance", "61", *dep], capsys)
                assert code == 0, out
            tx = tmp / f"{fn}-{step}.json"
            code, out = _main(
                ["gov", "propose", "--deal", LIFE, "--safe", safe, "--timelock", timelock,
                 "--step", step, "--fn", fn, *[a for x in args for a in ("--arg", x)],
                 "--out", str(tx), *dep],
                capsys,
            )  # fmt: skip
            assert code == 0 and "Safe transaction #" in out, out
            sigs = []
            for owner in ("OWNER_C", "OWNER_A"):
                sig = tmp / f"{fn}-{step}.{owner}.json"
                code, out = _main(
                    ["gov", "sign", str(tx), "--out", str(sig), "--owner-key-env", owner], capsys
                )
                assert code == 0, out
                sigs += ["--signature", str(sig)]
            code, out = _main(["gov", "execute", str(tx), *sigs, *dep], capsys)
            assert code == 0 and "executed" in out, out

    change("accept_ownership")
    assert str(client.backend.call("Deal", h.address, "owner")).lower() == timelock.lower()
    change("set_dispute_window", "1200")
    assert int(client.backend.call("Deal", h.address, "DISPUTE_WINDOW")) == 1200

    # a tampered transaction file is refused before anyone signs it
    tx = tmp / "set_dispute_window-schedule.json"
    data = json.loads(tx.read_text())
    data["data"] = data["data"][:-2] + "ff"
    tx.write_text(json.dumps(data))
    code, out = _main(["gov", "sign", str(tx), "--out", str(tmp / "x.json"),
                       "--owner-key-env", "OWNER_A"], capsys)  # fmt: skip
    assert code == 2 and "does not match its transaction" in out, out
    # one owner's signature is below the threshold: the Safe refuses
    code, out = _main(
        ["gov", "propose", "--deal", LIFE, "--safe", safe, "--timelock", timelock, "--fn",
         "set_dispute_window", "--arg", "900", "--out", str(tmp / "one.json"), *dep],
        capsys,
    )  # fmt: skip
    assert code == 0, out
    code, out = _main(["gov", "sign", str(tmp / "one.json"), "--out", str(tmp / "one.sig"),
                       "--owner-key-env", "OWNER_A"], capsys)  # fmt: skip
    assert code == 0, out
    code, out = _main(
        ["gov", "execute", str(tmp / "one.json"), "--signature", str(tmp / "one.sig"), *dep],
        capsys,
    )
    assert code == 2 and "execTransaction" in out, out


def test_compliance_register_rules_freeze_recover(
    life_deal: tuple[Path, DealClient],
    anvil: AnvilNode,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    me = client.accounts[0]
    comp = _deploy_by_abi(client, "Compliance", registrar=me, guardian=me)
    client.backend.transact("Deal", h.address, "set_compliance", [comp])
    investor, rescue = anvil.addresses[3], anvil.addresses[4]
    code, out = _main(["compliance", "set-rules", LIFE, "--tranche", "A", "--classes", "qib",
                       "--jurisdiction", "840", *dep], capsys)  # fmt: skip
    assert code == 0, out
    for who in (me, investor, rescue):
        code, out = _main(
            ["compliance", "register", LIFE, "--investor", who, "--jurisdiction", "840",
             "--classes", "qib", "--expiry", "2099-01-01", *dep],
            capsys,
        )  # fmt: skip
        assert code == 0, out
    code, out = _main(
        ["chain", "transfer", LIFE, "--tranche", "A", "--to", anvil.addresses[7], "--amount",
         "10", *dep],
        capsys,
    )  # fmt: skip
    assert code == 2, out  # an unregistered receiver is refused by the hook
    code, out = _main(["chain", "transfer", LIFE, "--tranche", "A", "--to", investor,
                       "--amount", "50,000", *dep], capsys)  # fmt: skip
    assert code == 0, out
    code, out = _main(["compliance", "freeze", LIFE, "--tranche", "A", "--account", investor,
                       *dep], capsys)  # fmt: skip
    assert code == 0 and "frozen on tranche A" in out, out
    code, out = _main(["compliance", "recover", LIFE, "--tranche", "A", "--holder", investor,
                       "--to", rescue, *dep], capsys)  # fmt: skip
    assert code == 0 and "recovered 50,000,000,000 token units" in out, out
    assert h.balances(investor)["A"] == 0 and h.balances(rescue)["A"] == 50_000_000_000


def test_auction_appraise_mark_bid_settle(
    life_deal: tuple[Path, DealClient],
    anvil: AnvilNode,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    import pandas as pd

    tmp, client = life_deal
    h = client.load_deployment(LIFE)
    dep = ["--deployments", str(tmp)]
    me = client.accounts[0]
    comp = _deploy_by_abi(client, "Compliance", registrar=me, guardian=me)
    liq = _deploy_by_abi(
        client, "Liquidation", deal_=h.address, settlement_=h.record.settlement,
        compliance_=comp, signers_=[anvil.addresses[7]], quorum_=1,
        ltv_threshold_=800_000_000, auction_duration_=3_600, floor_bps_=5_000, recovery_lag_=0,
    )  # fmt: skip
    client.backend.transact("Compliance", comp, "set_rules", [liq, 2, 0, 0, 0])
    client.backend.transact("Compliance", comp, "set_jurisdiction", [liq, 840, True])
    client.backend.transact("Compliance", comp, "register", [me, 840, 2, 2**40])
    client.backend.transact("Deal", h.address, "set_liquidation", [liq])
    # period 1 is reported by the servicer from its remittance file (one loan 120+ days
    # late, paying nothing): the root it submits is the root the auction proves from
    r = pd.read_csv(tmp / "r" / "remittance-001.csv", dtype=str)
    k, j = r.index[r["delinquency_status"] == "current"][:2]
    late, current = str(r.at[k, "loan_id"]), str(r.at[j, "loan_id"])
    for col in ("principal_collected", "curtailment", "interest_collected"):
        r.at[k, col] = "0.00"
    r.at[k, "ending_balance"] = r.at[k, "beginning_balance"]
    r.at[k, "delinquency_status"], r.at[k, "days_delinquent"] = "dpd120plus", "125"
    rem = tmp / "remittance-late.csv"
    r.to_csv(rem, index=False)
    code, out = _main(["servicer", "report", "--deal", LIFE, "--period", "1", "--remittance",
                       str(rem), "--spec", str(LIFE_SPEC), "--books", str(tmp / "books"),
                       *dep], capsys)  # fmt: skip
    assert code == 0 and "report submitted" in out, out
    client.advance_time(86_400)  # the CLI's default dispute window
    h.finalize(1)
    by_file = ["--remittance", str(rem), "--spec", str(LIFE_SPEC)]
    by_books = ["--loans", str(tmp / "books" / "period-1.csv")]
    code, out = _main(["auction", "mark", LIFE, "--loan", late, *by_file, *dep], capsys)
    assert code == 2 and "no property value" in out, out
    # period 1's file proves nothing once it is not the latest root (here: the simulated one)
    code, out = _main(["auction", "mark", LIFE, "--loan", late, "--remittance",
                       str(tmp / "r" / "remittance-001.csv"), "--spec", str(LIFE_SPEC), *dep],
                      capsys)  # fmt: skip
    assert code == 2 and "latest finalized loan root" in out, out
    code, out = _main(["auction", "appraise", LIFE, "--loan", late, "--value", "300,000", *dep],
                      capsys)  # fmt: skip
    assert code == 0 and "valued 300,000.00" in out, out
    code, out = _main(["auction", "appraise", LIFE, "--loan", current, "--value", "900,000",
                       *dep], capsys)  # fmt: skip
    assert code == 0, out
    code, out = _main(["auction", "mark", LIFE, "--loan", current, *by_books, *dep], capsys)
    assert code == 2 and "not liquidatable" in out, out  # current, LTV under the threshold
    code, out = _main(["auction", "mark", LIFE, "--loan", late, *by_books, *dep], capsys)
    assert code == 0 and "125 days delinquent" in out, out
    code, out = _main(["auction", "status", LIFE, "--loan", late, *dep], capsys)
    assert code == 0 and "auction" in out and "start price 300,000.00" in out, out
    code, out = _main(["auction", "bid", LIFE, "--loan", late, "--max-price", "300,000", *dep],
                      capsys)  # fmt: skip
    assert code == 0 and f"bought loan {late}" in out, out
    code, out = _main(["auction", "settle", LIFE, "--loan", late, *dep], capsys)
    held = int(client.backend.call("Liquidation", liq, "recoveries_held"))
    assert code == 0 and held > 0 and "at its next finalize" in out, out
