"""One Python API for on-chain deals, in process or on any JSON-RPC node.

:class:`DealClient` is a connection to a chain: :meth:`DealClient.embedded`
runs titanoboa in process (no node, no keys: test accounts), and
:meth:`DealClient.connect` talks to a node through web3.py, signing with a key
read ONLY from the environment. Deploying a deal (:meth:`DealClient.deploy_deal`)
or loading a recorded one (:meth:`DealClient.load_deployment`) gives a
:class:`DealHandle` with the deal's verbs: submit a servicer report, veto,
finalize, claim, transfer, and the views a holder or an auditor reads. Both
backends run the same code, so a scenario written once runs in process and
against anvil.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> from trancheflow.chain.reports import sign_report, signer_addresses
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-CLIENT",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}]})
>>> client = DealClient.embedded()
>>> keys = [0xA11CE, 0xB0B]
>>> deal = client.deploy_deal(spec, signers=signer_addresses(keys), quorum=2,
...                           dispute_window=3600)
>>> me = client.accounts[0]
>>> client.mint_mock(deal.record.settlement, me, 10**12)
>>> from trancheflow.chain.servicer import ServicerFeed
>>> report = ServicerFeed(spec).report(1)
>>> _ = deal.submit_report(report, sign_report(report, keys, client.chain_id, deal.address))
>>> client.advance_time(3600)
>>> _ = deal.finalize(1)
>>> deal.period(), deal.claimable("A", me) > 0, deal.factor("A") < 10**18
(1, True, True)
>>> [e.name for e in deal.events()][-2:]
['ReportSubmitted', 'PeriodFinalized']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from trancheflow.chain.backends import Backend, TxResult
from trancheflow.chain.deployments import Deployment, DeploymentStore, TokenRecord
from trancheflow.chain.events import BackendEventSource, EventDecoder
from trancheflow.chain.reports import ServicerReport
from trancheflow.errors import ChainError
from trancheflow.ops.events import ChainEvent

__all__ = ["DealClient", "DealHandle", "DeploymentEventSource"]

_MAX_UINT = 2**256 - 1


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _spec(spec: Any) -> Any:
    if isinstance(spec, str | os.PathLike):
        from trancheflow.deal.spec import load_spec

        return load_spec(Path(spec), onchain=True)
    return spec


def _pool(spec: Any, pool: Any) -> Any:
    from trancheflow.deal.run import collateral_pool

    if pool is None:
        return collateral_pool(spec)
    if isinstance(pool, str | os.PathLike):
        from trancheflow.tape.io import read_tape

        return read_tape(pool)
    return pool


class DeploymentEventSource(BackendEventSource):
    """The :class:`~trancheflow.ops.events.EventSource` of one deployment.

    ``events(from_block, to_block)`` defaults ``addresses`` to the deal and its
    tokens; :attr:`start_block` is the deployment block (where an indexer
    starts).
    """

    def __init__(self, backend: Backend, record: Deployment, decoder: EventDecoder) -> None:
        super().__init__(backend, decoder)
        self.record = record
        self.addresses = record.addresses
        self.start_block = record.block

    def events(
        self, from_block: int, to_block: int, addresses: Sequence[str] | None = None
    ) -> list[ChainEvent]:
        """Decoded logs in ``from_block..to_block`` of ``addresses`` (default: the deal's)."""
        return super().events(
            from_block, to_block, self.addresses if addresses is None else addresses
        )


class DealClient:
    """A connection to a chain that deploys and drives trancheflow deals.

    Parameters
    ----------
    backend : Backend
        Where transactions go (see :mod:`trancheflow.chain.backends`).
    deployments : DeploymentStore
        Where deployments are recorded.
    """

    def __init__(self, backend: Backend, deployments: DeploymentStore) -> None:
        self.backend = backend
        self.deployments = deployments
        self.decoder = EventDecoder()

    # ------------------------------------------------------------ constructors
    @classmethod
    def embedded(
        cls, *, chain_id: int = 31337, deployments_dir: str | os.PathLike[str] | None = None
    ) -> DealClient:
        """A client over a private titanoboa chain in this process.

        Deployments are kept in memory unless ``deployments_dir`` is given; the
        chain itself lives only as long as the process.
        """
        from trancheflow.chain.backends.boa_backend import BoaBackend

        return cls(BoaBackend(chain_id=chain_id), DeploymentStore(deployments_dir))

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        *,
        private_key_env: str = "TRANCHEFLOW_PRIVATE_KEY",
        extra_key_envs: Sequence[str] = (),
        chain_id: int | None = None,
        deployments_dir: str | os.PathLike[str] = "deployments",
        timeout: float = 30.0,
    ) -> DealClient:
        """A client over the JSON-RPC node at ``rpc_url``.

        Parameters
        ----------
        rpc_url : str
            ``http(s)://`` URL of the node.
        private_key_env : str
            Name of the environment variable holding the sending key (hex).
        extra_key_envs : sequence of str
            Further environment variables with keys of other accounts the
            client may send from (holders, servicer...).
        chain_id : int, optional
            The chain id expected; a node reporting another one is refused.
        deployments_dir : path
            Where ``<chain_id>.json`` deployment records live.
        timeout : float
            Seconds to wait for a request or a receipt.

        Raises
        ------
        ChainError
            Unreachable URL, wrong chain id, missing key or unfunded account.
        """
        from trancheflow.chain.backends.rpc_backend import RpcBackend

        backend = RpcBackend(
            rpc_url,
            key_envs=[private_key_env, *extra_key_envs],
            chain_id=chain_id,
            timeout=timeout,
        )
        return cls(backend, DeploymentStore(deployments_dir))

    # ------------------------------------------------------------ chain
    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        return self.backend.chain_id

    @property
    def accounts(self) -> list[str]:
        """Accounts the client can send from; the first is the default sender."""
        return self.backend.accounts

    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward.

        Embedded: titanoboa time travel plus one block; node: ``evm_increaseTime`` + ``evm_mine``.
        """
        self.backend.advance_time(int(seconds))

    def timestamp(self) -> int:
        """Timestamp of the newest block."""
        return self.backend.timestamp()

    def event_source(self) -> BackendEventSource:
        """An event source over the whole chain (the indexer passes the addresses)."""
        return BackendEventSource(self.backend, self.decoder)

    # ------------------------------------------------------------ settlement token
    def deploy_settlement_mock(self, *, sender: str | None = None) -> str:
        """Deploy a 6-decimal ``MockUSDC`` (unrestricted mint: tests and demos only)."""
        return str(self.backend.deploy("MockUSDC", [], sender=sender).contract_address)

    def mint_mock(self, token: str, to: str, amount: int) -> None:
        """Mint ``amount`` units of a ``MockUSDC`` to ``to``."""
        self.backend.transact("MockUSDC", token, "mint", [to, int(amount)])

    def token_balance(self, token: str, holder: str) -> int:
        """ERC-20 balance of ``holder`` in ``token``."""
        return int(self.backend.call("MockUSDC", token, "balanceOf", [holder]))

    # ------------------------------------------------------------ deals
    def deploy_deal(
        self,
        spec: Any,
        pool: Any = None,
        *,
        signers: Sequence[str],
        quorum: int = 1,
        servicer: str | None = None,
        issuer: str | None = None,
        settlement: str | None = None,
        name: str | None = None,
        dispute_window: int = 86_400,
        guardian: str | None = None,
        residual_holder: str | None = None,
        fee_recipients: Sequence[str] = (),
        sender: str | None = None,
        owner: str | None = None,
        overwrite: bool = False,
        oracle_contract: str = "ReportOracle",
        **config: Any,
    ) -> DealHandle:
        """Deploy a deal from its spec, close it to the issuer and record it.

        Parameters
        ----------
        spec : DealSpec or path
            The deal (a YAML path is loaded with the on-chain checks).
        pool : DataFrame, sequence of RepLine or path, optional
            The collateral (tape); default: the spec's.
        signers, quorum : sequence of str, int
            Oracle signers and how many must attest a report.
        servicer, issuer, guardian, residual_holder : str, optional
            Roles; default: the sending account.
        settlement : str, optional
            The settlement token; a fresh ``MockUSDC`` when omitted.
        name : str, optional
            Name of the record (default: the spec's ``deal``).
        dispute_window : int
            Seconds a report waits before it may be finalized.
        fee_recipients : sequence of str
            One per fee (default: the servicer).
        owner : str, optional
            Proposed owner after closing (two-step: it becomes owner when it
            calls ``accept_ownership``; for governance, the timelock through
            a Safe-scheduled operation). Default: the sender stays owner.
        oracle_contract : str
            The oracle blueprint the deal deploys: ``"ReportOracle"``, or
            ``"HubReportOracle"`` for a hub deal fed by spokes (bridge).
        **config
            Further :class:`~trancheflow.chain.deploy.DealConfig` fields.

        Raises
        ------
        ChainError
            The spec is not deployable, the settlement token's decimals differ
            from the spec's currency, a transaction reverts, or the name is taken.
        """
        from trancheflow.chain.deploy import DealConfig
        from trancheflow.chain.servicer import tape_root
        from trancheflow.deal.onchain import onchain_params, spec_hash
        from trancheflow.deal.run import pool_balance_units

        spec = _spec(spec)
        pool = _pool(spec, pool)
        name = name or spec.deal
        me = sender or self.accounts[0]
        units = pool_balance_units(spec, pool)
        params = onchain_params(spec, units)
        if settlement is None:
            settlement = self.deploy_settlement_mock(sender=me)
        decimals = int(self.backend.call("MockUSDC", settlement, "decimals"))
        if decimals != spec.currency.decimals:
            raise ChainError(
                f"settlement token {settlement} has {decimals} decimals; deal {spec.deal} "
                f"is in {spec.currency.symbol} with {spec.currency.decimals}"
            )
        debt = spec.debt_tranches
        root = tape_root(spec, pool)
        cfg = DealConfig.from_onchain(
            params,
            signers=tuple(signers),
            servicer=servicer or me,
            quorum=quorum,
            names=[f"{spec.deal} {t.name}"[:25] for t in debt],
            symbols=[t.name.encode()[:5].decode(errors="ignore") for t in debt],
            fee_recipients=list(fee_recipients),
            guardian=guardian or me,
            residual_holder=residual_holder or me,
            dispute_window=int(dispute_window),
            spec_hash=spec_hash(spec),
            tape_root=root,
            **config,
        )
        blueprint = str(self.backend.deploy_blueprint("TrancheToken", sender=me).contract_address)
        engine_bp = str(
            self.backend.deploy_blueprint("WaterfallEngine", sender=me).contract_address
        )
        oracle_bp = str(self.backend.deploy_blueprint(oracle_contract, sender=me).contract_address)
        tx = self.backend.deploy(
            "Deal", cfg.constructor_args(settlement, blueprint, engine_bp, oracle_bp), sender=me
        )
        deal = str(tx.contract_address)
        contracts: dict[str, str] = {
            "report_oracle": to_checksum_address(str(self.backend.call("Deal", deal, "ORACLE"))),
            "waterfall_engine": to_checksum_address(str(self.backend.call("Deal", deal, "ENGINE"))),
        }
        tokens = tuple(
            TokenRecord(
                t.name,
                cfg.tranches[i].symbol,
                to_checksum_address(str(self.backend.call("Deal", deal, "tranche_token", [i]))),
            )
            for i, t in enumerate(debt)
        )
        self.backend.transact("Deal", deal, "close", [issuer or me], sender=me)
        if owner is not None and owner.lower() != me.lower():
            self.backend.transact("Deal", deal, "transfer_ownership", [owner], sender=me)
        record = Deployment(
            name=name,
            chain_id=self.chain_id,
            deal=deal,
            tokens=tokens,
            settlement=to_checksum_address(settlement),
            blueprint=blueprint,
            block=tx.block_number,
            tx_hash=tx.tx_hash,
            spec_hash=_hex(spec_hash(spec)),
            tape_root=_hex(root),
            decimals=decimals,
            extras={"pool_balance": units, "backend": self.backend.description},
            contracts=contracts,
        )
        self.deployments.save(record, overwrite=overwrite)
        return DealHandle(self, record)

    def load_deployment(self, deal_name: str) -> DealHandle:
        """The recorded deal ``deal_name`` on this chain.

        Raises
        ------
        ChainError
            When it is not recorded, or no contract is at its address.
        """
        record = self.deployments.load(self.chain_id, deal_name)
        handle = DealHandle(self, record)
        try:
            n = handle.tranche_count()
        except ChainError as exc:
            raise ChainError(
                f"deal {deal_name!r} is recorded at {record.deal} on chain {self.chain_id} "
                f"but {self.backend.description} does not answer there ({exc})"
            ) from None
        if n != len(record.tokens):
            raise ChainError(
                f"deal {deal_name!r} at {record.deal} has {n} tranches; the record lists "
                f"{len(record.tokens)}"
            )
        return handle


class DealHandle:
    """One deployed deal: its verbs and views.

    Tranches are named by index (0 = most senior) or by name (``"A"``).
    Amounts are settlement-token units; factors are ``x 10**18``.
    """

    def __init__(self, client: DealClient, record: Deployment) -> None:
        self.client = client
        self.record = record
        self._b = client.backend

    # ------------------------------------------------------------ identity
    @property
    def address(self) -> str:
        """The Deal contract."""
        return self.record.deal

    @property
    def tranche_names(self) -> list[str]:
        """Tranche names, senior first."""
        return self.record.tranche_names

    def tranche_index(self, tranche: int | str) -> int:
        """Position of ``tranche`` (index or name).

        Raises
        ------
        ChainError
            When the deal has no such tranche.
        """
        names = self.tranche_names
        if isinstance(tranche, int) and 0 <= tranche < len(names):
            return tranche
        if isinstance(tranche, str) and tranche in names:
            return names.index(tranche)
        raise ChainError(f"deal {self.record.name} has no tranche {tranche!r} (has {names})")

    def token(self, tranche: int | str) -> str:
        """Token address of ``tranche``."""
        return self.record.tokens[self.tranche_index(tranche)].address

    @property
    def oracle(self) -> str:
        """The deal's ReportOracle (the servicer submits reports there)."""
        if self.record.oracle:
            return self.record.oracle
        return to_checksum_address(str(self._deal("ORACLE")))

    def _deal(self, fn: str, *args: Any) -> Any:
        return self._b.call("Deal", self.address, fn, list(args))

    # ------------------------------------------------------------ oracle
    def submit_report(
        self, report: ServicerReport, signatures: Sequence[bytes], *, sender: str | None = None
    ) -> TxResult:
        """Approve the report's cash to the deal (if needed) and submit the report
        to the deal's ReportOracle (which has the deal pull the cash).

        ``sender`` must be the deal's servicer (default: the client's first account).
        """
        me = sender or self._b.accounts[0]
        token = self.record.settlement
        have = int(self._b.call("MockUSDC", token, "allowance", [me, self.address]))
        if have < report.cash:
            self._b.transact("MockUSDC", token, "approve", [self.address, _MAX_UINT], sender=me)
        return self._b.transact(
            "ReportOracle",
            self.oracle,
            "submit_report",
            [report.as_tuple(), [bytes(s) for s in signatures]],
            sender=me,
        )

    def veto(self, *, sender: str | None = None) -> TxResult:
        """Veto (dispute) the pending report: a signer or the guardian, inside the
        dispute window. The report then waits for governance
        (:meth:`uphold_report` or :meth:`discard_report`)."""
        return self._b.transact("Deal", self.address, "veto", [], sender=sender)

    def uphold_report(self, *, sender: str | None = None) -> TxResult:
        """Governance (the owner) rejects the dispute: the report may finalize."""
        return self._b.transact("Deal", self.address, "uphold_report", [], sender=sender)

    def discard_report(self, *, sender: str | None = None) -> TxResult:
        """Governance (the owner) drops the pending report (a disputed one at any
        time, its digest banned; any other one ``DISCARD_AFTER`` after its window).
        The servicer claims the cash back with :meth:`claim_refund`."""
        return self._b.transact("Deal", self.address, "discard_report", [], sender=sender)

    def claim_refund(self, *, sender: str | None = None) -> TxResult:
        """Pay the sender the cash of its discarded reports."""
        return self._b.transact("Deal", self.address, "claim_refund", [], sender=sender)

    def disputed(self) -> bool:
        """Whether the pending report is disputed (awaits governance)."""
        return bool(self._deal("disputed"))

    def latest_loan_root(self) -> str:
        """The loan-level Merkle root of the last finalized period (tape root before)."""
        return _hex(bytes(self._deal("latest_loan_root")))

    def submitted_report(self, period: int) -> dict[str, Any]:
        """The ``report`` of the newest ``ReportSubmitted`` for ``period`` not vetoed since.

        Raises
        ------
        ChainError
            When no report for ``period`` is pending.
        """
        found: dict[str, Any] | None = None
        for e in self.events():
            if e.name == "ReportSubmitted" and e.args["period"] == period:
                found = dict(e.args["report"])
            elif e.name == "ReportVetoed" and e.args["period"] == period:
                found = None
        if found is None:
            raise ChainError(
                f"deal {self.record.name}: no pending report for period {period} "
                f"(current period {self.period()})"
            )
        return found

    def finalize(self, period: int, *, sender: str | None = None) -> TxResult:
        """Finalize ``period`` after its dispute window, with the inputs read from its
        ``ReportSubmitted`` event."""
        r = self.submitted_report(period)
        inputs = (
            r["period"],
            r["interest"],
            r["scheduled_principal"],
            r["prepayments"],
            r["recoveries"],
            r["losses"],
            r["dq60_balance"] + r["dq90_balance"] + r["foreclosure_balance"] + r["reo_balance"],
        )
        return self._b.transact("Deal", self.address, "finalize", [inputs], sender=sender)

    # ------------------------------------------------------------ holders
    def claim(self, tranche: int | str, holder: str | None = None) -> int:
        """Claim everything ``holder`` is owed on ``tranche``; returns the units paid."""
        holder = holder or self._b.accounts[0]
        tx = self._b.transact("TrancheToken", self.token(tranche), "claim", [], sender=holder)
        paid = 0
        for log in tx.logs:
            name, args = self.client.decoder.decode(log)
            if name == "Claimed":
                paid += int(args["amount"])
        return paid

    def transfer(self, tranche: int | str, sender: str, receiver: str, amount: int) -> TxResult:
        """Transfer ``amount`` tokens of ``tranche`` (settles both sides' distributions)."""
        return self._b.transact(
            "TrancheToken", self.token(tranche), "transfer", [receiver, int(amount)], sender=sender
        )

    def claim_fee(self, fee_id: int, *, sender: str | None = None) -> TxResult:
        """Pay fee ``fee_id`` what it is owed (to its recipient)."""
        return self._b.transact("Deal", self.address, "claim_fee", [fee_id], sender=sender)

    def claim_residual(self, *, sender: str | None = None) -> TxResult:
        """Pay the residual holder what it is owed."""
        return self._b.transact("Deal", self.address, "claim_residual", [], sender=sender)

    # ------------------------------------------------------------ views
    def tranche_count(self) -> int:
        """Number of tranches."""
        return int(self._deal("tranche_count"))

    def balances(self, holder: str) -> dict[str, int]:
        """Token balance of ``holder`` in each tranche."""
        return {
            t.tranche: int(self._b.call("TrancheToken", t.address, "balanceOf", [holder]))
            for t in self.record.tokens
        }

    def tranche_balances(self) -> dict[str, int]:
        """Current (accreted, written-down) balance of each tranche."""
        return {n: int(self._deal("tranche_balance", i)) for i, n in enumerate(self.tranche_names)}

    def factor(self, tranche: int | str) -> int:
        """Factor of ``tranche`` ``x 10**18`` (current balance / original face, rounded down)."""
        return int(self._b.call("TrancheToken", self.token(tranche), "factor", []))

    def claimable(self, tranche: int | str, holder: str) -> int:
        """Units ``holder`` may claim on ``tranche`` now."""
        return int(self._b.call("TrancheToken", self.token(tranche), "claimable", [holder]))

    def pool_balance(self) -> int:
        """Collateral balance after the last finalized period."""
        return int(self._deal("pool_balance"))

    def period(self) -> int:
        """Last finalized period (0 before the first)."""
        return int(self._deal("period"))

    def reserve(self) -> int:
        """Reserve fund balance."""
        return int(self._deal("reserve"))

    def pending_report(self) -> tuple[bool, int, int, str]:
        """``(pending, submitted_at, cash, inputs_hash)`` of the pending report."""
        p, at, cash, h = self._deal("pending_report")
        return bool(p), int(at), int(cash), _hex(bytes(h))

    def settlement_balance(self, holder: str | None = None) -> int:
        """Settlement-token balance of ``holder`` (default: the deal itself)."""
        return self.client.token_balance(self.record.settlement, holder or self.address)

    # ------------------------------------------------------------ events
    def events(
        self, from_block: int | None = None, to_block: int | None = None
    ) -> list[ChainEvent]:
        """Decoded logs of the deal and its tokens (default: deployment block to head)."""
        lo = self.record.block if from_block is None else from_block
        hi = self._b.latest_block() if to_block is None else to_block
        return self.event_source().events(lo, hi)

    def event_source(self) -> DeploymentEventSource:
        """The indexer's view of this deployment."""
        return DeploymentEventSource(self._b, self.record, self.client.decoder)

    def save(self, folder: str | os.PathLike[str]) -> Path | None:
        """Also record this deployment in ``folder`` (e.g. after an embedded run)."""
        return DeploymentStore(folder).save(self.record, overwrite=True)
