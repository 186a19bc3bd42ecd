"""The published Uniswap V2 factory and pair beside a tranche token on a JSON-RPC node.

:class:`NodeMarket` deploys, on a development node whose accounts are
unlocked (anvil), the same contracts as :class:`~trancheflow.market.sandbox.MarketSandbox`
(``MockUSDC``, the TEST-ONLY stand-in deal ``MockMarketDeal``, the real
``TrancheToken`` and ``Compliance``, and a ``TrancheMarket``), compiled by
titanoboa's Vyper, plus the Uniswap V2 factory from the bytecode published in
the npm package ``@uniswap/v2-core`` (``build/UniswapV2Factory.json``) and the
pair its ``createPair`` makes. Transactions are ``eth_sendTransaction`` from
the node's unlocked development accounts (the stand-in deal deploys the
token through ``anvil_impersonateAccount``): development keys and setups
only, never a production path.

``tests/integration/test_market_anvil.py`` registers the pair in the
tranche's compliance and swaps; ``bench/market.py --anvil`` replays a deal's
periods through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trancheflow.errors import MarketError

ROOT = Path(__file__).resolve().parents[3]
V2_BUILD = ROOT / "node_modules" / "@uniswap" / "v2-core" / "build"
JURISDICTION = 840
FAR_FUTURE = 2**40
UNIT = 10**6


def v2_artifact(name: str) -> tuple[list[Any], bytes]:
    """ABI and creation bytecode of ``UniswapV2Factory`` / ``UniswapV2Pair`` as published."""
    path = V2_BUILD / f"{name}.json"
    if not path.is_file():
        raise MarketError(f"{path}: missing; install the npm package @uniswap/v2-core")
    data = json.loads(path.read_text())
    return list(data["abi"]), bytes.fromhex(str(data["bytecode"]).removeprefix("0x"))


def vyper_artifact(path: Path) -> tuple[list[Any], bytes]:
    """ABI and creation bytecode of a Vyper source, compiled by titanoboa's compiler."""
    import boa
    from vyper.compiler.output import build_abi_output

    cd = boa.load_partial(str(path)).compiler_data
    return list(build_abi_output(cd)), bytes(cd.bytecode)


