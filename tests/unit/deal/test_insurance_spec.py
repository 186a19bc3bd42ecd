"""The ``insurance`` spec key: validation with key paths, on-chain exactness,
integer parameters, and a spec hash that does not move for specs without it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from trancheflow.deal.onchain import canonical_json, onchain_params, spec_hash
from trancheflow.deal.params import WaterfallParams
from trancheflow.deal.spec import DealSpec, load_spec, parse_spec
from trancheflow.errors import SpecError

from .test_spec import BASE

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "deals"


def with_insurance(ins):
    d = copy.deepcopy(BASE)
    d["insurance"] = ins
    return d


def test_insurance_scales_to_integers():
    spec = DealSpec.model_validate(
        with_insurance({"premium_rate": 0.0005, "cap_per_period": 2_000_000})
    )
    p = WaterfallParams.from_spec(spec)
    assert (p.insurance_premium_rate, p.insurance_cap) == (500_000, 2_000_000 * 10**6)
    op = onchain_params(spec, 10**12)
    assert (op.insurance_premium_rate, op.insurance_cap) == (500_000, 2_000_000 * 10**6)
    assert op.to_waterfall_params().insurance_cap == 2_000_000 * 10**6


def test_no_insurance_means_zero_params():
    p = WaterfallParams.from_spec(DealSpec.model_validate(BASE))
    assert (p.insurance_premium_rate, p.insurance_cap) == (0, 0)


@pytest.mark.parametrize(
    "ins, path, rule",
    [
        ({"premium_rate": -0.1}, "insurance.premium_rate", "greater than or equal to 0"),
        ({"premium_rate": 1.5}, "insurance.premium_rate", "less than 1"),
        ({"cap_per_period": -1}, "insurance.cap_per_period", "greater than or equal to 0"),
        ({"premium": 0.01}, "insurance.premium", "unknown key"),
    ],
)
def test_bad_insurance_is_named_by_key_path(ins, path, rule):
    with pytest.raises(SpecError) as e:
        DealSpec.model_validate(with_insurance(ins))
    assert any(p == path and rule in m for p, m in e.value.problems), e.value.problems


@pytest.mark.parametrize(
    "ins, path",
    [
        ({"premium_rate": 0.0000000001}, "insurance.premium_rate"),
        ({"premium_rate": 0.0005, "cap_per_period": 0.0000001}, "insurance.cap_per_period"),
    ],
)
def test_onchain_insurance_must_be_exact(ins, path):
    parse_spec(with_insurance(ins))  # fine off-chain
    with pytest.raises(SpecError) as e:
        parse_spec(with_insurance(ins), onchain=True)
    assert [p for p, _ in e.value.problems] == [path]


def test_canonical_json_has_insurance_only_when_present():
    plain = DealSpec.model_validate(BASE)
    insured = DealSpec.model_validate(with_insurance({"premium_rate": 0.0005}))
    assert b"insurance" not in canonical_json(plain)
    assert b'"insurance":{"cap_per_period":0,"premium_rate":0.0005}' in canonical_json(insured)
    assert spec_hash(plain) != spec_hash(insured)
    # removing the key from the canonical document of the insured spec gives the plain one
    assert canonical_json(plain) == canonical_json(plain.model_copy(update={"insurance": None}))


def test_insured_example_is_onchain_deployable():
    spec = load_spec(EXAMPLES / "insured.yaml", onchain=True)
    assert spec.insurance is not None and spec.insurance.cap_per_period == 2_000_000
