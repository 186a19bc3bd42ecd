"""A throwaway anvil node for the chain integration tests (fixture module).

Import the fixture into a test module (``from .anvil import anvil  # noqa:
F401``) or name this module in ``pytest_plugins``. :class:`AnvilNode` starts
``node_modules/.bin/anvil`` (npm ``@foundry-rs/anvil``, installed by
``make test``) on a free loopback port with ``--chain-id 31337 --silent``,
waits until ``eth_chainId`` answers, and exposes the URL and the prefunded
dev keys. Anvil funds the accounts of the standard development mnemonic
``test test ... junk`` (derivation path ``m/44'/60'/0'/0/i``); the keys are
derived here with eth-account and checked against ``eth_accounts``.

:meth:`AnvilNode.restart` stops and starts the node on the same port with its
state kept (``--state FILE``: anvil loads the file at start and writes it at
shutdown), for soak tests that survive a node restart.

Skip rule: without the binary the tests are SKIPPED with the reason, unless
``CI`` is set, where a missing anvil is a FAILURE.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]
ANVIL_BIN = ROOT / "node_modules" / ".bin" / "anvil"
MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 31337


def anvil_binary() -> str | None:
    """The anvil executable: the npm one, else one on PATH."""
    if ANVIL_BIN.exists():
        return str(ANVIL_BIN)
    return shutil.which("anvil")


def dev_keys(n: int = 10) -> list[str]:
    """Hex private keys of the first ``n`` accounts of the dev mnemonic."""
    Account.enable_unaudited_hdwallet_features()
    return [
        "0x" + bytes(Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key).hex()
        for i in range(n)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 2.0) -> object:
    """One JSON-RPC request; returns ``result``."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        out = json.loads(resp.read())
    if "error" in out:
        raise RuntimeError(f"{method}: {out['error']}")
    return out["result"]


class AnvilNode:
    """One anvil process on ``127.0.0.1:<port>``."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.state_file = workdir / "anvil-state.json"
        self.log_file = workdir / "anvil.log"
        self.keys = dev_keys()
        self.addresses = [Account.from_key(k).address for k in self.keys]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        cmd = [
            self.binary,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(CHAIN_ID),
            "--mnemonic",
            MNEMONIC,
            "--state",
            str(self.state_file),
            "--silent",
        ]
        log = open(self.log_file, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"anvil exited with {self.proc.returncode}: {self.log_file.read_text()[-2000:]}"
                )
            try:
                if int(str(rpc(self.url, "eth_chainId")), 16) == CHAIN_ID:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"anvil at {self.url} did not answer eth_chainId in {timeout} s")
        accounts = [str(a).lower() for a in rpc(self.url, "eth_accounts")]  # type: ignore[union-attr]
        assert accounts[: len(self.addresses)] == [a.lower() for a in self.addresses]

    def stop(self) -> None:
        """Stop the node (SIGTERM, so anvil writes its state file)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the chain state kept."""
        self.stop()
        self.start()

    def env(self, n: int = 1) -> dict[str, str]:
        """Environment variables ``TRANCHEFLOW_PRIVATE_KEY`` and ``TF_TEST_KEY_1..n-1``."""
        out = {"TRANCHEFLOW_PRIVATE_KEY": self.keys[0]}
        out.update({f"TF_TEST_KEY_{i}": self.keys[i] for i in range(1, n)})
        return out


@pytest.fixture
def anvil() -> Iterator[AnvilNode]:
    """A fresh anvil node for one test (killed at teardown)."""
    binary = anvil_binary()
    if binary is None:
        reason = f"anvil not found ({ANVIL_BIN} or PATH); run 'make test' to install it from npm"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="tf-anvil-") as tmp:
        node = AnvilNode(binary, Path(tmp))
        node.start()
        try:
            yield node
        finally:
            node.stop()