@dataclass
class NodeMarket:
    """Tranche token, compliance, stand-in deal, TrancheMarket and a V2 pair on a node."""

    url: str
    face: int = 1_000_000 * UNIT
    coupon: int = 50_000_000
    w3: Any = None
    c: dict[str, Any] = field(default_factory=dict)
    receipts: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        from web3 import Web3

        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))
        accts = [Web3.to_checksum_address(a) for a in self.w3.eth.accounts]
        if len(accts) < 6:
            raise MarketError(f"{self.url}: needs 6 unlocked development accounts")
        self.owner, self.issuer, self.lp, self.lp2, self.trader, self.outsider = accts[:6]

    # ------------------------------------------------------------- plumbing
    def send(self, fn: Any, sender: str) -> Any:
        """Sends a contract function call from ``sender``; returns the receipt (reverts raise)."""
        tx = fn.transact({"from": sender})
        r = self.w3.eth.wait_for_transaction_receipt(tx, timeout=30)
        if int(r["status"]) != 1:
            raise MarketError(f"transaction {tx.hex()} reverted")
        self.receipts.append(r)
        return r

    def _deploy(self, abi: list[Any], code: bytes, args: list[Any], sender: str) -> Any:
        k = self.w3.eth.contract(abi=abi, bytecode=code)
        tx = k.constructor(*args).transact({"from": sender})
        r = self.w3.eth.wait_for_transaction_receipt(tx, timeout=30)
        if int(r["status"]) != 1:
            raise MarketError("deployment reverted")
        return self.w3.eth.contract(address=r["contractAddress"], abi=abi)

    def deploy(self, *, amp: int = 20, fee_bps: int = 10, core_bps: int = 5_000) -> None:
        """Deploys everything (no venue registered yet)."""
        from trancheflow.chain.compile import CONTRACTS_DIR

        base = Path(CONTRACTS_DIR)
        usdc = self._deploy(*vyper_artifact(base / "mocks" / "MockUSDC.vy"), [], self.owner)
        deal = self._deploy(
            *vyper_artifact(base / "market" / "mocks" / "MockMarketDeal.vy"),
            [usdc.address],
            self.owner,
        )
        comp = self._deploy(
            *vyper_artifact(base / "compliance" / "Compliance.vy"),
            [self.owner, self.owner],
            self.owner,
        )
        # the token's deployer is the deal: impersonate it (development node only)
        self.w3.provider.make_request("anvil_impersonateAccount", [deal.address])
        self.w3.provider.make_request("anvil_setBalance", [deal.address, hex(10**20)])
        token = self._deploy(
            *vyper_artifact(base / "TrancheToken.vy"),
            ["Class A", "A", 6, 0, self.face, comp.address],
            deal.address,
        )
        self.w3.provider.make_request("anvil_stopImpersonatingAccount", [deal.address])
        self.c.update(usdc=usdc, deal=deal, compliance=comp, token=token)
        self.send(comp.functions.set_rules(token.address, 1, 0, 0, 0), self.owner)
        self.send(comp.functions.set_jurisdiction(token.address, JURISDICTION, True), self.owner)
        self.send(deal.functions.attach(0, token.address, self.face, self.issuer), self.owner)
        self.send(deal.functions.set_coupon(0, self.coupon, False), self.owner)
        for who in (self.issuer, self.lp, self.lp2, self.trader):
            self.admit(who)
        pool_abi, pool_code = vyper_artifact(base / "market" / "TrancheMarket.vy")
        pool = self._deploy(
            pool_abi,
            pool_code,
            [token.address, usdc.address, amp, fee_bps, 3_600, core_bps, 30 * 86_400],
            self.owner,
        )
        fac_abi, fac_code = v2_artifact("UniswapV2Factory")
        factory = self._deploy(fac_abi, fac_code, [self.owner], self.owner)
        self.send(factory.functions.createPair(token.address, usdc.address), self.owner)
        pair_abi, _ = v2_artifact("UniswapV2Pair")
        pair = self.w3.eth.contract(
            address=factory.functions.getPair(token.address, usdc.address).call(), abi=pair_abi
        )
        self.c.update(pool=pool, factory=factory, pair=pair)
        self.send(usdc.functions.mint(deal.address, 10**30), self.owner)

    def admit(self, who: str) -> None:
        """Registers ``who`` as an accredited investor in the tranche's compliance."""
        comp = self.c["compliance"]
        self.send(comp.functions.register(who, JURISDICTION, 1, FAR_FUTURE), self.owner)

    def register_venue(self, venue: str) -> None:
        """The compliance owner admits ``venue`` (a pool or pair) as a holder and a venue."""
        self.admit(venue)
        comp, token = self.c["compliance"], self.c["token"]
        self.send(comp.functions.set_venue(token.address, venue, True), self.owner)

    def fund(self, who: str, tokens: int = 0, cash: int = 0) -> None:
        """Gives ``who`` tranche tokens (from the issuer) and minted cash, approved to the pool."""
        token, usdc, pool = self.c["token"], self.c["usdc"], self.c["pool"]
        if tokens:
            self.send(token.functions.transfer(who, tokens), self.issuer)
        if cash:
            self.send(usdc.functions.mint(who, cash), self.owner)
        self.send(token.functions.approve(pool.address, 2**256 - 1), who)
        self.send(usdc.functions.approve(pool.address, 2**256 - 1), who)

    def period(self, new_balance: int, cash: int) -> None:
        """A finalized period of the stand-in deal (balance and distribution)."""
        self.send(self.c["deal"].functions.period(0, new_balance, cash), self.owner)

    def balance(self) -> int:
        """The tranche's current balance."""
        return int(self.c["deal"].functions.tranche_balance(0).call())

    # ------------------------------------------------------------- V2 pair
    def pair_reserves(self) -> tuple[int, int]:
        """(tokens, cash) in the pair."""
        pair, token = self.c["pair"], self.c["token"]
        r0, r1, _ = pair.functions.getReserves().call()
        tok0 = pair.functions.token0().call().lower() == token.address.lower()
        return (r0, r1) if tok0 else (r1, r0)

    def pair_seed(self, who: str, tokens: int, cash: int) -> None:
        """``who`` adds liquidity to the pair the V2 way (transfer both, ``mint``)."""
        pair = self.c["pair"]
        self.send(self.c["token"].functions.transfer(pair.address, tokens), who)
        self.send(self.c["usdc"].functions.transfer(pair.address, cash), who)
        self.send(pair.functions.mint(who), who)

    def pair_swap(self, who: str, side: str, amount: int) -> tuple[int, int]:
        """A router-less V2 swap: transfer in, ``swap`` out (0.3% fee, the published
        ``getAmountOut``). Returns (output, gas of both transactions less one base)."""
        pair, token, usdc = self.c["pair"], self.c["token"], self.c["usdc"]
        t, c = self.pair_reserves()
        tok0 = pair.functions.token0().call().lower() == token.address.lower()
        if side == "buy":
            out = amount * 997 * t // (c * 1000 + amount * 997)
            r1 = self.send(usdc.functions.transfer(pair.address, amount), who)
            outs = (out, 0) if tok0 else (0, out)
        else:
            out = amount * 997 * c // (t * 1000 + amount * 997)
            r1 = self.send(token.functions.transfer(pair.address, amount), who)
            outs = (0, out) if tok0 else (out, 0)
        r2 = self.send(pair.functions.swap(outs[0], outs[1], who, b""), who)
        return out, int(r1["gasUsed"]) + int(r2["gasUsed"]) - 21_000


def anvil_binary() -> str | None:
    """The anvil executable: the npm one (``node_modules/.bin/anvil``), else one on PATH."""
    import shutil

    local = ROOT / "node_modules" / ".bin" / "anvil"
    return str(local) if local.exists() else shutil.which("anvil")


class Anvil:
    """A throwaway anvil node on a free loopback port (development accounts, unlocked).

    Use as a context manager; :attr:`url` is its JSON-RPC address.
    """

    def __init__(self) -> None:
        binary = anvil_binary()
        if binary is None:
            raise MarketError("anvil not found: install it with npm (make test) or put it on PATH")
        self.binary = binary
        self.proc: Any = None
        self.url = ""

    def __enter__(self) -> Anvil:
        import socket
        import subprocess
        import time

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(port), "--silent", "--chain-id", "31337"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        for _ in range(300):
            try:
                if int(w3.eth.chain_id) == 31337:
                    return self
            except Exception:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise MarketError(f"anvil at {self.url} did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
