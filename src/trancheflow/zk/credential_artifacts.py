"""The investor-credential circuit's committed artifacts and their hashes.

:file:`setup_credential.sh` writes ``investor_credential.wasm``,
``investor_credential.zkey``, ``credential_verification_key.json`` and
``credential_manifest.json`` (their SHA-256 hashes) into
``trancheflow/zk/artifacts``. A DEVELOPMENT setup (public beacons): anyone
can forge proofs with these keys.

Examples
--------
>>> sorted(CREDENTIAL_FILES)
['verification_key.json', 'wasm', 'zkey']
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import ARTIFACTS_DIR, check_manifest, file_sha256

__all__ = ["CREDENTIAL_FILES", "credential_artifact", "credential_hashes", "write_manifest"]

#: role -> file name under the artifacts folder.
CREDENTIAL_FILES = {
    "wasm": "investor_credential.wasm",
    "zkey": "investor_credential.zkey",
    "verification_key.json": "credential_verification_key.json",
}
_MANIFEST = "credential_manifest.json"


def credential_artifact(role: str, directory: Path = ARTIFACTS_DIR) -> Path:
    """Path of credential artifact ``role`` (``wasm``, ``zkey``, ``verification_key.json``).

    Raises
    ------
    ZkError
        When the role is unknown or the file is missing.
    """
    if role not in CREDENTIAL_FILES:
        raise ZkError(
            f"credential artifact {role!r}: expected one of {', '.join(CREDENTIAL_FILES)}"
        )
    path = directory / CREDENTIAL_FILES[role]
    if not path.is_file():
        raise ZkError(
            f"credential artifact {path}: missing (run src/trancheflow/zk/setup_credential.sh)"
        )
    return path


def credential_hashes(directory: Path = ARTIFACTS_DIR) -> dict[str, str]:
    """SHA-256 of each credential artifact, checked against ``credential_manifest.json``.

    Raises
    ------
    ZkError
        When a file is missing or differs from the manifest.
    """
    hashes = {
        n: file_sha256(credential_artifact(r, directory)) for r, n in CREDENTIAL_FILES.items()
    }
    check_manifest(hashes, directory / _MANIFEST, "credential artifact")
    return hashes


def write_manifest(constraints: int, directory: Path = ARTIFACTS_DIR) -> Path:
    """Write ``credential_manifest.json`` (hashes, constraints, development setup)."""
    body = {
        "circuit": "investor_credential.circom",
        "constraints": constraints,
        "setup": "DEVELOPMENT (public beacons; not secure; see README)",
        "sha256": {n: file_sha256(directory / n) for n in CREDENTIAL_FILES.values()},
    }
    path = directory / _MANIFEST
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def constraints(directory: Path = ARTIFACTS_DIR) -> int:
    """The circuit's constraint count recorded in the manifest."""
    return int(json.loads((directory / _MANIFEST).read_text())["constraints"])


if __name__ == "__main__":  # pragma: no cover - used by setup_credential.sh
    if len(sys.argv) == 3 and sys.argv[1] == "--write-manifest":
        print(write_manifest(int(sys.argv[2])))
