"""Hyperlane's published contracts, read from the npm package ``@hyperlane-xyz/core``.

The package ships typechain factories (``dist/typechain/factories/...``) that
hold each contract's ABI (a JavaScript array literal) and its creation
bytecode (a hex string) as compiled by Hyperlane. This module reads both
without Node and without a Solidity compiler, so the bytecode deployed here
is byte for byte the bytecode Hyperlane publishes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from trancheflow.errors import BridgeError

__all__ = ["HYPERLANE_VERSION", "HyperlaneArtifact", "load", "package_dir"]

#: The ``@hyperlane-xyz/core`` version pinned in ``package.json``.
HYPERLANE_VERSION = "12.1.0"

#: contract name -> factory module under ``dist/typechain/factories/contracts``.
FACTORIES: dict[str, str] = {
    "Mailbox": "Mailbox__factory.js",
    "MerkleTreeHook": "hooks/MerkleTreeHook__factory.js",
    "PausableHook": "hooks/PausableHook__factory.js",
    "StaticMessageIdMultisigIsmFactory": (
        "isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsmFactory__factory.js"
    ),
    "StaticMessageIdMultisigIsm": (
        "isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsm__factory.js"
    ),
    "DomainRoutingIsm": "isms/routing/DomainRoutingIsm__factory.js",
    "TestRecipient": "test/TestRecipient__factory.js",
    "HypERC20Collateral": "token/HypERC20Collateral__factory.js",
    "HypERC20": "token/HypERC20__factory.js",
}

_ABI = re.compile(r"const _abi = (\[.*?\n\]);", re.S)
_BYTECODE = re.compile(r'const _bytecode = "(0x[0-9a-fA-F]*)";')
_KEY = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*):", re.M)
_TRAILING = re.compile(r",(\s*[\]}])")


@dataclass(frozen=True)
class HyperlaneArtifact:
    """One published contract: its name, ABI and creation bytecode."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes


def package_dir() -> Path:
    """``node_modules/@hyperlane-xyz/core`` of this checkout (searched upwards
    from this file and from the working directory).

    Raises
    ------
    BridgeError
        When the package is not installed (``npm install`` or ``make test``).
    """
    rel = Path("node_modules/@hyperlane-xyz/core")
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for base in (start, *start.parents):
            if (base / rel / "package.json").is_file():
                return base / rel
    raise BridgeError(
        f"{rel} not found; run 'npm install' at the repository root ('make test' does it)"
    )


def parse_factory(text: str, name: str) -> HyperlaneArtifact:
    """Parse a typechain factory module's ``_abi`` literal and ``_bytecode``.

    Examples
    --------
    >>> js = 'const _abi = [\\n  {\\n    type: "fallback",\\n  },\\n];\\n'
    >>> js += 'const _bytecode = "0x6000";'
    >>> parse_factory(js, "X").abi, parse_factory(js, "X").bytecode
    ([{'type': 'fallback'}], b'`\\x00')
    """
    abi_m, code_m = _ABI.search(text), _BYTECODE.search(text)
    if abi_m is None or code_m is None:
        raise BridgeError(f"typechain factory of {name}: no '_abi' array or '_bytecode' string")
    literal = _TRAILING.sub(r"\1", _KEY.sub(r'\1"\2":', abi_m.group(1)))
    try:
        abi = json.loads(literal)
    except json.JSONDecodeError as exc:
        raise BridgeError(
            f"typechain factory of {name}: ABI is not a plain literal ({exc})"
        ) from exc
    code = code_m.group(1)
    if "__$" in code:
        raise BridgeError(f"typechain factory of {name}: bytecode has unlinked libraries")
    return HyperlaneArtifact(name, abi, bytes.fromhex(code[2:]))


@cache
def load(name: str) -> HyperlaneArtifact:
    """The published ABI and bytecode of Hyperlane contract ``name``.

    Raises
    ------
    BridgeError
        For an unknown name, a missing package or a wrong package version.
    """
    if name not in FACTORIES:
        raise BridgeError(
            f"unknown Hyperlane contract {name!r}: expected one of {sorted(FACTORIES)}"
        )
    root = package_dir()
    version = json.loads((root / "package.json").read_text())["version"]
    if version != HYPERLANE_VERSION:
        raise BridgeError(
            f"@hyperlane-xyz/core {version} installed; expected {HYPERLANE_VERSION} (package.json)"
        )
    path = root / "dist/typechain/factories/contracts" / FACTORIES[name]
    return parse_factory(path.read_text(), name)
