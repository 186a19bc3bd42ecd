# pragma version 0.4.3
"""
@title token_msg
@notice Wire formats of the tranche-token route (hub TrancheGateway <->
        spoke SpokeTranche), abi-encoded as the Hyperlane message body.
"""

# @dev Fixed-point scale of the hub TrancheToken's holder index.
INDEX_SCALE: constant(uint256) = 10**27
# @dev abi_encode of ToSpoke: 8 static words.
TO_SPOKE_BYTES: constant(uint256) = 256
# @dev abi_encode of ToHub: 5 static words.
TO_HUB_BYTES: constant(uint256) = 160


struct ToSpoke:
    # per-spoke sequence number (1, 2, ...): the spoke applies them in order
    seq: uint256
    # the hub TrancheToken's index when the message left (cumulative cash per token unit)
    index: uint256
    # settlement-token units bridged over the warp route with this message
    cash: uint256
    # spoke holder receiving minted tokens (zero: no mint)
    to: address
    amount: uint256
    # hub account the tokens came from (a refused mint returns to it)
    hub_sender: address
    # spoke holder credited with a crossing distribution (see TrancheGateway.handle)
    credit_to: address
    credit: uint256


struct ToHub:
    # hub account receiving the released tokens
    to: address
    amount: uint256
    # the last hub sequence number the spoke had applied when the tokens left
    ack: uint256
    # per-spoke return nonce (replay guard on the hub)
    nonce: uint256
    # spoke account the tokens were burned from (a refused release re-mints to it)
    spoke_holder: address
