"""Fixtures that start real components: a throwaway PostgreSQL cluster, the
API served by uvicorn, and Debian's Chromium driven by Playwright.

Skip rule: when a component is missing (no ``initdb``/``pg_ctl`` under
``/usr/lib/postgresql/<v>/bin`` or on PATH, no ``/usr/bin/chromium``), the
tests that need it are SKIPPED with the reason, unless ``CI`` is set, where
a missing component is a FAILURE. ``TRANCHEFLOW_TEST_PG_URL`` uses an existing
server instead of starting one (each test gets its own fresh database in it).

Apt packages needed: ``postgresql`` (server binaries in
``/usr/lib/postgresql/<v>/bin``) and ``chromium``. Nothing is downloaded at
test time (never ``playwright install``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trancheflow.deal import DealSpec
from trancheflow.ops.events import MemoryChain
from trancheflow.ops.simulated import SimulatedDeal

from ..support import credit_spec, play_deal_life

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SPEC = credit_spec("IT-DEAL-1")


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing(what: str) -> None:
    """Skip (locally) or fail (under CI) for a missing component."""
    if under_ci():
        pytest.fail(f"{what} (CI is set: integration components must be installed)")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------- the deal
@pytest.fixture(scope="session")
def spec() -> DealSpec:
    return DealSpec.model_validate(SPEC)


@pytest.fixture(scope="session")
def play() -> Callable[..., None]:
    """``play(sim, periods, start=0)``: mine a deal life on ``sim``'s chain."""
    return play_deal_life


@pytest.fixture
def new_sim(spec: DealSpec) -> Callable[..., SimulatedDeal]:
    def make(chain: MemoryChain | None = None, label: str = "deal") -> SimulatedDeal:
        return SimulatedDeal(spec, chain or MemoryChain(31337), label=label)

    return make


# --------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path | None:
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for d in reversed(cands):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` OS user."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-c", " ".join(cmd)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL (no database) of a PostgreSQL server: TRANCHEFLOW_TEST_PG_URL,
    or a throwaway cluster on a free loopback port, removed afterwards."""
    given = os.environ.get("TRANCHEFLOW_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _pg_bin()
    if bindir is None:
        missing("PostgreSQL server binaries not found (apt-get install postgresql)")
    # Not under pytest's basetemp: other pytest sessions reset its parent to
    # mode 0700, which would lock the postgres user out mid-run.
    root = Path(tempfile.mkdtemp(prefix="trancheflow-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        for p in (root, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    port = free_port()
    run = lambda cmd: subprocess.run(  # noqa: E731
        _as_postgres(cmd), check=True, capture_output=True, text=True, timeout=120
    )
    try:
        run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        pytest.fail(f"could not start PostgreSQL: {exc.stderr}\n{log}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh empty database on the PostgreSQL server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(pg_server).set(drivername="postgresql")
    name = "tf_" + uuid.uuid4().hex[:12]
    admin = base.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------ API + browser
class Server:
    """uvicorn serving an app in a background thread on 127.0.0.1."""

    def __init__(self, app: object) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def serve() -> Callable[[object], Server]:
    """``with serve(app) as server: ... server.url``."""
    return Server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright (no downloaded browser)."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
