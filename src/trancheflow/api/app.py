"""The HTTP API over the indexer database (FastAPI) and the per-deal dashboard.

:func:`create_app` migrates the database (Alembic, at start-up), then serves
JSON under ``/api`` (OpenAPI schema at ``/openapi.json``, docs at ``/docs``)
and one dashboard page per deal at ``/deals/{deal}``. ``{deal}`` is the Deal
contract address or the deal's name. Every error is JSON
``{"error": {"type": ..., "message": ...}}`` with a message that names the
deal, address or field and what to do; unknown deals and holders are 404.

Examples
--------
>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app("sqlite://"))
>>> client.get("/api/deals").json()
[]
>>> r = client.get("/api/deals/NOPE")
>>> r.status_code, r.json()["error"]["type"]
(404, 'not_found')
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from trancheflow.api import queries
from trancheflow.api import schemas as sch
from trancheflow.errors import (
    ChainError,
    DatabaseError,
    NotFoundError,
    SpecError,
    TapeError,
    TrancheflowError,
)
from trancheflow.ops.db import connect, find_deal, mask_url, upgrade
from trancheflow.ops.secrets import MaskSecretsMiddleware, mask_secrets

__all__ = ["create_app"]

_HERE = Path(__file__).parent
#: Largest integer a query parameter accepts (SQLite integers are 64-bit; periods,
#: offsets and counts never come near this).
MAX_QUERY_INT = 2**31 - 1
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": sch.ErrorOut},
    422: {"model": sch.ErrorOut},
    503: {"model": sch.ErrorOut},
}


def _db(request: Request) -> Iterator[Session]:
    """One read session per request, on the app's engine."""
    with Session(request.app.state.engine, expire_on_commit=False) as s:
        yield s


DB = Annotated[Session, Depends(_db)]


def _error(status: int, kind: str, message: str) -> JSONResponse:
    content = {"error": {"type": kind, "message": mask_secrets(message)}}
    return JSONResponse(status_code=status, content=content)


def _status_of(exc: TrancheflowError) -> tuple[int, str]:
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, DatabaseError):
        return 503, "database_unavailable"
    if isinstance(exc, TapeError):
        return 409, "collateral_unavailable"
    if isinstance(exc, ValueError | ChainError | SpecError):
        return 422, "invalid_request"
    return 500, "internal_error"


def _spec_of(deal: Any) -> Any:
    """The deal's DealSpec, with a tape-backed collateral pointed at the stored tape."""
    from trancheflow.deal import DealSpec

    data = queries.deal_spec_data(deal)
    tape = data["collateral"].get("tape")
    if tape is not None:
        path = deal.tape_path
        if not path or not Path(path).is_file():
            raise TapeError(
                f"deal {deal.name}: its collateral is the loan tape {tape!r}, which is not at "
                f"{path or '(no path registered)'}; register the deal with tape_path=... pointing "
                "at the tape file to run analytics"
            )
        data["collateral"]["tape"] = path
    return DealSpec.model_validate(data)


