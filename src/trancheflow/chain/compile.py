"""Locate and compile trancheflow's Vyper contracts with titanoboa.

The sources live in ``trancheflow/chain/contracts`` (shipped as package data);
snekmate modules are resolved from the installed ``snekmate`` package.
Compilation is cached per process, so deploying many deals compiles once.

Examples
--------
>>> contract_path("Deal").name
'Deal.vy'
>>> sorted(CONTRACTS)[:3]
['BlocklistToken', 'Deal', 'FeeOnTransferToken']
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from trancheflow.errors import ChainError

__all__ = ["CONTRACTS", "CONTRACTS_DIR", "compiler_version", "contract_path", "load_partial"]

#: Directory of the Vyper sources.
CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"

#: Contract name -> source path relative to :data:`CONTRACTS_DIR`.
CONTRACTS: dict[str, str] = {
    "Deal": "Deal.vy",
    "ReportOracle": "core/ReportOracle.vy",
    "HubReportOracle": "bridge/HubReportOracle.vy",
    "WaterfallEngine": "core/WaterfallEngine.vy",
    "TrancheToken": "TrancheToken.vy",
    "MockUSDC": "mocks/MockUSDC.vy",
    "ReentrantToken": "mocks/ReentrantToken.vy",
    "FeeOnTransferToken": "mocks/FeeOnTransferToken.vy",
    "BlocklistToken": "mocks/BlocklistToken.vy",
    "HostileIntegration": "mocks/HostileIntegration.vy",
}


def contract_path(name: str) -> Path:
    """Source file of contract ``name``.

    Raises
    ------
    ChainError
        When ``name`` is not one of :data:`CONTRACTS`.
    """
    try:
        return CONTRACTS_DIR / CONTRACTS[name]
    except KeyError:
        raise ChainError(
            f"unknown contract {name!r}: expected one of {', '.join(sorted(CONTRACTS))}"
        ) from None


@cache
def load_partial(name: str) -> Any:
    """The titanoboa deployer of contract ``name`` (compiled once per process).

    Returns a ``boa.contracts.vyper.vyper_contract.VyperDeployer``; call
    ``.deploy(*args)``, ``.deploy_as_blueprint()`` or ``.at(address)``.
    """
    import boa

    return boa.load_partial(str(contract_path(name)))


def compiler_version() -> str:
    """Version of the Vyper compiler the contracts are built with.

    >>> compiler_version()
    '0.4.3'
    """
    import vyper

    return str(vyper.__version__)
