"""The contracts of a deal, what kind each is, and how each of their events is handled.

A deal is more than one address: the deal itself (or, once split, its parts:
report attestation, waterfall, integrations), one token per tranche, and the
contracts attached to it (a first-loss :data:`FUND`, a :data:`LIQUIDATION`
auction, a :data:`COMPLIANCE` hook, a :data:`SUBSCRIPTION` sale). The indexer
follows all of them; the *kind* of the emitting address decides how a log is
projected (``SignerSet`` of the deal and ``SignerSet`` of the liquidation
contract are different things).

:data:`EVENT_HANDLING` names, for every event each kind of contract declares,
what the projector does with it: ``project`` (it changes a projection),
``alert`` (it raises an operator alert and is kept as a raw log) or ``raw``
(kept as a raw log only, on purpose; the reason is given). A test checks it
against the compiled ABIs, so an event added to a contract without a decision
here fails the build instead of being silently ignored.

:func:`contracts_of_record` reads every contract address of a deployment
record (``deployments/<chain_id>.json``) generically: the ``deal``, the
``tokens``, the ``subscription``, a ``contracts: {name: address}`` mapping and
any address-valued field of ``extras``, skipping the settlement token and
blueprints (their logs are not the deal's).

Examples
--------
>>> kind_of("insurance_fund"), kind_of("waterfall"), kind_of("compliance")
('InsuranceFund', 'Deal', 'Compliance')
>>> rec = {"deal": "0x" + "11" * 20, "tokens": [{"address": "0x" + "22" * 20}],
...        "settlement": "0x" + "33" * 20, "blueprint": "0x" + "44" * 20,
...        "contracts": {"oracle": "0x" + "55" * 20},
...        "extras": {"liquidation": "0x" + "66" * 20, "pool_balance": 7}}
>>> sorted(contracts_of_record(rec).items())  # doctest: +NORMALIZE_WHITESPACE
[('liquidation', '0x6666666666666666666666666666666666666666'),
 ('oracle', '0x5555555555555555555555555555555555555555')]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trancheflow.errors import ChainError
from trancheflow.ops.events import ZERO_ADDRESS, normalize_address

__all__ = [
    "ATTACH_EVENTS",
    "COMPLIANCE",
    "DEAL",
    "EVENT_HANDLING",
    "FUND",
    "KINDS",
    "LIQUIDATION",
    "SUBSCRIPTION",
    "TOKEN",
    "contracts_of_record",
    "handling",
    "kind_of",
]

DEAL = "Deal"
TOKEN = "TrancheToken"
FUND = "InsuranceFund"
LIQUIDATION = "Liquidation"
COMPLIANCE = "Compliance"
SUBSCRIPTION = "Subscription"
#: Every kind of contract the projector knows.
KINDS = (DEAL, TOKEN, FUND, LIQUIDATION, COMPLIANCE, SUBSCRIPTION)

_OWNERSHIP = "ownership of the contract (snekmate ownable); kept as a raw log"
_ERC20_APPROVAL = "an ERC-20 allowance; moves no tokens"
_MINTER = "snekmate minter role of the ERC-20 module; granted to the deal at deployment"

#: kind -> event name -> (``project`` | ``alert`` | ``raw``, what is done or why not).
EVENT_HANDLING: dict[str, dict[str, tuple[str, str]]] = {
    DEAL: {
        "Closed": ("project", "deal closed, issuer set"),
        "ReportSubmitted": ("project", "reports row (submitted)"),
        "ReportVetoed": ("project", "report vetoed; alert"),
        "TriggerBreached": ("project", "trigger_breaches row; critical alert"),
        "PeriodFinalized": ("project", "periods, distributions, fee payments, tranche index"),
        "Paid": ("raw", "the deal's side of a holder claim; the token's Claimed is projected"),
        "FeeClaimed": ("project", "fee_claims row"),
        "ResidualClaimed": ("project", "residual_claims row, residual owed"),
        "SignerSet": ("project", "signers row; parameter change"),
        "QuorumSet": ("project", "deal quorum; parameter change"),
        "ServicerSet": ("project", "deal servicer; parameter change"),
        "GuardianSet": ("project", "deal guardian; parameter change"),
        "ResidualHolderSet": ("project", "deal residual holder; parameter change"),
        "Paused": ("project", "deal pause bits; parameter change"),
        "Unpaused": ("project", "deal pause bits; parameter change"),
        "DisputeWindowSet": ("project", "parameter change"),
        "TriggerThresholdSet": ("project", "parameter change (the audit applies it)"),
        "ComplianceSet": ("project", "parameter change; the hook is followed from here on"),
        "InsuranceFundSet": ("project", "parameter change; the fund is followed from here on"),
        "LiquidationSet": ("project", "parameter change; the auction is followed from here on"),
        "OwnershipTransferred": ("project", "parameter change"),
        "OwnershipTransferStarted": ("raw", "a proposed owner; OwnershipTransferred records it"),
        "IntegrationFailed": ("alert", "an integration call failed and its fallback ran"),
        "ReportDisputed": ("alert", "a signer disputed the pending report"),
        "ReportUpheld": ("alert", "the disputed report was upheld"),
        "RefundClaimed": ("raw", "the servicer pulled the cash of a vetoed report"),
    },
    TOKEN: {
        "Transfer": ("project", "transfers row; both holders settled at the index"),
        "Claimed": ("project", "claims row; holder owed and claimed"),
        "Recovered": ("project", "recoveries row; owed moved to the recovery address; alert"),
        "Approval": ("raw", _ERC20_APPROVAL),
        "OwnershipTransferred": ("raw", _OWNERSHIP),
        "RoleMinterChanged": ("raw", _MINTER),
    },
    FUND: {
        "Covered": ("alert", "cover paid; the amount is in PeriodFinalized.insurance_cover"),
        "PremiumPaid": ("raw", "the premium is in PeriodFinalized.insurance_premium"),
        "Deposit": ("raw", "ERC-4626 deposit into the fund; not deal cash"),
        "Withdraw": ("raw", "ERC-4626 withdrawal from the fund; not deal cash"),
        "WithdrawRequested": ("raw", "an underwriter's cooldown request"),
        "WithdrawRequestCancelled": ("raw", "an underwriter's cooldown request cancelled"),
        "RequestGainForfeited": ("raw", "premium a requesting underwriter gave up"),
        "DealSet": ("alert", "the fund was bound to a deal"),
        "CapSet": ("raw", "the fund's cover cap (a fund parameter, not the deal's)"),
        "Skimmed": ("alert", "tokens sent to the fund by mistake were skimmed"),
        "Transfer": ("raw", "fund shares changed hands; not tranche tokens"),
        "Approval": ("raw", _ERC20_APPROVAL),
        "OwnershipTransferred": ("raw", _OWNERSHIP),
        "OwnershipTransferStarted": ("raw", _OWNERSHIP),
        "RoleMinterChanged": ("raw", _MINTER),
    },
    LIQUIDATION: {
        "LoanMarked": ("alert", "a loan was marked for auction"),
        "NoteSold": ("alert", "a note sold; proceeds reach PeriodFinalized.auction_proceeds"),
        "AuctionExpired": ("alert", "an auction expired unsold"),
        "AuctionCancelled": ("alert", "an auction cancelled: the latest root shows a cure"),
        "PropertyValued": ("raw", "an appraisal; the keeper reads it from the contract"),
        "RecoveriesReleased": ("raw", "proceeds handed to the deal (in PeriodFinalized)"),
        "SignerSet": ("raw", "an appraisal signer of the auction (not the deal's oracle)"),
        "QuorumSet": ("raw", "the auction's appraisal quorum (not the deal's)"),
        "LtvThresholdSet": ("raw", "the auction's LTV threshold"),
        "MaxAppraisalAgeSet": ("raw", "the oldest appraisal the auction accepts"),
        "SurplusHeld": ("alert", "auction proceeds above the note's balance, held back"),
        "SurplusRemitted": ("alert", "held surplus paid to its recipient"),
        "SurplusRecipientSet": ("raw", "where held surplus goes"),
        "EligibilitySet": ("alert", "the ZK eligibility registry marking requires (0: none)"),
        "OwnershipTransferred": ("raw", _OWNERSHIP),
        "OwnershipTransferStarted": ("raw", _OWNERSHIP),
    },
    COMPLIANCE: {
        "FrozenSet": ("alert", "an account frozen or unfrozen on a tranche token"),
        "IdentitySet": ("raw", "an investor identity (jurisdiction, classes, expiry)"),
        "IdentityRevoked": ("raw", "an investor identity revoked"),
        "RulesSet": ("raw", "a token's transfer rules"),
        "JurisdictionSet": ("raw", "a token's allowed jurisdiction"),
        "RegistrarSet": ("raw", "an identity registrar"),
        "VenueSet": ("alert", "a trading venue admitted or removed for a tranche token"),
        "CredentialsSet": ("alert", "the ZK credential registry that admits receivers (0: none)"),
        "GuardianSet": ("raw", "the compliance guardian (not the deal's)"),
        "Paused": ("alert", "every restricted transfer paused"),
        "Unpaused": ("alert", "restricted transfers resumed"),
        "HolderCountChanged": ("raw", "the holder count the rules enforce"),
        "OwnershipTransferred": ("raw", _OWNERSHIP),
        "OwnershipTransferStarted": ("raw", _OWNERSHIP),
    },
    SUBSCRIPTION: {
        "Purchased": ("raw", "a sale at closing; the token Transfer moves the balance"),
        "Finished": ("alert", "the subscription window ended"),
    },
}

#: Deal setter logs that attach a contract: event -> (argument, contract name, kind).
ATTACH_EVENTS: dict[str, tuple[str, str, str]] = {
    "ComplianceSet": ("compliance", "compliance", COMPLIANCE),
    "InsuranceFundSet": ("fund", "insurance_fund", FUND),
    "LiquidationSet": ("liquidation", "liquidation", LIQUIDATION),
}

# record fields / extras keys that are addresses but not the deal's contracts
_NOT_FOLLOWED = ("settlement", "blueprint", "owner", "issuer", "servicer", "guardian", "signer")


def kind_of(name: str) -> str:
    """The kind of a deal contract from its name in a deployment record.

    Unrecognised names are parts of the deal itself (``Deal``): a split deal's
    attestation, waterfall or integrations contract emits the deal's events.
    """
    n = name.lower()
    if "fund" in n or "insurance" in n:
        return FUND
    if "liquidation" in n or "auction" in n:
        return LIQUIDATION
    if "compliance" in n:
        return COMPLIANCE
    if "subscription" in n or n == "sale":
        return SUBSCRIPTION
    if "token" in n and "blueprint" not in n:
        return TOKEN
    return DEAL


def handling(kind: str, name: str) -> tuple[str, str] | None:
    """``(action, why)`` of event ``name`` of a ``kind`` contract (None: not declared)."""
    return EVENT_HANDLING.get(kind, {}).get(name)


def _address(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        addr = normalize_address(value)
    except ChainError:
        return None
    return None if addr == ZERO_ADDRESS else addr


def contracts_of_record(record: Mapping[str, Any]) -> dict[str, str]:
    """``{name: address}`` of the contracts of a deployment record beside the deal
    and its tranche tokens (which the indexer keeps in ``deals``/``tranches``).

    Reads a ``contracts`` mapping, ``subscription`` and the address-valued
    entries of ``extras``; settlement token, blueprints and role accounts are
    skipped. A name listed twice keeps its first address; an address listed
    twice keeps its first name.
    """
    core = {_address(record.get("deal"))}
    core |= {_address(t.get("address")) for t in record.get("tokens", ()) if isinstance(t, dict)}
    found: dict[str, str] = {}
    candidates: list[tuple[str, Any]] = []
    for source in (record.get("contracts"), record.get("extras")):
        if isinstance(source, Mapping):
            candidates.extend((str(k), v) for k, v in source.items())
    candidates.append(("subscription", record.get("subscription")))
    for name, value in candidates:
        if any(word in name.lower() for word in _NOT_FOLLOWED):
            continue
        addr = _address(value)
        if addr is None or addr in core or name in found or addr in found.values():
            continue
        found[name] = addr
    return found
