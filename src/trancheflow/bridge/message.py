"""Hyperlane wire formats, reproduced from the published contracts' rules.

* message (``Message.sol``): ``version u8 | nonce u32 | origin u32 |
  sender bytes32 | destination u32 | recipient bytes32 | body``; its id is
  ``keccak256(message)``;
* the merkle-tree hook (``MerkleLib.sol``) is a depth-32 incremental keccak
  tree whose empty leaves are zero;
* a checkpoint digest (``CheckpointLib.sol``) is
  ``eth_signed(keccak(domainHash | root | index u32 | messageId))`` with
  ``domainHash = keccak(origin u32 | merkleTreeHook bytes32 | "HYPERLANE")``;
* message-id multisig metadata (``MessageIdMultisigIsmMetadata.sol``) is
  ``merkleTreeHook bytes32 | root | index u32 | signatures (65 bytes each)``,
  signatures in validator-set order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from trancheflow.errors import BridgeError

__all__ = [
    "MESSAGE_VERSION",
    "MerkleTree",
    "Message",
    "address_to_bytes32",
    "bytes32_to_address",
    "checkpoint_digest",
    "decode_metadata",
    "encode_metadata",
    "recover_signer",
    "sign_checkpoint",
]

#: ``Mailbox.VERSION`` of @hyperlane-xyz/core 12.x.
MESSAGE_VERSION = 3
TREE_DEPTH = 32
_HEADER = 1 + 4 + 4 + 32 + 4 + 32
_U32 = 2**32


def address_to_bytes32(address: str) -> bytes:
    """Left-pad a 20-byte address to 32 bytes (``TypeCasts.addressToBytes32``).

    Examples
    --------
    >>> address_to_bytes32("0x" + "11" * 20).hex()[:24]
    '000000000000000000000000'
    """
    raw = bytes.fromhex(to_checksum_address(address)[2:])
    return b"\x00" * 12 + raw


def bytes32_to_address(word: bytes) -> str:
    """The address in the low 20 bytes of ``word``; the high 12 must be zero."""
    if len(word) != 32 or any(word[:12]):
        raise BridgeError(f"bytes32 {word.hex()} is not a left-padded address")
    return to_checksum_address(word[12:])


def _u32(name: str, value: int) -> bytes:
    if not 0 <= value < _U32:
        raise BridgeError(f"{name}={value} is outside uint32")
    return value.to_bytes(4, "big")


@dataclass(frozen=True)
class Message:
    """One Hyperlane message.

    Examples
    --------
    >>> m = Message(3, 0, 1, b"\\x01" * 32, 2, b"\\x02" * 32, b"hi")
    >>> Message.decode(m.encode()) == m, len(m.encode())
    (True, 79)
    """

    version: int
    nonce: int
    origin: int
    sender: bytes
    destination: int
    recipient: bytes
    body: bytes

    def encode(self) -> bytes:
        """The packed message bytes."""
        if not 0 <= self.version < 256:
            raise BridgeError(f"message version {self.version} is outside uint8")
        if len(self.sender) != 32 or len(self.recipient) != 32:
            raise BridgeError("message sender and recipient must be 32 bytes")
        return (
            bytes([self.version])
            + _u32("nonce", self.nonce)
            + _u32("origin", self.origin)
            + self.sender
            + _u32("destination", self.destination)
            + self.recipient
            + self.body
        )

    @property
    def id(self) -> bytes:
        """``keccak256`` of the packed message."""
        return bytes(keccak(self.encode()))

    @classmethod
    def decode(cls, raw: bytes) -> Message:
        """Parse packed message bytes (at least the 77-byte header)."""
        if len(raw) < _HEADER:
            raise BridgeError(
                f"message of {len(raw)} bytes is shorter than the {_HEADER}-byte header"
            )
        return cls(
            version=raw[0],
            nonce=int.from_bytes(raw[1:5], "big"),
            origin=int.from_bytes(raw[5:9], "big"),
            sender=bytes(raw[9:41]),
            destination=int.from_bytes(raw[41:45], "big"),
            recipient=bytes(raw[45:77]),
            body=bytes(raw[77:]),
        )


def _zero_hashes() -> list[bytes]:
    zs = [b"\x00" * 32]
    for _ in range(TREE_DEPTH - 1):
        zs.append(bytes(keccak(zs[-1] + zs[-1])))
    return zs


_ZEROS = _zero_hashes()


class MerkleTree:
    """The incremental depth-32 keccak tree of Hyperlane's ``MerkleLib``.

    Examples
    --------
    >>> t = MerkleTree()
    >>> t.root() == bytes(keccak(_ZEROS[-1] + _ZEROS[-1]))
    True
    >>> t.insert(b"\\x01" * 32); t.count
    0
    1
    """

    def __init__(self) -> None:
        self.branch: list[bytes] = list(_ZEROS)
        self.count = 0

    def insert(self, leaf: bytes) -> int:
        """Append ``leaf``; return its index."""
        if len(leaf) != 32:
            raise BridgeError(f"merkle leaf must be 32 bytes, got {len(leaf)}")
        if self.count >= _U32 - 1:
            raise BridgeError("merkle tree is full")
        index = self.count
        self.count += 1
        node, size = leaf, self.count
        for i in range(TREE_DEPTH):
            if size & 1:
                self.branch[i] = node
                return index
            node = bytes(keccak(self.branch[i] + node))
            size //= 2
        raise BridgeError("merkle tree is full")  # pragma: no cover - unreachable below 2**32

    def root(self) -> bytes:
        """The current root (``MerkleLib.root``)."""
        node = b"\x00" * 32
        for i in range(TREE_DEPTH):
            if (self.count >> i) & 1:
                node = bytes(keccak(self.branch[i] + node))
            else:
                node = bytes(keccak(node + _ZEROS[i]))
        return node


def checkpoint_digest(
    origin: int, merkle_tree_hook: str, root: bytes, index: int, message_id: bytes
) -> bytes:
    """The 32-byte hash a validator signs (before the EIP-191 prefix)."""
    if len(root) != 32 or len(message_id) != 32:
        raise BridgeError("checkpoint root and message id must be 32 bytes")
    domain = keccak(_u32("origin", origin) + address_to_bytes32(merkle_tree_hook) + b"HYPERLANE")
    return bytes(keccak(bytes(domain) + root + _u32("index", index) + message_id))


def sign_checkpoint(key: bytes, digest: bytes) -> bytes:
    """``r | s | v`` (v = 27/28) over ``toEthSignedMessageHash(digest)``."""
    signed = Account.sign_message(encode_defunct(primitive=digest), private_key=key)
    return bytes(signed.signature)


def recover_signer(digest: bytes, signature: bytes) -> str:
    """The address that produced ``signature`` over ``digest`` (EIP-191)."""
    if len(signature) != 65:
        raise BridgeError(f"signature must be 65 bytes, got {len(signature)}")
    return to_checksum_address(
        Account.recover_message(encode_defunct(primitive=digest), signature=signature)
    )


def encode_metadata(
    merkle_tree_hook: str, root: bytes, index: int, signatures: Sequence[bytes]
) -> bytes:
    """Message-id multisig ISM metadata."""
    if any(len(s) != 65 for s in signatures):
        raise BridgeError("every signature must be 65 bytes")
    return address_to_bytes32(merkle_tree_hook) + root + _u32("index", index) + b"".join(signatures)


def decode_metadata(raw: bytes) -> tuple[str, bytes, int, list[bytes]]:
    """Inverse of :func:`encode_metadata`."""
    if len(raw) < 68 or (len(raw) - 68) % 65:
        raise BridgeError(f"metadata of {len(raw)} bytes is not 68 + 65*k")
    sigs = [raw[68 + 65 * k : 133 + 65 * k] for k in range((len(raw) - 68) // 65)]
    return bytes32_to_address(raw[:32]), raw[32:64], int.from_bytes(raw[64:68], "big"), sigs
