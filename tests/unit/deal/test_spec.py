"""Deal spec validation: every rule, with its key path; on-chain subset; hashing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from trancheflow.deal.onchain import (
    canonical_json,
    onchain_params,
    spec_hash,
    validate_onchain,
)
from trancheflow.deal.params import NO_RULE, WaterfallParams
from trancheflow.deal.spec import DealSpec, load_spec
from trancheflow.errors import SpecError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "deals"

BASE = {
    "deal": "T-1",
    "currency": {"symbol": "USDC", "decimals": 6},
    "collateral": {
        "rep_lines": [
            {"balance": 1_000_000, "gross_rate": 0.07, "net_rate": 0.065, "term": 360, "wam": 360}
        ]
    },
    "fees": [{"name": "trustee", "rate": 0.0002}],
    "tranches": [
        {"name": "A", "balance": 700_000, "coupon": 0.05},
        {"name": "B", "balance": 200_000, "coupon": 0.06},
        {"name": "R", "residual": True},
    ],
    "reserve": {"target": 0.01, "floor": 5000},
    "triggers": [
        {
            "name": "cl",
            "metric": "cumulative_loss_pct",
            "above": 0.03,
            "then": {"principal": "sequential"},
        }
    ],
}


def spec_with(**changes):
    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        if value is DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return d


DELETE = object()


def errors_of(data):
    with pytest.raises(SpecError) as info:
        DealSpec.model_validate(data)
    return info.value


def test_base_spec_is_valid_and_examples_load():
    spec = DealSpec.model_validate(BASE)
    assert [t.name for t in spec.debt_tranches] == ["A", "B"]
    for f in ("fjf01", "fjf02", "example"):
        assert load_spec(EXAMPLES / f"{f}.yaml", onchain=True).deal


@pytest.mark.parametrize(
    "changes, path, words",
    [
        ({"colour": "red"}, "colour", "unknown key"),
        ({"tranches__0__colour": "red"}, "tranches[0].colour", "unknown key"),
        ({"tranches__1__name": "A"}, "tranches[1].name", "duplicate tranche name"),
        (
            {"fees": [{"name": "x", "rate": 0.1}, {"name": "x", "rate": 0.1}]},
            "fees[1].name",
            "duplicate",
        ),
        ({"tranches__1__balance": 400_000}, "tranches", "above the collateral balance"),
        ({"tranches__0__coupon": 1.5}, "tranches[0].coupon", "less than 1"),
        ({"tranches__0__coupon": -0.01}, "tranches[0].coupon", "greater than or equal to 0"),
        ({"tranches__0__coupon": "abc"}, "tranches[0].coupon", "valid number"),
        ({"tranches__0__coupon": DELETE}, "tranches[0]", "needs a coupon"),
        ({"tranches__0__balance": DELETE}, "tranches[0]", "needs a balance"),
        ({"tranches__2__coupon": 0.05}, "tranches[2]", "residual tranche takes no coupon"),
        ({"tranches__2__residual": False}, "tranches[2]", "needs a balance"),
        ({"fees__0__rate": 2.0}, "fees[0].rate", "less than 1"),
        ({"reserve__target": -0.1}, "reserve.target", "greater than or equal to 0"),
        ({"triggers__0__metric": "vibes"}, "triggers[0].metric", "cumulative_loss_pct"),
        (
            {"triggers__0__then": {"principal": "lottery"}},
            "triggers[0].then.principal",
            "sequential",
        ),
        ({"triggers__0__below": 0.1}, "triggers[0]", "exactly one of 'above' or 'below'"),
        ({"waterfall": {"principal": "random"}}, "waterfall.principal", "sequential"),
        ({"collateral": {}}, "collateral", "exactly one of 'tape' or 'rep_lines'"),
        ({"collateral__rep_lines__0__net_rate": 0.08}, "collateral.rep_lines[0]", "net_rate"),
        ({"currency__decimals": 40}, "currency.decimals", "less than or equal to 18"),
    ],
)
def test_each_rule_names_its_key_path(changes, path, words):
    err = errors_of(spec_with(**changes))
    assert err.path == path, str(err)
    assert words in str(err)


def test_residual_rules():
    no_res = spec_with(tranches=BASE["tranches"][:2])
    assert "none given" in str(errors_of(no_res))
    first = spec_with(tranches=[BASE["tranches"][2], *BASE["tranches"][:2]])
    assert errors_of(first).path == "tranches[0].residual"
    two = spec_with(tranches=[*BASE["tranches"], {"name": "R2", "residual": True}])
    err = errors_of(two)
    assert "only one residual" in str(err) and "listed last" in str(err)


def test_all_problems_are_listed():
    err = errors_of(spec_with(colour="red", tranches__0__coupon=2.0, fees__0__rate=3.0))
    assert {p for p, _ in err.problems} == {"colour", "tranches[0].coupon", "fees[0].rate"}
    assert str(err).startswith("3 problems")


def test_shifting_interest_spec_rules():
    si = {"rule": "shifting_interest", "senior": ["B"], "lockout": 60}
    err = errors_of(spec_with(waterfall={"principal": si}))
    assert err.path == "waterfall.principal.senior" and "most senior" in str(err)
    si = {"rule": "shifting_interest", "senior": ["Q"]}
    assert errors_of(spec_with(waterfall={"principal": si})).path == "waterfall.principal.senior[0]"
    si = {"rule": "shifting_interest", "senior": ["A"], "step_down": [[70, 0.5], [61, 0.7]]}
    assert errors_of(spec_with(waterfall={"principal": si})).path == "waterfall.principal.step_down"
    ok = DealSpec.model_validate(
        spec_with(waterfall={"principal": {"rule": "shifting_interest", "senior": ["A"]}})
    )
    assert ok.rule == "shifting_interest"


def test_load_spec_names_the_file_and_resolves_the_tape(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("deal: X\ncollateral: {tape: t.parquet}\ntranches: [{name: R, residual: true}]\n")
    with pytest.raises(SpecError) as info:
        load_spec(f)
    assert str(f) in str(info.value) and info.value.file == str(f)
    f.write_text(
        "deal: X\ncollateral: {tape: t.parquet}\n"
        "tranches: [{name: A, balance: 1, coupon: 0.01}, {name: R, residual: true}]\n"
    )
    assert load_spec(f).collateral.tape == str(tmp_path / "t.parquet")
    with pytest.raises(SpecError, match="not valid YAML"):
        f.write_text("deal: [")
        load_spec(f)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


# ----------------------------------------------------------------- on-chain
@pytest.mark.parametrize(
    "changes, path, words",
    [
        (
            {"tranches__0__coupon": {"index": "SOFR", "margin": 0.01, "cap": 0.08}},
            "tranches[0].coupon",
            "floating coupons",
        ),
        ({"tranches__0__wac_cap": True}, "tranches[0].wac_cap", "net-WAC cap"),
        (
            {"waterfall": {"principal": {"rule": "shifting_interest", "senior": ["A"]}}},
            "waterfall.principal",
            "shifting interest",
        ),
        ({"tranches__0__coupon": 0.0500000001}, "tranches[0].coupon", "not exact at 1e-9"),
        ({"fees__0__rate": 1e-10}, "fees[0].rate", "not exact at 1e-9"),
        ({"tranches__0__balance": 700_000.0000001}, "tranches[0].balance", "whole number of units"),
        ({"fees__0__amount": 100.0}, "fees[0].amount", "fixed-amount fees"),
        ({"reserve__floor": 0.0000001}, "reserve.floor", "whole number of units"),
    ],
)
def test_onchain_rejections_name_feature_and_path(changes, path, words):
    spec = DealSpec.model_validate(spec_with(**changes))
    with pytest.raises(SpecError) as info:
        validate_onchain(spec)
    assert info.value.path == path and words in str(info.value)


def test_load_spec_onchain_flag(tmp_path):
    import yaml

    d = spec_with(tranches__0__wac_cap=True)
    f = tmp_path / "d.yaml"
    f.write_text(yaml.safe_dump(d))
    assert load_spec(f).tranches[0].wac_cap
    with pytest.raises(SpecError, match="net-WAC cap"):
        load_spec(f, onchain=True)


def test_onchain_params_are_the_scaled_integers():
    spec = DealSpec.model_validate(BASE)
    p = onchain_params(spec, 1_000_000 * 10**6)
    assert p.tranche_balances == (700_000 * 10**6, 200_000 * 10**6)
    assert p.coupons == (50_000_000, 60_000_000)
    assert p.fee_rates == (200_000,)
    assert p.reserve_target == 10_000_000 and p.reserve_floor == 5000 * 10**6
    assert p.triggers == ((0, 0, 30_000_000, 0),)
    assert p.accrual == (False, False) and p.principal_rule == 0 and p.oc_target == 0
    assert all(isinstance(v, int) for v in p.tranche_balances + p.coupons + p.fee_rates)
    labels = {"names": ("A", "B"), "fee_names": ("trustee",), "trigger_names": ("cl",)}
    assert p.to_waterfall_params(**labels) == WaterfallParams.from_spec(spec)
    no_then = spec_with(triggers=[{"name": "d", "metric": "oc_ratio", "below": 1.05}])
    q = onchain_params(DealSpec.model_validate(no_then), 10**12)
    assert q.triggers == ((2, 1, 1_050_000_000, NO_RULE),)
    with pytest.raises(SpecError, match="above the pool balance"):
        onchain_params(spec, 10)


def test_canonical_json_ignores_spelling_and_tracks_content():
    a = DealSpec.model_validate(BASE)
    spelled = spec_with(
        tranches__0__balance=700000.0, waterfall={"principal": "sequential"}, currency={}
    )
    b = DealSpec.model_validate(spelled)
    assert canonical_json(a) == canonical_json(b)
    assert spec_hash(a) == spec_hash(b) and len(spec_hash(a)) == 32
    c = DealSpec.model_validate(spec_with(tranches__0__coupon=0.0501))
    assert spec_hash(c) != spec_hash(a)
    text = canonical_json(DealSpec.model_validate(spec_with(fees__0__rate=0.00001)))
    assert b'"rate":0.00001' in text and b", " not in text and b": " not in text
    # keccak-256 of the canonical bytes (checked against pycryptodome's keccak)
    from Crypto.Hash import keccak

    assert spec_hash(a) == keccak.new(digest_bits=256, data=canonical_json(a)).digest()
