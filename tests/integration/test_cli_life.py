"""A deal's 24-period life on anvil with the CLI alone, from remittance files.

:func:`life` runs the steps of ``examples/cli_life/run.sh``
in process (the same ``trancheflow`` commands through typer's runner, so the
imports are paid once): simulated remittance files, deploy, fund, index add,
then for each period the servicer's proposal, two oracle attestations that
recompute it from the same file, the submission with both signatures and
the deposit, the dispute window on the node's clock and the finalization;
then claims, fees, residual, index sync and the audit (loan files included).
After the life it checks the chain against the files: the pool balance is
the last period's loan book total, to the unit.

:func:`test_cli_life` runs 4 periods by default; :func:`test_cli_life_24_periods`
(slow) the full 24 (about 3 minutes on a busy 2-core machine).
:func:`test_run_sh` (slow) runs the script itself, one process per command,
for ``TF_LIFE_PERIODS`` periods (default 2).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from trancheflow.chain.client import DealClient
from trancheflow.cli import app

from .anvil import AnvilNode, anvil  # noqa: F401

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LIFE = ROOT / "examples" / "cli_life"
SPEC = LIFE / "deal.yaml"
DEAL = "CLI-LIFE-1"
#: periods of the bounded default life; the slow test runs the full 24
SHORT = 4


class Cli:
    """``trancheflow`` in process; each call returns ``(exit code, output)``."""

    def __init__(self, deployments: Path) -> None:
        self.runner = CliRunner()
        self.dep = ["--deployments", str(deployments)]

    def __call__(self, *argv: str, dep: bool = True) -> tuple[int, str]:
        res = self.runner.invoke(app, [*argv, *(self.dep if dep else [])])
        return res.exit_code, " ".join(res.output.split())

    def ok(self, *argv: str, dep: bool = True) -> str:
        code, out = self(*argv, dep=dep)
        assert code == 0, (argv, out)
        return out


@pytest.fixture
def env(anvil: AnvilNode, monkeypatch: pytest.MonkeyPatch) -> AnvilNode:  # noqa: F811
    monkeypatch.setenv("TRANCHEFLOW_RPC_URL", anvil.url)
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", anvil.keys[0])
    monkeypatch.setenv("ORACLE_1_KEY", anvil.keys[7])
    monkeypatch.setenv("ORACLE_2_KEY", anvil.keys[8])
    return anvil


def period_steps(cli: Cli, n: int, work: Path, prev: list[str]) -> None:
    """One period as run.sh does it."""
    f = str(work / "remittances" / f"remittance-{n:03d}.csv")
    p = work / f"period-{n}.json"
    common = ["--deal", DEAL, "--period", str(n), "--remittance", f, *prev, "--spec", str(SPEC)]
    cli.ok("servicer", "report", *common, "--propose", str(p))
    for k in (1, 2):
        out = cli.ok(
            "oracle",
            "attest",
            *common,
            "--proposal",
            str(p),
            "--out",
            f"{p}.o{k}.sig",
            "--oracle-key-env",
            f"ORACLE_{k}_KEY",
        )
        assert "matches; signed by" in out
    out = cli.ok(
        "servicer",
        "report",
        *common,
        "--signature",
        f"{p}.o1.sig",
        "--signature",
        f"{p}.o2.sig",
        "--books",
        str(work / "books"),
    )
    assert f"period {n} report submitted with 2 signature(s)" in out
    if n == 1:  # an oracle also attests what is pending on chain
        assert "pending report matches" in cli.ok("oracle", "attest", *common)
    cli.ok("chain", "wait", DEAL, "--advance")
    assert f"period {n} finalized" in cli.ok("chain", "finalize", DEAL, "--period", str(n))


def deploy(cli: Cli, env: AnvilNode, work: Path, periods: int) -> None:
    o1, o2 = (Account.from_key(env.keys[i]).address for i in (7, 8))
    cli.ok(
        "servicer",
        "simulate-remittance",
        "--spec",
        str(SPEC),
        "--out",
        str(work / "remittances"),
        "--periods",
        str(periods),
        "--seed",
        "3",
        dep=False,
    )
    cli.ok(
        "chain", "deploy", str(SPEC), "--signer", o1, "--signer", o2, "--quorum", "2",
        "--dispute-window", "600",
    )  # fmt: skip
    cli.ok("chain", "fund", DEAL, "--amount", "6,000,000", "--mint", "--spec", str(SPEC))


def life(env: AnvilNode, tmp_path: Path, periods: int) -> None:
    """The life of run.sh for ``periods`` periods, then the checks."""
    cli = Cli(tmp_path / "deployments")
    (tmp_path / "deployments").mkdir()
    db = f"sqlite:///{tmp_path / 'index.db'}"
    deploy(cli, env, tmp_path, periods)
    assert "registered as #1" in cli.ok(
        "index", "add", "--deal", DEAL, "--spec", str(SPEC), "--db", db
    )
    prev: list[str] = []
    for n in range(1, periods + 1):
        period_steps(cli, n, tmp_path, prev)
        prev = ["--previous", str(tmp_path / "remittances" / f"remittance-{n:03d}.csv")]

    client = DealClient.connect(env.url, deployments_dir=tmp_path / "deployments")
    h = client.load_deployment(DEAL)
    assert h.period() == periods
    last = (tmp_path / "books" / f"period-{periods}.csv").read_text().splitlines()[1:]
    assert h.pool_balance() == sum(int(line.split(",")[1]) for line in last)
    owed = h.claimable("A", client.accounts[0])
    assert f"({owed} units)" in cli.ok("chain", "claim", DEAL, "--tranche", "A")
    cli.ok("chain", "claim", DEAL, "--tranche", "B")
    cli.ok("chain", "claim-fee", DEAL, "--fee", "0")
    cli.ok("chain", "claim-residual", DEAL)
    assert h.claimable("A", client.accounts[0]) == 0
    assert f"period {periods}" in cli.ok("chain", "status", DEAL, "--spec", str(SPEC))
    cli.ok("index", "sync", "--db", db)
    out = cli.ok(
        "audit", "--deal", DEAL, "--spec", str(SPEC), "--db", db, "--loans-dir",
        str(tmp_path / "books"), dep=False,
    )  # fmt: skip
    assert "Merkle root matches" in out


def test_cli_life(env: AnvilNode, tmp_path: Path) -> None:
    life(env, tmp_path, SHORT)


@pytest.mark.slow
def test_cli_life_24_periods(env: AnvilNode, tmp_path: Path) -> None:
    life(env, tmp_path, 24)


@pytest.mark.slow
def test_run_sh(env: AnvilNode, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).parent / "trancheflow")
    if not Path(exe).exists():
        exe = shutil.which("trancheflow") or "trancheflow"
    res = subprocess.run(
        ["bash", str(LIFE / "run.sh"), str(tmp_path / "work")],
        env={
            **os.environ,
            "TRANCHEFLOW": exe,
            "PYTHON": sys.executable,
            "PERIODS": os.environ.get("TF_LIFE_PERIODS", "2"),
        },
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "done:" in res.stdout
