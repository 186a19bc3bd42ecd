"""Investor credentials: a KYC provider's EdDSA-Poseidon signature, proven in zero knowledge.

A KYC provider (a Baby Jubjub key the deal's compliance owner registers on
chain) signs ``M = Poseidon(DOMAIN, holder, jurisdiction, classes, expiry)``
(:func:`credential_message`). The holder keeps the credential (a JSON file)
and proves with ``investor_credential.circom`` that it satisfies a tranche's
:class:`TrancheRule` (jurisdiction in the allowed set, some class in the
allowed mask, expiry at or after a ``valid_until`` the holder picks), revealing
only the holder address, the provider's key, the rule and ``valid_until``.

Why ``valid_until`` rather than the expiry: the exact expiry of a KYC check is
a fingerprint that links one investor's proofs across deals; the holder may
publish any ``valid_until <= expiry`` (rounded to a month end, the deal's next
payment date...), the chain checks ``valid_until > block.timestamp`` and
records eligibility until then, and a credential that has expired can no
longer produce a proof for any future time. No ``now`` input is needed.

Examples
--------
>>> rule = TrancheRule((840, 826), 0b0011)
>>> w0, w1 = pack_rule(rule)
>>> w0 == 840 + (826 << 10) and w1 == 3 << 240
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trancheflow.errors import ZkError
from trancheflow.zk.babyjubjub import Point, check_point
from trancheflow.zk.credential_artifacts import credential_artifact
from trancheflow.zk.eddsa import Signature, public_key, sign, verify
from trancheflow.zk.poseidon import poseidon
from trancheflow.zk.prover import SnarkjsWorker, proof_words

__all__ = [
    "DOMAIN",
    "MAX_JURISDICTIONS",
    "Credential",
    "CredentialProof",
    "TrancheRule",
    "binding",
    "credential_input",
    "credential_message",
    "credential_worker",
    "issue_credential",
    "load_credential",
    "pack_rule",
    "parse_private_key",
    "prove_credential",
    "public_inputs",
]

#: Domain tag of the signed message: the ASCII bytes "trancheflow-credential-v1", big-endian.
DOMAIN = int.from_bytes(b"trancheflow-credential-v1", "big")
_SLOTS0, _SLOTS1 = 25, 24
#: Most jurisdictions one tranche rule admits (two public field elements of 10-bit codes).
MAX_JURISDICTIONS = _SLOTS0 + _SLOTS1
_MAX_EXPIRY = (1 << 64) - 1


def _address(value: object, name: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise ZkError(f"{name}: expected a 0x-prefixed 20-byte address, got {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise ZkError(f"{name}: {value!r} is not hexadecimal") from None


def _check_attributes(jurisdiction: int, classes: int, expiry: int) -> None:
    if not isinstance(jurisdiction, int) or not 1 <= jurisdiction <= 999:
        raise ZkError(f"credential jurisdiction {jurisdiction!r}: ISO 3166-1 numeric code 1..999")
    if not isinstance(classes, int) or not 1 <= classes <= 255:
        raise ZkError(f"credential classes {classes!r}: investor-class bitmask 1..255")
    if not isinstance(expiry, int) or not 0 < expiry <= _MAX_EXPIRY:
        raise ZkError(f"credential expiry {expiry!r}: unix seconds in (0, 2^64)")


def credential_message(holder: str, jurisdiction: int, classes: int, expiry: int) -> int:
    """The field element a KYC provider signs for one holder.

    Examples
    --------
    >>> m = credential_message("0x" + "11" * 20, 840, 1, 1_900_000_000)
    >>> 0 < m < 2**254
    True
    """
    _check_attributes(jurisdiction, classes, expiry)
    return poseidon([DOMAIN, _address(holder, "holder"), jurisdiction, classes, expiry])


@dataclass(frozen=True)
class Credential:
    """A signed credential: holder, jurisdiction, class bitmask, expiry, issuer key, signature."""

    holder: str
    jurisdiction: int
    classes: int
    expiry: int
    issuer: Point
    signature: Signature

    def message(self) -> int:
        """The signed field element (:func:`credential_message`)."""
        return credential_message(self.holder, self.jurisdiction, self.classes, self.expiry)

    def is_valid(self) -> bool:
        """Whether the signature verifies under ``issuer``."""
        return verify(self.message(), self.signature, self.issuer)

    def to_json(self) -> dict[str, Any]:
        """The credential file's body (numbers as decimal strings where they exceed 2^53)."""
        return {
            "type": "trancheflow-investor-credential-v1",
            "holder": self.holder,
            "jurisdiction": self.jurisdiction,
            "classes": self.classes,
            "expiry": self.expiry,
            "issuer": [str(self.issuer[0]), str(self.issuer[1])],
            "signature": {
                "R8": [str(self.signature.r8[0]), str(self.signature.r8[1])],
                "S": str(self.signature.s),
            },
        }

    @classmethod
    def from_json(cls, body: object, source: str = "credential") -> Credential:
        """Read and check a credential body.

        Raises
        ------
        ZkError
            Naming ``source`` and the field, when a field is missing or malformed or the
            signature does not verify.
        """
        if not isinstance(body, dict) or body.get("type") != "trancheflow-investor-credential-v1":
            raise ZkError(f"{source}: not a trancheflow investor credential (field 'type')")
        try:
            holder = body["holder"]
            _address(holder, f"{source}: field 'holder'")
            attrs = {k: body[k] for k in ("jurisdiction", "classes", "expiry")}
            sig = body["signature"]
            issuer = check_point(body["issuer"], f"{source}: field 'issuer'")
            r8 = check_point(sig["R8"], f"{source}: field 'signature.R8'")
            s = int(sig["S"])
        except ZkError:
            raise
        except KeyError as exc:
            raise ZkError(f"{source}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError):
            raise ZkError(f"{source}: field 'signature.S' must be an integer") from None
        for k, v in attrs.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise ZkError(f"{source}: field {k!r} must be an integer, got {v!r}")
        try:
            _check_attributes(attrs["jurisdiction"], attrs["classes"], attrs["expiry"])
        except ZkError as exc:
            raise ZkError(f"{source}: {exc}") from None
        cred = cls(holder, attrs["jurisdiction"], attrs["classes"], attrs["expiry"], issuer,
                   Signature(r8, s))  # fmt: skip
        if not cred.is_valid():
            raise ZkError(f"{source}: the signature does not verify under the issuer key")
        return cred


def parse_private_key(text: str, source: str = "KYC key") -> bytes:
    """A 32-byte EdDSA private key from 64 hex digits (``0x`` optional).

    Examples
    --------
    >>> len(parse_private_key("0x" + "ab" * 32))
    32
    """
    raw = text.strip().removeprefix("0x")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise ZkError(f"{source}: expected 64 hexadecimal digits") from None
    if len(key) != 32:
        raise ZkError(f"{source}: expected 32 bytes (64 hex digits), got {len(key)}")
    return key


def issue_credential(
    private_key: bytes, holder: str, jurisdiction: int, classes: int, expiry: int
) -> Credential:
    """The KYC provider signs a credential for ``holder``.

    Examples
    --------
    >>> c = issue_credential(bytes(32), "0x" + "22" * 20, 826, 2, 1_900_000_000)
    >>> c.is_valid()
    True
    """
    message = credential_message(holder, jurisdiction, classes, expiry)
    return Credential(
        holder, jurisdiction, classes, expiry, public_key(private_key), sign(private_key, message)
    )


def load_credential(path: Path) -> Credential:
    """Read a credential file (see :meth:`Credential.from_json`)."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ZkError(f"credential {path}: cannot be read as JSON ({exc})") from None
    return Credential.from_json(body, f"credential {path}")


@dataclass(frozen=True)
class TrancheRule:
    """A tranche's credential rule: allowed jurisdictions and allowed investor classes.

    Parameters
    ----------
    jurisdictions : tuple of int
        ISO 3166-1 numeric codes (1..999), at most :data:`MAX_JURISDICTIONS`.
    classes_mask : int
        Bitmask of admitted investor classes (1..255), as Compliance's ``CLASS_*``.
    """

    jurisdictions: tuple[int, ...]
    classes_mask: int

    def __post_init__(self) -> None:
        codes = self.jurisdictions
        if not codes or len(codes) > MAX_JURISDICTIONS:
            raise ZkError(f"tranche rule: 1..{MAX_JURISDICTIONS} jurisdictions, got {len(codes)}")
        for c in codes:
            if not isinstance(c, int) or not 1 <= c <= 999:
                raise ZkError(f"tranche rule: jurisdiction {c!r} is not an ISO numeric code 1..999")
        if not 1 <= self.classes_mask <= 255:
            raise ZkError(f"tranche rule: class mask {self.classes_mask} must be in 1..255")

    def admits(self, credential: Credential) -> str | None:
        """Why ``credential`` fails the rule, or None when it passes."""
        if credential.jurisdiction not in self.jurisdictions:
            return "its jurisdiction is not in the tranche's allowed set"
        if credential.classes & self.classes_mask == 0:
            return "none of its investor classes is in the tranche's allowed mask"
        return None


def pack_rule(rule: TrancheRule) -> tuple[int, int]:
    """The rule as the circuit's two public words (25 + 24 ten-bit codes, mask at bit 240)."""
    slots = list(rule.jurisdictions) + [0] * (MAX_JURISDICTIONS - len(rule.jurisdictions))
    w0 = sum(c << (10 * i) for i, c in enumerate(slots[:_SLOTS0]))
    w1 = sum(c << (10 * i) for i, c in enumerate(slots[_SLOTS0:]))
    return w0, w1 | (rule.classes_mask << 240)


def binding(holder: str, valid_until: int) -> int:
    """The circuit's first public input: ``holder + valid_until * 2^160``.

    Examples
    --------
    >>> binding("0x" + "00" * 19 + "01", 2) == 1 + (2 << 160)
    True
    """
    if not isinstance(valid_until, int) or not 0 <= valid_until <= _MAX_EXPIRY:
        raise ZkError(f"valid_until {valid_until!r}: unix seconds in [0, 2^64)")
    return _address(holder, "holder") | (valid_until << 160)


def public_inputs(holder: str, issuer: Point, rule: TrancheRule, valid_until: int) -> list[int]:
    """The public inputs in circuit order: binding (holder, valid_until), Ax, Ay, rule words."""
    w0, w1 = pack_rule(rule)
    return [binding(holder, valid_until), issuer[0], issuer[1], w0, w1]


def credential_input(credential: Credential, rule: TrancheRule, valid_until: int) -> dict[str, Any]:
    """The circuit's input signals (decimal strings).

    Raises
    ------
    ZkError
        When the credential does not satisfy the rule, or ``valid_until`` is after its
        expiry (an expired credential), or the signature does not verify.
    """
    if not credential.is_valid():
        raise ZkError("credential: the signature does not verify under the issuer key")
    if not 0 < valid_until <= credential.expiry:
        raise ZkError(
            f"credential: valid_until {valid_until} is after its expiry {credential.expiry} "
            "(expired credential, or pick an earlier valid_until)"
        )
    why = rule.admits(credential)
    if why is not None:
        raise ZkError(f"credential does not satisfy the tranche rule: {why}")
    public = public_inputs(credential.holder, credential.issuer, rule, valid_until)
    names = ("binding", "kycAx", "kycAy")
    signals: dict[str, Any] = {n: str(v) for n, v in zip(names, public[:3], strict=True)}
    signals |= {
        "rule": [str(public[3]), str(public[4])],
        "jurisdiction": str(credential.jurisdiction),
        "classes": str(credential.classes),
        "expiry": str(credential.expiry),
        "R8x": str(credential.signature.r8[0]),
        "R8y": str(credential.signature.r8[1]),
        "S": str(credential.signature.s),
    }
    return signals


@dataclass(frozen=True)
class CredentialProof:
    """A proof ready for ``CredentialRegistry.prove_eligibility``."""

    holder: str
    valid_until: int
    issuer: Point
    words: list[int]
    public: list[int]
    proof: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The proof file's body."""
        return {
            "type": "trancheflow-credential-proof-v1",
            "holder": self.holder,
            "valid_until": self.valid_until,
            "issuer": [str(self.issuer[0]), str(self.issuer[1])],
            "words": [str(w) for w in self.words],
            "public": [str(p) for p in self.public],
            "proof": self.proof,
        }

    @classmethod
    def from_json(cls, body: object, source: str = "credential proof") -> CredentialProof:
        """Read a proof file's body.

        Raises
        ------
        ZkError
            When a field is missing or malformed.
        """
        if not isinstance(body, dict) or body.get("type") != "trancheflow-credential-proof-v1":
            raise ZkError(f"{source}: not a trancheflow credential proof (field 'type')")
        try:
            words = [int(w) for w in body["words"]]
            public = [int(p) for p in body["public"]]
            issuer = check_point(body["issuer"], f"{source}: field 'issuer'")
            holder, until = body["holder"], int(body["valid_until"])
        except ZkError:
            raise
        except KeyError as exc:
            raise ZkError(f"{source}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError):
            raise ZkError(f"{source}: 'words', 'public', 'valid_until' must be integers") from None
        if len(words) != 8 or len(public) != 5:
            raise ZkError(f"{source}: expected 8 proof words and 5 public inputs")
        _address(holder, f"{source}: field 'holder'")
        return cls(holder, until, issuer, words, public, dict(body.get("proof") or {}))


def credential_worker() -> SnarkjsWorker:
    """A snarkjs worker loaded with the credential circuit's artifacts."""
    return SnarkjsWorker(
        credential_artifact("wasm"),
        credential_artifact("zkey"),
        credential_artifact("verification_key.json"),
    )


def prove_credential(
    credential: Credential,
    rule: TrancheRule,
    valid_until: int,
    worker: SnarkjsWorker | None = None,
) -> CredentialProof:
    """Prove with snarkjs that ``credential`` satisfies ``rule`` until ``valid_until``.

    Parameters
    ----------
    worker : SnarkjsWorker, optional
        A worker loaded with the credential artifacts (one is started and closed if omitted).

    Raises
    ------
    ZkError
        As :func:`credential_input`; or when snarkjs fails.
    """
    signals = credential_input(credential, rule, valid_until)
    own = worker is None
    w = worker or credential_worker()
    try:
        proof, public = w.prove(signals)
    finally:
        if own:
            w.close()
    return CredentialProof(
        credential.holder, valid_until, credential.issuer, proof_words(proof), public, proof
    )
