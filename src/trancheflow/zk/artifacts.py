"""The committed circuit artifacts and their hashes.

``trancheflow/zk/artifacts`` holds what :file:`setup.sh` produced: the
witness generator (``loan_eligibility.wasm``), the proving key
(``loan_eligibility.zkey``) and the verification key
(``verification_key.json``), plus ``manifest.json`` with their SHA-256
hashes. These come from a DEVELOPMENT setup (public beacons, no secret
contribution): anyone can forge proofs for them. See the package README for a
production setup.

Examples
--------
>>> sorted(ARTIFACT_FILES)
['verification_key.json', 'wasm', 'zkey']
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from trancheflow.errors import ZkError

__all__ = [
    "ARTIFACTS_DIR",
    "ARTIFACT_FILES",
    "artifact_hashes",
    "artifact_path",
    "record_in_deployment",
    "write_manifest",
]

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
#: role -> file name under :data:`ARTIFACTS_DIR`.
ARTIFACT_FILES = {
    "wasm": "loan_eligibility.wasm",
    "zkey": "loan_eligibility.zkey",
    "verification_key.json": "verification_key.json",
}
_MANIFEST = "manifest.json"


def artifact_path(role: str, directory: Path = ARTIFACTS_DIR) -> Path:
    """Path of artifact ``role`` (``wasm``, ``zkey``, ``verification_key.json``).

    Raises
    ------
    ZkError
        When the role is unknown or the file is missing.
    """
    if role not in ARTIFACT_FILES:
        raise ZkError(f"circuit artifact {role!r}: expected one of {', '.join(ARTIFACT_FILES)}")
    path = directory / ARTIFACT_FILES[role]
    if not path.is_file():
        raise ZkError(f"circuit artifact {path}: missing (run src/trancheflow/zk/setup.sh)")
    return path


def file_sha256(path: Path) -> str:
    """``0x`` and the SHA-256 of ``path`` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "0x" + digest.hexdigest()


def artifact_hashes(directory: Path = ARTIFACTS_DIR) -> dict[str, str]:
    """SHA-256 of each artifact file, by file name, checked against the manifest.

    Raises
    ------
    ZkError
        When a file is missing or differs from ``manifest.json``.
    """
    hashes = {
        name: file_sha256(artifact_path(role, directory)) for role, name in ARTIFACT_FILES.items()
    }
    check_manifest(hashes, directory / _MANIFEST, "circuit artifact")
    return hashes


def check_manifest(hashes: dict[str, str], manifest: Path, what: str) -> None:
    """Refuse ``hashes`` (file name -> SHA-256) that differ from ``manifest`` when it exists.

    Raises
    ------
    ZkError
        Naming the first file (``what`` and its name) whose hash differs.
    """
    if manifest.is_file():
        recorded = json.loads(manifest.read_text()).get("sha256", {})
        for name, value in hashes.items():
            if recorded.get(name) != value:
                raise ZkError(f"{what} {name}: SHA-256 differs from {manifest}")


def write_manifest(constraints: int, directory: Path = ARTIFACTS_DIR) -> Path:
    """Write ``manifest.json`` (hashes, constraint count, and that this is a development setup)."""
    hashes = {name: file_sha256(directory / name) for name in ARTIFACT_FILES.values()}
    body = {
        "circuit": "loan_eligibility.circom",
        "constraints": constraints,
        "setup": "DEVELOPMENT (public beacons; not secure; see README)",
        "sha256": hashes,
    }
    path = directory / _MANIFEST
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def record_in_deployment(
    store: Any, chain_id: int, name: str, registry: str, verifier: str, root: int
) -> None:
    """Add the ZK registry, verifier, Poseidon root and artifact hashes to a deal's record.

    Parameters
    ----------
    store : trancheflow.chain.deployments.DeploymentStore
        Where the deal's record lives.
    chain_id, name : int, str
        The record.
    registry, verifier : str
        Addresses of the EligibilityRegistry and its Groth16 verifier.
    root : int
        The committed Poseidon root.
    """
    record = store.load(chain_id, name)
    contracts = {**record.contracts, "zk_registry": registry, "zk_verifier": verifier}
    extras = {
        **record.extras,
        "zk": {
            "poseidon_root": hex(root),
            "artifacts_sha256": artifact_hashes(),
            "setup": "development",
        },
    }
    store.save(replace(record, contracts=contracts, extras=extras), overwrite=True)


if __name__ == "__main__":  # pragma: no cover - used by setup.sh
    if len(sys.argv) == 3 and sys.argv[1] == "--write-manifest":
        print(write_manifest(int(sys.argv[2])))
