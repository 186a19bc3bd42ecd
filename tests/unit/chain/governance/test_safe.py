"""The Safe executes a transaction only with >= threshold valid owner signatures.

Reference: Safe v1.4.1 ``checkNSignatures`` (signatures sorted by owner,
``GS0xx`` error codes listed in ``docs/error_codes.md`` of safe-contracts).
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.chain.governance import Governance
from trancheflow.chain.safe import SafeTx, deploy_safe, safe_tx_digest, sign_safe_tx
from trancheflow.errors import ChainError

from .conftest import OWNER_KEYS, STRANGER_KEY


@pytest.fixture
def probe(gov: Governance) -> Any:
    """A contract the Safe owns directly, to observe its calls."""
    from .conftest import MOCK

    c = boa.load_partial(MOCK).deploy()
    c.transfer_ownership(gov.safe.address)
    gov.safe.call(c.address, c.accept_ownership.prepare_calldata(), OWNER_KEYS[:2])
    return c


def _tx(gov: Governance, probe: Any, value: int, nonce: int | None = None) -> SafeTx:
    return gov.safe.build(probe.address, probe.set_value.prepare_calldata(value), nonce=nonce)


def test_setup(gov: Governance, owners: list[str]) -> None:
    c = gov.safe.contract
    assert c.getThreshold() == 2
    assert sorted(map(str, c.getOwners())) == sorted(owners)
    assert c.VERSION() == "1.4.1"


def test_digest_matches_contract(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 7)
    on_chain = gov.safe.contract.getTransactionHash(
        tx.to, tx.value, tx.data, tx.operation, 0, 0, 0, tx.gas_token, tx.refund_receiver, tx.nonce
    )
    assert bytes(on_chain) == gov.safe.digest(tx)


@pytest.mark.parametrize("signers", [[0, 1], [1, 2], [0, 2], [0, 1, 2]])
def test_threshold_met_executes(gov: Governance, probe: Any, signers: list[int]) -> None:
    nonce = gov.safe.contract.nonce()
    assert gov.safe.execute(_tx(gov, probe, 42), [OWNER_KEYS[i] for i in signers])
    assert probe.value() == 42
    assert gov.safe.contract.nonce() == nonce + 1


def test_too_few_signatures(gov: Governance, probe: Any) -> None:
    with boa.reverts("GS020"):
        gov.safe.execute(_tx(gov, probe, 1), OWNER_KEYS[:1])
    assert probe.value() == 0


def test_wrong_signer(gov: Governance, probe: Any) -> None:
    with boa.reverts("GS026"):
        gov.safe.execute(_tx(gov, probe, 1), [OWNER_KEYS[0], STRANGER_KEY])
    assert probe.value() == 0


def test_same_owner_twice(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 1)
    one = sign_safe_tx(gov.safe.digest(tx), OWNER_KEYS[:1])
    with boa.reverts("GS026"):
        gov.safe.execute(tx, [], signatures=one + one)
    with pytest.raises(ChainError, match="twice"):
        sign_safe_tx(gov.safe.digest(tx), [OWNER_KEYS[0], OWNER_KEYS[0]])


def test_unsorted_signatures(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 1)
    sig = sign_safe_tx(gov.safe.digest(tx), OWNER_KEYS[:2])
    with boa.reverts("GS026"):
        gov.safe.execute(tx, [], signatures=sig[65:] + sig[:65])


def test_reused_nonce(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 5)
    sig = sign_safe_tx(gov.safe.digest(tx), OWNER_KEYS[:2])
    gov.safe.execute(tx, [], signatures=sig)
    probe_tx = _tx(gov, probe, 6, nonce=tx.nonce)  # a new call at the spent nonce
    with boa.reverts("GS026"):
        gov.safe.execute(tx, [], signatures=sig)  # replay: digest now has nonce+1
    with boa.reverts("GS026"):
        gov.safe.execute(
            probe_tx, [], signatures=sign_safe_tx(gov.safe.digest(probe_tx), OWNER_KEYS[:2])
        )
    assert probe.value() == 5


def test_signatures_bind_the_payload(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 5)
    sig = sign_safe_tx(gov.safe.digest(tx), OWNER_KEYS[:2])
    with boa.reverts("GS026"):
        gov.safe.execute(_tx(gov, probe, 6), [], signatures=sig)


def test_signatures_bind_the_chain(gov: Governance, probe: Any) -> None:
    tx = _tx(gov, probe, 5)
    other = safe_tx_digest(tx, gov.safe.chain_id + 1, gov.safe.address)
    with boa.reverts("GS026"):
        gov.safe.execute(tx, [], signatures=sign_safe_tx(other, OWNER_KEYS[:2]))


def test_inner_revert_reverts_the_safe_tx(gov: Governance, probe: Any) -> None:
    # The timelock rejects a schedule below its minimum delay; the Safe surfaces it (GS013).
    nonce = gov.safe.contract.nonce()
    data = gov.timelock.schedule.prepare_calldata(probe.address, 0, b"", b"\0" * 32, b"\0" * 32, 0)
    with boa.reverts("GS013"):
        gov.safe.call(gov.address, data, OWNER_KEYS[:2])
    assert gov.safe.contract.nonce() == nonce


def test_deploy_safe_validates() -> None:
    a, b = (str(boa.env.generate_address()) for _ in range(2))
    with pytest.raises(ChainError, match="threshold 3"):
        deploy_safe([a, b], 3)
    with pytest.raises(ChainError, match="repeat"):
        deploy_safe([a, a], 1)
