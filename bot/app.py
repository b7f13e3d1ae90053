"""The FastAPI application: create_app(settings) wires the database, channels and health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.clock import Clock, SystemClock
from bot.dispatch import Dispatcher
from bot.logs import RequestIdMiddleware
from bot.settings import Settings
from handlers.context import HandlerConfig
from storage.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, data_key=settings.data_key.get_secret_value())
        app.state.engine = engine
        app.state.dispatcher = Dispatcher(
            sessions=make_sessionmaker(engine),
            clock=clock or SystemClock(),
            config=HandlerConfig(tz=settings.tz, hotline=settings.hotline),
        )
        log.info("carebot started (simulator=%s)", settings.simulator)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="CareBot", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # any database failure makes the service unhealthy
            log.warning("health check: database unavailable: %s", type(exc).__name__)
            checks["database"] = "unavailable"
        healthy = all(value == "ok" for value in checks.values())
        status = "ok" if healthy else "unhealthy"
        return JSONResponse({"status": status, **checks}, status_code=200 if healthy else 503)

    if settings.simulator:
        from bot.channels import simulator

        app.include_router(simulator.router)
    return app
