"""Deployment records: one JSON file per chain, ``<dir>/<chain_id>.json``.

A record names a deal's contracts (deal, tranche tokens, settlement token,
token blueprint, optional subscription sale), the block and transaction that
deployed it, the deal-spec hash and the loan-tape Merkle root, so a later
process (the CLI, the keeper, the indexer) finds the deal by name. The file is
``{"chain_id": N, "deals": {name: record}}``; writes are atomic (a temporary
file in the same folder, flushed, then ``os.replace``), so a crash never
leaves half a file.

Examples
--------
>>> import tempfile
>>> store = DeploymentStore(tempfile.mkdtemp())
>>> rec = Deployment(name="D-1", chain_id=31337, deal="0x" + "11" * 20,
...                  tokens=(TokenRecord("A", "A", "0x" + "22" * 20),),
...                  settlement="0x" + "33" * 20, blueprint="0x" + "44" * 20,
...                  block=5, tx_hash="0x" + "55" * 32, spec_hash="0x" + "66" * 32,
...                  tape_root="0x" + "77" * 32, decimals=6)
>>> path = store.save(rec)
>>> path.name, store.load(31337, "D-1") == rec
('31337.json', True)
>>> store.names(31337)
['D-1']
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trancheflow.errors import ChainError

__all__ = ["Deployment", "DeploymentStore", "TokenRecord"]


@dataclass(frozen=True)
class TokenRecord:
    """One tranche token: tranche name, token symbol, address."""

    tranche: str
    symbol: str
    address: str


@dataclass(frozen=True)
class Deployment:
    """Where one deal lives on one chain."""

    name: str
    chain_id: int
    deal: str
    tokens: tuple[TokenRecord, ...]
    settlement: str
    blueprint: str
    block: int
    tx_hash: str
    spec_hash: str
    tape_root: str
    decimals: int
    subscription: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: Every further contract of the deal by role (``report_oracle``,
    #: ``waterfall_engine``; later integrations), so an indexer follows all.
    contracts: dict[str, str] = field(default_factory=dict)

    @property
    def addresses(self) -> list[str]:
        """The deal, its tranche tokens and its other contracts (what the indexer watches)."""
        extra = [a for a in self.contracts.values() if a not in (self.deal,)]
        return [self.deal, *(t.address for t in self.tokens), *extra]

    @property
    def oracle(self) -> str | None:
        """The deal's ReportOracle (where the servicer submits), if recorded."""
        return self.contracts.get("report_oracle")

    @property
    def tranche_names(self) -> list[str]:
        """Tranche names, senior first."""
        return [t.tranche for t in self.tokens]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        d = asdict(self)
        d["tokens"] = [asdict(t) for t in self.tokens]
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "record") -> Deployment:
        """Parse a record written by :meth:`to_json`.

        Raises
        ------
        ChainError
            When a field is missing or of the wrong shape.
        """
        try:
            return cls(
                **{
                    **data,
                    "tokens": tuple(TokenRecord(**t) for t in data["tokens"]),
                    "chain_id": int(data["chain_id"]),
                    "block": int(data["block"]),
                    "decimals": int(data["decimals"]),
                    "extras": dict(data.get("extras", {})),
                    "contracts": dict(data.get("contracts", {})),
                }
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ChainError(f"{where}: malformed deployment record ({exc})") from None


class DeploymentStore:
    """Deployment records in ``<folder>/<chain_id>.json``, or in memory.

    Parameters
    ----------
    folder : str or Path or None
        Where the files live; ``None`` keeps records in memory only (the
        embedded backend's chain lives only as long as the process).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = "deployments") -> None:
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[int, dict[str, dict[str, Any]]] = {}

    def path(self, chain_id: int) -> Path | None:
        """The file of chain ``chain_id`` (None in memory)."""
        return None if self.folder is None else self.folder / f"{int(chain_id)}.json"

    def _read(self, chain_id: int) -> dict[str, dict[str, Any]]:
        path = self.path(chain_id)
        if path is None:
            return self._memory.setdefault(int(chain_id), {})
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ChainError(f"{path}: cannot read deployments ({exc})") from None
        if not isinstance(data, dict) or int(data.get("chain_id", -1)) != int(chain_id):
            raise ChainError(f"{path}: expected {{'chain_id': {chain_id}, 'deals': {{...}}}}")
        return dict(data.get("deals", {}))

    def _write(self, chain_id: int, deals: dict[str, dict[str, Any]]) -> Path | None:
        path = self.path(chain_id)
        if path is None:
            self._memory[int(chain_id)] = deals
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"chain_id": int(chain_id), "deals": deals}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def save(self, record: Deployment, *, overwrite: bool = False) -> Path | None:
        """Record ``record`` under its name; returns the file written (None in memory).

        Raises
        ------
        ChainError
            When the name is already recorded for the chain and ``overwrite`` is false.
        """
        deals = self._read(record.chain_id)
        if record.name in deals and not overwrite:
            old = deals[record.name].get("deal")
            raise ChainError(
                f"deal {record.name!r} is already deployed at {old} on chain "
                f"{record.chain_id} ({self.path(record.chain_id) or 'memory'}); "
                "choose another name or overwrite"
            )
        deals[record.name] = record.to_json()
        return self._write(record.chain_id, deals)

    def load(self, chain_id: int, name: str) -> Deployment:
        """The record of deal ``name`` on chain ``chain_id``.

        Raises
        ------
        ChainError
            When no such deal is recorded.
        """
        deals = self._read(chain_id)
        if name not in deals:
            where = self.path(chain_id) or "memory"
            known = ", ".join(sorted(deals)) or "none"
            raise ChainError(
                f"no deployment of deal {name!r} on chain {chain_id} in {where} (known: {known})"
            )
        return Deployment.from_json(deals[name], f"{self.path(chain_id) or 'memory'}[{name}]")

    def names(self, chain_id: int) -> list[str]:
        """Deal names recorded for chain ``chain_id``."""
        return sorted(self._read(chain_id))
