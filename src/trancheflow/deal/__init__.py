"""Deals: the spec, the waterfall (exact integer and vectorised float), reports.

One definition of a period lives in ``docs/waterfall.md``; the exact mode
(:class:`ExactWaterfall`, Python ints in token units) follows it to the unit
and is the reference the on-chain contract is tested against; the float mode
(:class:`FloatWaterfall`) runs the same steps over many scenarios at once.

Examples
--------
>>> from trancheflow.deal import DealSpec, run_deal
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-1",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "B", "balance": 200, "coupon": 0.06},
...                  {"name": "R", "residual": True}],
... })
>>> r = run_deal(spec, mode="exact")
>>> [t.ending_balance for t in r.exact[-1].tranches]
[0, 0]
"""

from trancheflow.deal.collections import Collections
from trancheflow.deal.exact import (
    DealState,
    ExactWaterfall,
    FeeFlows,
    PeriodInput,
    PeriodResult,
    TrancheFlows,
)
from trancheflow.deal.onchain import (
    OnchainParams,
    canonical_json,
    onchain_params,
    spec_hash,
    validate_onchain,
)
from trancheflow.deal.params import RATE_SCALE, WaterfallParams
from trancheflow.deal.report import deal_report, to_json, tranche_report, write_csv
from trancheflow.deal.run import DealResult, run_deal
from trancheflow.deal.spec import DealSpec, load_spec, parse_spec
from trancheflow.deal.tables import tranche_analytics, yield_table
from trancheflow.deal.waterfall import FloatResult, FloatWaterfall

__all__ = [
    "RATE_SCALE",
    "Collections",
    "DealResult",
    "DealSpec",
    "DealState",
    "ExactWaterfall",
    "FeeFlows",
    "FloatResult",
    "FloatWaterfall",
    "OnchainParams",
    "PeriodInput",
    "PeriodResult",
    "TrancheFlows",
    "WaterfallParams",
    "canonical_json",
    "deal_report",
    "load_spec",
    "onchain_params",
    "parse_spec",
    "run_deal",
    "spec_hash",
    "to_json",
    "tranche_analytics",
    "tranche_report",
    "validate_onchain",
    "write_csv",
    "yield_table",
]
