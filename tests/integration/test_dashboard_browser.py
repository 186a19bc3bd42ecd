"""The dashboard in a real browser (Debian's Chromium via Playwright) over an
indexed database served by uvicorn: the page loads offline, every chart has
one point per finalized period with the API's values, the numbers on the page
equal the API JSON, and the holder box shows the exact claimable amounts."""

from __future__ import annotations

import json
import urllib.request

import pytest

from trancheflow.api import create_app
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.simulated import sim_address

ALICE = sim_address("alice")  # an investor of the conftest's deal life

pytestmark = pytest.mark.integration


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def served(tmp_path, new_sim, play, serve):  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 36)
    url = f"sqlite:///{tmp_path / 'index.db'}"
    engine = connect(url)
    upgrade(engine)
    sim.register(engine)
    Indexer(engine, sim.chain).run_once()
    with serve(create_app(url)) as server:
        yield server, sim


def test_dashboard_renders_the_indexed_deal(served, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server, sim = served
    api = f"{server.url}/api/deals/{sim.address}"
    deal, periods, tranches = _get(api), _get(api + "/periods"), _get(api + "/tranches")
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        resp = page.goto(f"{server.url}/deals/{sim.address}", wait_until="networkidle")
        assert resp is not None and resp.status == 200
        assert page.locator("h1").inner_text() == "IT-DEAL-1"
        # self-contained: every request went to our own server
        assert requests and all(u.startswith(server.url) for u in requests)

        # charts: one point per finalized period, values from the API
        n = len(periods)
        assert n == 36
        pool = page.locator('svg[data-chart="pool"] circle')
        assert pool.count() == n
        drawn = [float(pool.nth(i).get_attribute("data-y")) for i in range(n)]
        assert drawn == [int(p["pool_balance"]) / 10**6 for p in periods]
        loss = page.locator('svg[data-chart="loss"] circle[data-series="cumulative loss"]')
        assert [float(loss.nth(i).get_attribute("data-y")) for i in range(n)] == [
            p["cumulative_loss_pct"] for p in periods
        ]
        thresholds = page.locator('svg[data-chart="loss"] line.threshold')
        assert sorted(
            float(thresholds.nth(i).get_attribute("data-threshold")) for i in range(2)
        ) == [
            0.01,
            0.05,
        ]
        for t in tranches:
            pts = page.locator(f'svg[data-chart="tranches"] circle[data-series="{t["name"]}"]')
            assert pts.count() == n
            assert float(pts.nth(n - 1).get_attribute("data-y")) == int(t["balance"]) / 10**6
        assert page.locator('svg[data-chart="delinquency"] rect[data-series]').count() > n
        assert page.locator('svg[data-chart="factor"] polyline').count() == 1 + len(tranches)
        for chart in ("pool", "factor", "delinquency", "loss", "tranches"):
            box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100

        # headline numbers and the latest waterfall equal the API
        assert page.locator("#pool-balance").get_attribute("data-units") == deal["pool_balance"]
        assert page.locator("#period").inner_text() == str(deal["period"])
        assert page.locator("#rule").inner_text() == deal["principal_rule"]
        latest = periods[-1]
        for line in latest["tranches"]:
            row = page.locator(f'#waterfall tr[data-tranche="{line["name"]}"]')
            for field in ("interest_paid", "principal_paid", "writedown", "balance"):
                cell = row.locator(f'td[data-field="{field}"]')
                assert cell.get_attribute("data-units") == line[field]
                assert cell.inner_text() == f"{int(line[field]) / 10**6:,.2f}"
        assert (
            page.locator('#waterfall td[data-field="residual"]').get_attribute("data-units")
            == latest["residual"]
        )
        breached = page.locator("#triggers tr.breached")
        assert breached.count() == sum(t["breached"] for t in deal["triggers"]) >= 1

        # holder box: type an address, the table shows the API's exact numbers
        holder = _get(f"{api}/holders/{ALICE}")
        page.fill("#holder-address", ALICE.upper().replace("0X", "0x"))
        page.click("#holder-form button")
        page.wait_for_selector("#holder-table")
        for t in holder["tranches"]:
            row = page.locator(f'#holder-table tr[data-tranche="{t["name"]}"]')
            for field in ("tokens", "current_face", "claimable", "claimed"):
                assert (
                    row.locator(f'td[data-field="{field}"]').get_attribute("data-units") == t[field]
                )
        assert (
            page.locator("#holder-total").get_attribute("data-units") == holder["total_claimable"]
        )
        assert int(holder["total_claimable"]) == sum(sim.claimable(i, ALICE) for i in range(3))

        # an unknown holder gets the API's message, naming the address
        page.fill("#holder-address", "0x" + "42" * 20)
        page.click("#holder-form button")
        page.wait_for_selector("#holder-error")
        assert "0x" + "42" * 20 in page.locator("#holder-error").inner_text()

        page.goto(f"{server.url}/deals/{sim.address}", wait_until="networkidle")
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
    finally:
        page.close()


def test_unknown_deal_page_is_a_404_naming_it(served, browser) -> None:  # type: ignore[no-untyped-def]
    server, _ = served
    page = browser.new_page()
    try:
        resp = page.goto(f"{server.url}/deals/NO-SUCH-DEAL")
        assert resp is not None and resp.status == 404
        assert "NO-SUCH-DEAL" in page.locator("#error").inner_text()
        assert page.locator("table.grid a").inner_text() == "IT-DEAL-1"
    finally:
        page.close()
