"""The zk panel in a real browser (Debian's Chromium via Playwright): the deal page
shows "N of M loans proven eligible", both roots and the audit's state in colour,
equal to ``GET /api/deals/{deal}/zk``; an unknown deal is a 404 there."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from trancheflow.api import create_app
from trancheflow.ops.db import connect, upgrade
from trancheflow.ops.indexer import Indexer
from trancheflow.ops.metrics import record_metrics

pytestmark = pytest.mark.integration

#: What the demo's ZK step stores (trancheflow.ops.demo_zk), for a 300-loan tape.
STATUS = {
    "proven": 57,
    "loans": 300,
    "poseidon_root": "0x" + "1a" * 32,
    "tape_root": "0x" + "2b" * 32,
    "registry": "0x" + "3c" * 20,
    "audit": {
        "state": "passed",
        "k": 59,
        "confidence": 0.95,
        "ineligible_share": 0.05,
        "miss_probability": 0.95**59,
        "drawn": list(range(59)),
        "distinct": 57,
        "proven_drawn": 57,
        "missing": [],
        "deadline": 1_800_000_000,
        "seed_block": 42,
        "seed": "0x" + "4d" * 32,
        "seed_source": "synthesized block hash (embedded titanoboa chain)",
    },
}


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def served(tmp_path, new_sim, play, serve):  # type: ignore[no-untyped-def]
    sim = new_sim()
    play(sim, 3)
    url = f"sqlite:///{tmp_path / 'index.db'}"
    engine = connect(url)
    upgrade(engine)
    sim.register(engine)
    Indexer(engine, sim.chain).run_once()
    with serve(create_app(url)) as server:
        yield server, sim, url


def test_zk_panel_shows_n_of_m_roots_and_the_audit(served, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server, sim, url = served
    api = f"{server.url}/api/deals/{sim.address}/zk"
    assert _get(api)["committed"] is False  # nothing committed yet: no section
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    try:
        page.goto(f"{server.url}/deals/{sim.address}", wait_until="networkidle")
        assert page.locator("section#zk").count() == 0
        for state, colour in (("failed", "rgb(207, 34, 46)"), ("passed", "rgb(26, 127, 55)")):
            audit = {**STATUS["audit"], "state": state}
            if state == "failed":
                audit = {**audit, "proven_drawn": 55, "missing": [7, 99]}
            record_metrics(url, sim.address, "zk", [(0, "status", {**STATUS, "audit": audit})])
            z = _get(api)
            assert z["summary"] == "57 of 300 loans proven eligible"
            assert z["audit"]["state"] == state
            page.goto(f"{server.url}/deals/{sim.address}", wait_until="networkidle")
            section = page.locator("section#zk")
            assert page.locator("#zk-proven").inner_text() == "57 of 300"
            assert page.locator("#zk-poseidon").inner_text() == z["poseidon_root"]
            assert page.locator("#zk-tape").inner_text() == z["tape_root"]
            badge = page.locator("#zk-audit")
            assert badge.inner_text() == state
            assert badge.evaluate("e => getComputedStyle(e).color") == colour
            drawn = f"{z['audit']['proven_drawn']} of {z['audit']['distinct']}"
            assert page.locator("#zk-drawn").inner_text() == drawn
            if state == "failed":
                assert "Missing positions: 7, 99" in section.inner_text()
        section.scroll_into_view_if_needed()
        shot = tmp_path / "zk_panel.png"
        section.screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
    finally:
        page.close()
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(f"{server.url}/api/deals/NO-SUCH-DEAL/zk")
    assert err.value.code == 404
