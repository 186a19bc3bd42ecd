"""EdDSA over Baby Jubjub with Poseidon, in circomlib's conventions.

The scheme circomlib's ``EdDSAPoseidonVerifier`` checks (and ``circomlibjs``'s
``eddsa.signPoseidon`` produces), written from its published definition:

* a private key is 32 bytes; ``h = BLAKE-512(key)``; the first 32 bytes are
  pruned (clear the 3 low bits of byte 0, clear bit 7 and set bit 6 of byte
  31) and read little-endian as the scalar ``s``; the public key is
  ``A = (s >> 3) B8``;
* to sign a field element ``M``: ``r = BLAKE-512(h[32:64] || M as 32 bytes
  little-endian) mod l``, ``R8 = r B8``,
  ``k = Poseidon(R8.x, R8.y, A.x, A.y, M)``, ``S = (r + k s) mod l``;
* a signature ``(R8, S)`` is valid when ``S < l``, both points are on the
  curve and ``S B8 = R8 + (8 k) A``.

``l`` is :data:`~trancheflow.zk.babyjubjub.SUBORDER`. The tests compare keys
and signatures with ``circomlibjs`` on the same private keys and messages.

Examples
--------
>>> key = bytes(range(32))
>>> sig = sign(key, 42)
>>> verify(42, sig, public_key(key))
True
>>> verify(43, sig, public_key(key))
False
"""

from __future__ import annotations

from dataclasses import dataclass

from trancheflow.errors import ZkError
from trancheflow.zk.babyjubjub import BASE8, SUBORDER, Point, add, mul, on_curve
from trancheflow.zk.blake512 import blake512
from trancheflow.zk.poseidon import FIELD_MODULUS, poseidon

__all__ = ["Signature", "private_scalar", "public_key", "sign", "verify"]


@dataclass(frozen=True)
class Signature:
    """An EdDSA-Poseidon signature: the point ``R8`` and the scalar ``S``."""

    r8: Point
    s: int


def _check_key(private_key: bytes) -> None:
    if not isinstance(private_key, bytes | bytearray) or len(private_key) != 32:
        raise ZkError("EdDSA private key: expected 32 bytes")


def _expanded(private_key: bytes) -> tuple[int, bytes]:
    _check_key(private_key)
    h = bytearray(blake512(bytes(private_key)))
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    return int.from_bytes(h[:32], "little"), bytes(h[32:])


def private_scalar(private_key: bytes) -> int:
    """The pruned scalar ``s`` of ``private_key`` (a multiple of 8).

    Examples
    --------
    >>> private_scalar(bytes(32)) % 8
    0
    """
    return _expanded(private_key)[0]


def public_key(private_key: bytes) -> Point:
    """The public key ``A = (s >> 3) B8`` of a 32-byte private key."""
    return mul(BASE8, private_scalar(private_key) >> 3)


def _check_message(message: int) -> None:
    if not isinstance(message, int) or not 0 <= message < FIELD_MODULUS:
        raise ZkError(f"EdDSA message {message!r}: must be a field element in [0, p)")


def sign(private_key: bytes, message: int) -> Signature:
    """Sign field element ``message`` (circomlibjs ``signPoseidon``).

    Raises
    ------
    ZkError
        When the key is not 32 bytes or the message is not a field element.
    """
    _check_message(message)
    s, prefix = _expanded(private_key)
    a = mul(BASE8, s >> 3)
    r = int.from_bytes(blake512(prefix + message.to_bytes(32, "little")), "little") % SUBORDER
    r8 = mul(BASE8, r)
    k = poseidon([r8[0], r8[1], a[0], a[1], message])
    return Signature(r8, (r + k * s) % SUBORDER)


def verify(message: int, signature: Signature, key: Point) -> bool:
    """Whether ``signature`` signs ``message`` under public key ``key``.

    Examples
    --------
    >>> verify(1, Signature((0, 1), 0), (0, 1))
    False
    """
    if not 0 <= message < FIELD_MODULUS or not 0 <= signature.s < SUBORDER:
        return False
    if not on_curve(signature.r8) or not on_curve(key) or key == (0, 1):
        return False
    k = poseidon([signature.r8[0], signature.r8[1], key[0], key[1], message])
    left = mul(BASE8, signature.s)
    right = add(signature.r8, mul(key, 8 * k))
    return left == right
