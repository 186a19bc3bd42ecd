"""EIP-2612 permit on tranche tokens (snekmate), signed with eth-account."""

from __future__ import annotations

import boa
from eth_account import Account
from eth_account.messages import encode_typed_data

from .conftest import UNIT, World

HOLDER_KEY = 0xB0B0_0001


def _permit(tok, owner, spender, value, nonce, deadline, chain_id):  # type: ignore[no-untyped-def]
    msg = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": tok.name(),
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": str(tok.address),
        },
        "message": {
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    return Account.from_key(HOLDER_KEY.to_bytes(32, "big")).sign_message(
        encode_typed_data(full_message=msg)
    )


def _vrs(s):  # type: ignore[no-untyped-def]
    return s.v, s.r.to_bytes(32, "big"), s.s.to_bytes(32, "big")


def test_permit_sets_allowance_and_transfer_from_works(world: World) -> None:
    tok = world.tokens[0]
    holder = Account.from_key(HOLDER_KEY.to_bytes(32, "big")).address
    spender = world.roles["alice"]
    world.transfer(tok, world.issuer, holder, 10 * UNIT)
    deadline = boa.env.timestamp + 600
    s = _permit(tok, holder, spender, 5 * UNIT, 0, deadline, world.chain_id)
    tok.permit(holder, spender, 5 * UNIT, deadline, *_vrs(s))
    assert tok.allowance(holder, spender) == 5 * UNIT and tok.nonces(holder) == 1
    with boa.env.prank(spender):
        tok.transferFrom(holder, world.roles["bob"], 5 * UNIT)
    assert tok.balanceOf(world.roles["bob"]) == 5 * UNIT
    # replaying the same permit fails (nonce consumed)
    with boa.reverts("erc20: invalid signature"):
        tok.permit(
            holder,
            spender,
            5 * UNIT,
            deadline,
            s.v,
            s.r.to_bytes(32, "big"),
            s.s.to_bytes(32, "big"),
        )


def test_expired_permit_is_rejected(world: World) -> None:
    tok = world.tokens[0]
    holder = Account.from_key(HOLDER_KEY.to_bytes(32, "big")).address
    deadline = boa.env.timestamp - 1
    s = _permit(tok, holder, world.roles["alice"], 1, 0, deadline, world.chain_id)
    with boa.reverts("erc20: expired deadline"):
        tok.permit(
            holder,
            world.roles["alice"],
            1,
            deadline,
            s.v,
            s.r.to_bytes(32, "big"),
            s.s.to_bytes(32, "big"),
        )
