"""Property values: M-of-N EIP-712 attestation, ordering, staleness and replay."""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.liquidation import property_typed_data, sign_property_value
from trancheflow.errors import ChainError

from ..conftest import UNIT
from .conftest import VALUER_KEYS, LiqEnv


def test_digest_matches_eip712(env: LiqEnv) -> None:
    from eth_account.messages import encode_typed_data
    from eth_hash.auto import keccak

    lid, t = env.ids["L1"], 123
    m = encode_typed_data(
        full_message=property_typed_data(lid, 5, t, env.w.chain_id, str(env.liq.address))
    )
    assert bytes(env.liq.value_digest(lid, 5, t)) == keccak(b"\x19" + m.version + m.header + m.body)


def test_quorum_records_value(env: LiqEnv) -> None:
    env.value("L1", keys=VALUER_KEYS[1:])
    ev = [e for e in env.liq.get_logs() if type(e).__name__ == "PropertyValued"]
    assert ev and ev[-1].value == 250_000 * UNIT
    assert env.liq.collateral_value(env.ids["L1"]) == 250_000 * UNIT


def test_below_quorum(env: LiqEnv) -> None:
    with boa.reverts("liquidation: quorum not met"):
        env.value("L1", keys=VALUER_KEYS[:1])


def test_outsider(env: LiqEnv) -> None:
    with boa.reverts("liquidation: signature from a non-signer"):
        env.value("L1", keys=[VALUER_KEYS[0], 0xDEAD])


def test_unsorted_or_repeated(env: LiqEnv) -> None:
    t = boa.env.evm.patch.timestamp - 1
    sigs = sign_property_value(
        env.ids["L1"], 1, t, VALUER_KEYS[:2], env.w.chain_id, str(env.liq.address)
    )
    with boa.reverts("liquidation: signers not strictly ascending"):
        env.liq.report_value(env.ids["L1"], 1, t, sigs[::-1])
    with boa.reverts("liquidation: signers not strictly ascending"):
        env.liq.report_value(env.ids["L1"], 1, t, [sigs[0], sigs[0]])
    with pytest.raises(ChainError, match="twice"):
        sign_property_value(env.ids["L1"], 1, t, [1, 1], 1, str(env.liq.address))


def test_replay_and_staleness(env: LiqEnv) -> None:
    t = boa.env.evm.patch.timestamp - 1
    env.value("L1", as_of=t)
    with boa.reverts("liquidation: stale property value"):
        env.value("L1", as_of=t)  # the same attestation again
    with boa.reverts("liquidation: property value from the future"):
        env.value("L1", as_of=boa.env.evm.patch.timestamp + 1)


def test_signature_bound_to_value(env: LiqEnv) -> None:
    t = boa.env.evm.patch.timestamp - 1
    sigs = sign_property_value(
        env.ids["L1"], 1, t, VALUER_KEYS[:2], env.w.chain_id, str(env.liq.address)
    )
    with boa.reverts():
        env.liq.report_value(env.ids["L1"], 2, t, sigs)


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        ("set_signer", (boa.env.generate_address(), True)),
        ("set_quorum", (1,)),
        ("set_ltv_threshold", (1,)),
    ],
)
def test_owner_only(env: LiqEnv, fn: str, args: tuple) -> None:
    with boa.env.prank(env.keeper), boa.reverts("ownable: caller is not the owner"):
        getattr(env.liq, fn)(*args)
