"""Request and response models of the HTTP API (they make its OpenAPI schema).

Amounts are ``Units``: decimal strings of integers in the settlement token's
smallest unit (``decimals`` on the deal), exactly as on-chain; JSON numbers
would lose precision above 2**53. Rates and factors are plain decimals.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Units = Annotated[
    str,
    Field(
        pattern=r"^[0-9]+$",
        description="integer amount in the settlement token's smallest unit, as a string",
        examples=["70000000000000"],
    ),
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorBody(_Out):
    """What went wrong and what to do."""

    type: str = Field(description="error class, e.g. not_found, invalid_request")
    message: str


class ErrorOut(_Out):
    """Every error response."""

    error: ErrorBody


class AlertOut(_Out):
    kind: str
    severity: str
    message: str
    block_number: int | None
    created_at: str


class TriggerOut(_Out):
    index: int
    name: str
    metric: str
    direction: str
    threshold: float
    breached: bool
    breached_in_period: int | None
    switches_principal_to: str | None


class DealSummary(_Out):
    """A deal as listed by ``GET /api/deals``."""

    name: str
    address: str
    chain_id: int
    currency: str
    decimals: int
    period: int = Field(description="last finalized period (0 before the first)")
    pool_balance: Units
    pool_factor: float
    closed: bool


class DealOut(DealSummary):
    """One deal in detail."""

    spec_hash: str
    original_pool_balance: Units
    cumulative_loss: Units
    cumulative_loss_pct: float
    reserve: Units
    residual_owed: Units
    principal_rule: str
    issuer: str | None
    servicer: str | None
    guardian: str | None
    residual_holder: str | None
    quorum: int | None
    signers: list[str]
    pending_report_period: int | None
    last_indexed_block: int | None
    triggers: list[TriggerOut]
    alerts: list[AlertOut]


class TrancheOut(_Out):
    tranche_id: int
    name: str
    token: str
    original: Units
    balance: Units
    factor: float
    coupon: float
    accrual: bool
    index: Units = Field(description="token holder index at 1e27 (TrancheToken.index)")
    carry: Units
    distributed: Units = Field(description="cumulative interest + principal credited")
    claimed: Units
    holders: int


class TrancheLine(_Out):
    tranche_id: int
    name: str
    interest_paid: Units
    principal_paid: Units
    writedown: Units
    balance: Units
    factor: float


class ReportNumbers(_Out):
    interest: Units
    scheduled_principal: Units
    prepayments: Units
    recoveries: Units
    losses: Units
    dq30_balance: Units
    dq60_balance: Units
    dq90_balance: Units
    foreclosure_balance: Units
    reo_balance: Units
    dq30_count: int
    dq60_count: int
    dq90_count: int
    foreclosure_count: int
    reo_count: int


class PeriodOut(_Out):
    period: int
    block_number: int
    tx_hash: str
    pool_balance: Units
    pool_factor: float
    cumulative_loss: Units
    cumulative_loss_pct: float
    delinquent_60_plus_pct: float | None
    reserve: Units
    residual: Units
    principal_rule: str
    breached: list[int]
    fees_paid: list[Units]
    tranches: list[TrancheLine]
    report: ReportNumbers | None
    insurance_premium: Units = Field("0", description="step 3b: premium paid to the fund")
    insurance_cover: Units = Field("0", description="step 5: cover paid in by the fund")
    auction_proceeds: Units = Field("0", description="auction proceeds applied as recoveries")


class ParameterChangeOut(_Out):
    period: int = Field(description="periods finalized when it was mined (in force after)")
    block_number: int
    tx_hash: str
    name: str
    args: dict[str, Any]
    governance: bool = Field(description="false for logs emitted while deploying")


class HolderRow(_Out):
    address: str
    balances: dict[str, Units] = Field(description="token units by tranche name")


class HoldersOut(_Out):
    deal: str
    total: int
    holders: list[HolderRow]


class HolderTranche(_Out):
    tranche_id: int
    name: str
    tokens: Units
    current_face: Units = Field(description="floor(tokens * balance / original)")
    claimable: Units = Field(description="TrancheToken.claimable(holder), from indexed logs")
    claimed: Units


class HolderOut(_Out):
    deal: str
    address: str
    tranches: list[HolderTranche]
    total_claimable: Units
    note: str


class AuditOut(_Out):
    deal: str
    ok: bool
    through_period: int
    summary: str
    details: dict[str, object]
    created_at: str


class ProjectionIn(BaseModel):
    """One collateral scenario; omitted fields take the spec's assumptions."""

    model_config = ConfigDict(extra="forbid")

    prepay: str | None = Field(None, examples=["PSA 150"])
    default: str | None = Field(None, examples=["SDA 200"])
    severity: float | None = Field(None, ge=0, le=1)
    recovery_lag: int | None = Field(None, ge=0, le=120)
    n_periods: int | None = Field(None, ge=1, le=600)


class ProjectionOut(_Out):
    deal: str
    prepay: str
    default: str
    severity: float
    recovery_lag: int
    columns: list[str]
    rows: list[list[float]]


class YieldTableIn(BaseModel):
    """Scenarios of a yield table: every prepay speed x every default speed."""

    model_config = ConfigDict(extra="forbid")

    prepays: list[str] = Field(min_length=1, max_length=12, examples=[["PSA 100", "PSA 300"]])
    defaults: list[str] = Field(["SDA 0"], min_length=1, max_length=6)
    price: float | str | dict[str, float | str] = Field(
        100.0,
        description="price per 100 of face: 101.5, '101-16', '101-16+', or a map by tranche "
        "(tranches left out are at par; an unknown tranche is an error)",
    )
    price_type: str = Field("clean", description="clean or full (settlement at accrual start)")
    payment_delay_days: int | None = Field(
        None, ge=0, le=90, description="actual payment delay, days (default: the deal's spec)"
    )
    severity: float | None = Field(None, ge=0, le=1)
    recovery_lag: int | None = Field(None, ge=0, le=120)


class YieldTableOut(_Out):
    deal: str
    columns: list[str]
    rows: list[dict[str, object]]
