"""``trancheflow bridge``: the embedded demo relays reports, cash and tranche tokens
through the published ISM and checks itself; bad input exits 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from trancheflow.cli import app


def test_demo_delivers_every_message() -> None:
    res = CliRunner().invoke(app, ["bridge", "demo", "--periods", "2"])
    assert res.exit_code == 0, res.output
    assert "NO" not in res.output
    assert "71003" in res.output  # the spoke that missed period 2 is reported delinquent
    assert "messages delivered: 4" in res.output  # 2 + 1 reports (one owed) + 1 cash leg
    # tranche tokens: six conservation rows, the spoke claims equal the hub rule
    assert res.output.count("│ yes") >= 2 + 6
    assert "alice claims on spoke 71002" in res.output


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["bridge", "demo", "--periods", "0"], {}, "--periods=0"),
        (
            [
                "bridge",
                "return",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--spoke-token",
                "0x" + "11" * 20,
                "--to",
                "0x" + "11" * 20,
                "--amount",
                "0",
            ],
            {},
            "--amount",
        ),
        (
            [
                "bridge",
                "claim",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--spoke-token",
                "0x" + "11" * 20,
            ],
            {"TRANCHEFLOW_PRIVATE_KEY": "0x" + "22" * 32},
            "cannot reach",
        ),
        (
            [
                "bridge",
                "validator",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--mailbox",
                "0x" + "11" * 20,
                "--db",
                "v.db",
                "--key-env",
                "TF_NO_SUCH_KEY",
            ],
            {"TRANCHEFLOW_PRIVATE_KEY": "0x" + "22" * 32},
            "TF_NO_SUCH_KEY",
        ),
    ],
)
def test_bad_input_exits_2(
    args: list[str], env: dict[str, str], needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("TF_NO_SUCH_KEY", raising=False)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert "Traceback" not in res.output
