"""Secrets in URLs never reach an API response or a log line (issue 10).

One function, :func:`trancheflow.ops.secrets.mask_secrets`, masks basic-auth
passwords, secret query keys and key-like path segments; the API runs every
text/JSON response (and its error bodies) through it and the log-record
factory every log message. Provider URL shapes follow the providers' public
docs (Infura ``/v3/<project id>``, Alchemy ``/v2/<api key>``, QuickNode
``/<token>/``, Etherscan-style ``?apikey=``); the secrets are made up.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.ops.db import mask_url
from trancheflow.ops.secrets import MASK, mask_secrets

INFURA = "0123456789abcdef0123456789abcdef"
ALCHEMY = "Xk2b9_QwErTy7uIoP-aSdFgH3jKlZxCv"
QUICKNODE = "5f3c1e2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


@pytest.mark.parametrize(
    ("url", "secrets", "kept"),
    [
        ("https://alice:s3cr3t-pw@rpc.example.com:8545/", ["s3cr3t-pw"], ["alice", ":8545/"]),
        ("wss://:onlypass@ws.example.com/ws", ["onlypass"], ["ws.example.com/ws"]),
        ("https://tok3nAsUser@rpc.example.com", ["tok3nAsUser"], ["rpc.example.com"]),
        ("postgresql://ix:pg-pw@db:5432/index", ["pg-pw"], ["ix:", "db:5432/index"]),
        (f"https://mainnet.infura.io/v3/{INFURA}", [INFURA], ["mainnet.infura.io/v3/"]),
        (f"https://eth-mainnet.g.alchemy.com/v2/{ALCHEMY}", [ALCHEMY], ["/v2/"]),
        (f"https://x.quiknode.pro/{QUICKNODE}/", [QUICKNODE], ["x.quiknode.pro/"]),
        (
            "https://api.example.io/api?module=proxy&apikey=ABC123&x=1",
            ["ABC123"],
            ["module=proxy", "x=1"],
        ),
        ("https://rpc.example.com/?API_KEY=zz9&token=tt8", ["zz9", "tt8"], ["rpc.example.com"]),
        (
            "https://u:p4ss@h.example/v3/" + INFURA + "?key=k7",
            ["p4ss", INFURA, "k7"],
            ["h.example"],
        ),
    ],
)
def test_every_place_a_url_keeps_a_secret_is_masked(url, secrets, kept) -> None:  # type: ignore[no-untyped-def]
    out = mask_secrets(f"connecting to {url} now")
    for secret in secrets:
        assert secret not in out, (url, out)
    for part in kept:
        assert part in out, (url, out)
    assert MASK in out and out.startswith("connecting to ") and out.endswith(" now")


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8545",
        "sqlite:///trancheflow-index.db",
        "sqlite://",
        "https://example.com/api/deals/0x" + "ab" * 20 + "/holders?limit=50",
        "https://cdn.example.net/npm/chart.js@4.4.0/dist/chart.umd.min.js",
        "period 12 finalized in tx 0x" + "cd" * 32,
        "no url here at all",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert mask_secrets(text) == text


_KEYLIKE = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=20)


@given(
    letters=_KEYLIKE,
    digits=st.integers(10**7, 10**12),
    where=st.sampled_from(["password", "query", "path"]),
)
def test_a_random_secret_never_survives(letters: str, digits: int, where: str) -> None:
    secret = f"{letters}{digits}"
    url = {
        "password": f"https://user:{secret}@node.example.org:443/rpc",
        "query": f"https://node.example.org/rpc?chain=1&apikey={secret}",
        "path": f"https://node.example.org/v2/{secret}",
    }[where]
    assert secret not in mask_secrets(f"rpc={url};") and secret not in mask_url(url)


def test_log_lines_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    url = f"https://bob:hunter2@rpc.example.com/v3/{INFURA}"
    with caplog.at_level(logging.INFO):
        logging.getLogger("trancheflow.ops.indexer").warning("node %s is down", url)
        logging.getLogger("some.other.library").info("retrying " + url)
    text = caplog.text
    assert "hunter2" not in text and INFURA not in text
    assert text.count("rpc.example.com/v3/***") == 2


def test_api_responses_are_masked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trancheflow.api.app import create_app

    rpc = f"https://carol:pa55w0rd@eth.example.io/v3/{INFURA}?apikey=QKEY123"
    db = f"sqlite:///{tmp_path / 'index.db'}"
    app = create_app(db, rpc_url=rpc)

    @app.get("/test/echo")
    def echo() -> dict[str, str]:  # a route that leaks by mistake
        return {"node": rpc}

    @app.get("/test/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError(f"cannot reach {rpc}")

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/status", "/test/echo", "/test/boom", "/"):
        r = client.get(path)
        for secret in ("pa55w0rd", INFURA, "QKEY123"):
            assert secret not in r.text, (path, r.text[:300])
    status = client.get("/api/status").json()
    assert status["rpc_url"] == "https://carol:***@eth.example.io/v3/***?apikey=***"
    assert client.get("/test/boom").status_code == 500


def test_an_unreachable_node_is_named_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    from trancheflow.chain.backends.rpc_backend import RpcBackend
    from trancheflow.errors import ChainError

    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", "0x" + "11" * 32)
    url = f"http://ops:n0de-pa55@127.0.0.1:9/v3/{INFURA}?apikey=QKEY123"
    with pytest.raises(ChainError, match="cannot reach") as err:
        RpcBackend(url)
    for secret in ("n0de-pa55", INFURA, "QKEY123"):
        assert secret not in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "sqlite:////tmp/pytest-of-root/test_many_bad_logs_in_one_bat0/index.db",
        "postgresql://ix@db:5432/trancheflow_index_2026",
        "file:///srv/data/remittance_2026_11_loanfile.csv",
    ],
)
def test_file_and_database_paths_are_not_keys(text: str) -> None:
    assert mask_secrets(text).endswith(text.rsplit("/", 1)[1])


def test_served_files_pass_unchanged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Scripts, styles and pages are full of ``key=`` code: the masking must not
    touch them (every static file is served byte for byte)."""
    from pathlib import Path

    import trancheflow.api
    from trancheflow.api.app import create_app

    client = TestClient(create_app(f"sqlite:///{tmp_path / 'i.db'}"))
    static = Path(trancheflow.api.__file__).parent / "static"
    files = [p for p in static.rglob("*") if p.is_file()]
    assert files
    for p in files:
        r = client.get("/static/" + p.relative_to(static).as_posix())
        assert r.status_code == 200 and r.content == p.read_bytes(), p.name
    page = client.get("/")
    assert page.status_code == 200
    assert mask_secrets("x.key=y; token=z", pairs=False) == "x.key=y; token=z"