def create_app(db_url: str | Engine, *, rpc_url: str | None = None) -> FastAPI:
    """The FastAPI application over the indexer database ``db_url``.

    Parameters
    ----------
    db_url : str or Engine
        The indexer database; migrated to the latest schema at start-up.
    rpc_url : str, optional
        The JSON-RPC node the indexer follows (shown on ``/api/status``).

    Raises
    ------
    DatabaseError
        The database cannot be reached or migrated (the URL, password masked,
        is in the message).
    """
    engine = connect(db_url)
    upgrade(engine)
    app = FastAPI(
        title="trancheflow",
        version="0.1.0",
        docs_url=None,  # served below from the swagger-ui-bundle package: no CDN
        redoc_url=None,
        description=(
            "Indexed on-chain MBS deals: tranches, periods, holders, claims and analytics. "
            "Amounts are integer strings in the settlement token's smallest unit."
        ),
    )
    app.state.engine = engine
    app.state.rpc_url = rpc_url
    app.add_middleware(MaskSecretsMiddleware)  # no response carries a URL's credentials

    @app.exception_handler(TrancheflowError)
    async def _tf_error(_: Request, exc: TrancheflowError) -> JSONResponse:
        status, kind = _status_of(exc)
        return _error(status, kind, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, kind, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # sqlite/sqlalchemy overflow on an absurd integer, or a bug: same body shape
        if isinstance(exc, OverflowError) or "OverflowError" in repr(getattr(exc, "orig", "")):
            return _error(422, "invalid_request", f"a number is out of range: {exc}")
        return _error(500, "internal_error", f"{type(exc).__name__}: {exc}")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"{where}: {e.get('msg')}")
        return _error(422, "invalid_request", "; ".join(parts))

    @app.get("/api/status", tags=["meta"])
    def status() -> dict[str, Any]:
        """Database and RPC URL (credentials masked) and schema state."""
        rpc = None if rpc_url is None else mask_secrets(rpc_url)
        return {"database": mask_url(engine), "rpc_url": rpc, "ok": True}

    @app.get("/api/deals", response_model=list[sch.DealSummary], tags=["deals"])
    def deals(s: DB) -> list[sch.DealSummary]:
        """Every registered deal."""
        return queries.list_deals(s)

    @app.get("/api/deals/{deal}", response_model=sch.DealOut, responses=_ERRORS, tags=["deals"])
    def deal(deal: str, s: DB) -> sch.DealOut:
        """A deal's state after its last finalized period, roles, triggers, alerts."""
        return queries.deal_detail(s, deal)

    @app.get(
        "/api/deals/{deal}/tranches",
        response_model=list[sch.TrancheOut],
        responses=_ERRORS,
        tags=["deals"],
    )
    def tranches(deal: str, s: DB) -> list[sch.TrancheOut]:
        """Tranches: balances, factors, coupons and the holder index."""
        return queries.tranches(s, deal)

    @app.get(
        "/api/deals/{deal}/periods",
        response_model=list[sch.PeriodOut],
        responses=_ERRORS,
        tags=["deals"],
    )
    def periods(
        deal: str,
        s: DB,
        from_period: Annotated[int, Query(ge=1, le=MAX_QUERY_INT)] = 1,
        limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    ) -> list[sch.PeriodOut]:
        """Finalized periods: pool, losses, delinquency, the waterfall per tranche."""
        return queries.periods(s, deal, from_period=from_period, limit=limit)

    @app.get(
        "/api/deals/{deal}/parameters",
        response_model=list[sch.ParameterChangeOut],
        responses=_ERRORS,
        tags=["deals"],
    )
    def parameters(deal: str, s: DB) -> list[sch.ParameterChangeOut]:
        """Parameter changes: setter, governance and pause logs, with the period after
        which each took effect."""
        return queries.parameter_changes(s, deal)

    @app.get(
        "/api/deals/{deal}/holders",
        response_model=sch.HoldersOut,
        responses=_ERRORS,
        tags=["holders"],
    )
    def holders(
        deal: str,
        s: DB,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_QUERY_INT)] = 0,
    ) -> sch.HoldersOut:
        """Current holders, largest first."""
        return queries.holders(s, deal, limit=limit, offset=offset)

    @app.get(
        "/api/deals/{deal}/holders/{address}",
        response_model=sch.HolderOut,
        responses=_ERRORS,
        tags=["holders"],
    )
    def holder(deal: str, address: str, s: DB) -> sch.HolderOut:
        """One holder: tokens, current face and claimable amount per tranche."""
        return queries.holder_detail(s, deal, address)

    @app.get(
        "/api/deals/{deal}/audit", response_model=sch.AuditOut, responses=_ERRORS, tags=["deals"]
    )
    def audit(deal: str, s: DB) -> sch.AuditOut:
        """The latest stored audit (chain events reconciled with the exact waterfall)."""
        return queries.audit(s, deal)

    @app.post(
        "/api/deals/{deal}/analytics/projection",
        response_model=sch.ProjectionOut,
        responses=_ERRORS,
        tags=["analytics"],
    )
    def projection(deal: str, body: sch.ProjectionIn, s: DB) -> sch.ProjectionOut:
        """Project the deal's collateral under one scenario (defaults: the spec's)."""
        from trancheflow.collateral import Assumptions, project_pool
        from trancheflow.deal.run import collateral_pool

        row = find_deal(s, deal)
        spec = _spec_of(row)
        a = spec.assumptions
        scen = Assumptions(
            body.prepay or a.prepay,
            body.default or a.default,
            severity=a.severity if body.severity is None else body.severity,
            recovery_lag=a.recovery_lag if body.recovery_lag is None else body.recovery_lag,
            advance=a.advance,
        )
        cf = project_pool(collateral_pool(spec), scen, n_periods=body.n_periods)
        return sch.ProjectionOut(
            deal=row.name,
            prepay=body.prepay or a.prepay,
            default=body.default or a.default,
            severity=scen.severity,
            recovery_lag=scen.recovery_lag,
            columns=list(cf.columns),
            rows=cf.to_numpy(dtype=float).tolist(),
        )

    @app.post(
        "/api/deals/{deal}/analytics/yield-table",
        response_model=sch.YieldTableOut,
        responses=_ERRORS,
        tags=["analytics"],
    )
    def yield_table(deal: str, body: sch.YieldTableIn, s: DB) -> sch.YieldTableOut:
        """Yield, WAL and duration per tranche for every (prepay, default) pair."""
        from trancheflow.analytics.price_quote import parse_price_type, parse_prices
        from trancheflow.deal import yield_table as _yield_table

        row = find_deal(s, deal)
        spec = _spec_of(row)
        names = [t.name for t in spec.debt_tranches]
        table = _yield_table(
            spec,
            body.prepays,
            body.defaults,
            price=parse_prices(body.price, names=names, where="price"),
            severity=body.severity,
            recovery_lag=body.recovery_lag,
            delay_days=body.payment_delay_days,
            price_type=parse_price_type(body.price_type, "price_type"),
        )
        records = json.loads(table.to_json(orient="records", double_precision=15))
        return sch.YieldTableOut(deal=row.name, columns=list(table.columns), rows=records)

    from trancheflow.api.dashboard import router
    from trancheflow.api.panels import routers

    app.include_router(router)
    for panel_router in routers():
        app.include_router(panel_router)
    _offline_docs(app)  # before /static: its /static/swagger-ui mount must match first
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    return app


def _offline_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI with its JavaScript and CSS from the ``swagger-ui-bundle``
    package, mounted at ``/static/swagger-ui`` (works with no network)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="trancheflow API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )
