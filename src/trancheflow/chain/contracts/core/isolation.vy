# pragma version ==0.4.3
"""
@title Integration isolation (module)
@custom:contract-name isolation
@license Apache-2.0
@notice Every call the deal makes into an attached contract (first-loss
        fund, liquidation) goes through here, so that no attached contract
        and no settlement-token behaviour can stop a period from finalizing
        (TECH_SPEC.md, invariant I17):

        - the whole step (token transfer + fund/liquidation call + receipt
          check) runs in a self-call, `isolated_step`, made with
          `raw_call(..., revert_on_failure=False)` and a bounded gas
          stipend, so a revert, an out-of-gas or a wrong receipt anywhere
          in it undoes the whole step and nothing else;
        - the answer must be exactly one 32-byte word (garbage is a failure);
        - re-entry is refused: the deal's lock is held during the step and
          `isolated_step` accepts only the deal itself as caller;
        - a failure is logged (`IntegrationFailed`) and the caller applies
          the documented fallback (docs/waterfall.md, "Integration faults").
@custom:security The caller must leave the stipend: `_try` reverts when
                 less than 64/63 of it is left, so a finalizer cannot
                 starve the step on purpose (insufficient-gas griefing).
"""

from ethereum.ercs import IERC20

from ..interfaces import IFundHook
from ..interfaces import IProceedsSource

# @dev Steps: push a premium, pull a cover, take auction proceeds.
OP_PREMIUM: constant(uint8) = 1
OP_COVER: constant(uint8) = 2
OP_PROCEEDS: constant(uint8) = 3
# @dev Gas given to one step; a fund or liquidation needs ~60-90k.
STIPEND: public(constant(uint256)) = 300_000


event IntegrationFailed:
    step: indexed(uint8)
    target: indexed(address)
    amount: uint256


@external
def isolated_step(step: uint8, token: address, target: address, amount: uint256) -> uint256:
    """
    @notice One integration step, reverting as a whole on any fault. Only
            the deal itself may call it (through `_try`).
    @param step OP_PREMIUM, OP_COVER or OP_PROCEEDS.
    @param token The settlement token.
    @param target The fund or liquidation contract.
    @param amount Premium to push, or loss gap to cover (0 for proceeds).
    @return uint256 Units moved (premium pushed, cover or proceeds received).
    """
    assert msg.sender == self, "deal: caller is not the deal"
    if step == OP_PREMIUM:
        assert extcall IERC20(token).transfer(target, amount, default_return_value=True), "deal: transfer failed"
        extcall IFundHook(target).pay_premium(amount)
        return amount
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    got: uint256 = 0
    if step == OP_COVER:
        got = extcall IFundHook(target).cover(amount)
        assert got <= amount, "deal: cover above request"
    else:
        got = extcall IProceedsSource(target).take_recoveries()
    assert staticcall IERC20(token).balanceOf(self) - before == got, "deal: amount received differs"
    return got


@internal
def _try(step: uint8, token: address, target: address, amount: uint256) -> (bool, uint256):
    """
    @notice Runs `isolated_step` without letting it revert the caller.
    @param step The step.
    @param token The settlement token.
    @param target The fund or liquidation.
    @param amount As in `isolated_step`.
    @return bool Whether the step succeeded.
    @return uint256 Units moved (0 on failure).
    """
    assert msg.gas >= STIPEND * 64 // 63 + 10_000, "deal: gas below the integration stipend"
    ok: bool = False
    resp: Bytes[32] = b""
    ok, resp = raw_call(
        self,
        abi_encode(step, token, target, amount, method_id=method_id("isolated_step(uint8,address,address,uint256)")),
        max_outsize=32,
        gas=STIPEND,
        revert_on_failure=False,
    )
    if not ok or len(resp) != 32:
        log IntegrationFailed(step=step, target=target, amount=amount)
        return False, 0
    return True, extract32(resp, 0, output_type=uint256)
