"""The FastAPI application: create_app(settings) wires the database, channels, health and
metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.channels.dingtalk import channel as dingtalk
from bot.channels.dingtalk import schema as dingtalk_schema
from bot.channels.dingtalk.traits import DINGTALK
from bot.channels.simulator import channel as simulator
from bot.channels.simulator.traits import SIMULATOR
from bot.channels.wecom import channel as wecom
from bot.channels.wecom import schema as wecom_schema
from bot.channels.wecom.traits import WECOM
from bot.clock import Clock, SystemClock
from bot.inbound.dispatch import Dispatcher
from bot.logs import RequestIdMiddleware
from bot.metrics import CallbackRefusals, Metrics, scrape
from bot.runtime import open_runtime
from bot.schedule.scheduler import jobs_in_process
from bot.settings import Settings, is_loopback
from bot.work import WorkRunner
from storage.db import is_sqlite, session_scope
from storage.messaging.health import channel_problems

log = logging.getLogger(__name__)

CALLBACK_PATHS = {
    wecom.PATH: WECOM.name,
    "/dingtalk/callback": DINGTALK.name,
    "/sim/api/send": SIMULATOR.name,
}
"""Each channel's callback route, for the refusal counts of /metrics."""


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    run_outbox: bool = True,
    run_clock: bool = False,
) -> FastAPI:
    """The web process. `transport` replaces the network for platform API calls, and
    `run_outbox=False` leaves delivery to explicit `app.state.outbox.run_once()` (tests);
    `run_clock=True` also runs the scheduled jobs here (development: one process does all)."""
    the_clock = clock or SystemClock()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, clock=the_clock, transport=transport) as runtime:
            app.state.runtime, app.state.outbox = runtime, runtime.outbox
            runtime.outbox.on_send_failed = metrics.send_failed
            config = settings.handler_config(tuple(runtime.senders))
            runner = WorkRunner(
                runtime.sessions, the_clock, config, runtime.reader, runtime.outbox.wake
            )
            app.state.work = runner
            app.state.dispatcher = Dispatcher(
                sessions=runtime.sessions,
                clock=the_clock,
                config=config,
                on_queued=runtime.outbox.wake,
                on_requested=runner.wake,
                workers=1 if is_sqlite(settings.database_url) else 4,
                observe=metrics.dispatched,
            )
            channels = ", ".join(sorted(runtime.senders)) or "none"
            log.info("carebot started (channels: %s)", channels)
            dispatcher: Dispatcher = app.state.dispatcher
            app.state.safekeeping = dispatcher.safekeeping
            try:
                async with AsyncExitStack() as stack:
                    if run_outbox:
                        await stack.enter_async_context(runtime.outbox.running())
                    await stack.enter_async_context(runner.running())
                    if run_clock:
                        await stack.enter_async_context(jobs_in_process(runtime))
                    await stack.enter_async_context(
                        dispatcher.safekeeping.sweeping(dispatcher.dispatch)
                    )
                    yield
            finally:
                await _finish_background(app, seconds=settings.shutdown_seconds)

    # The API schema and its pages describe the simulator's endpoints: off unless it is on.
    schema = "/openapi.json" if settings.simulator else None
    app = FastAPI(
        title="CareBot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=schema
    )
    app.state.settings, app.state.metrics = settings, metrics
    app.add_middleware(CallbackRefusals, metrics=metrics, paths=CALLBACK_PATHS)
    app.add_middleware(RequestIdMiddleware)
    app.add_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    app.add_api_route("/healthz", healthz, methods=["GET"], responses=UNHEALTHY)
    documented: dict[str, Any] = {}
    if settings.wecom_enabled:
        wecom.install(app, settings)
        documented |= wecom_schema.PATHS
    if settings.dingtalk_enabled:
        dingtalk.install(app, settings)
        documented |= dingtalk_schema.PATHS
    if settings.simulator:
        app.include_router(simulator.router)
        app.include_router(simulator.assets)
    _describe(app, documented)
    return app


UNHEALTHY: dict[int | str, dict[str, Any]] = {503: {"description": "Database or channel down"}}


def _describe(app: FastAPI, paths: dict[str, Any]) -> None:
    """Add the callbacks' hand-written descriptions (routes that read their raw body) to the
    schema. `app.openapi()` has them in-process (the fuzz tests read it); the schema is served
    only where the simulator is on (`openapi_url`), and the simulator's own routes exist only
    there, so production serves neither."""
    generated = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generated()
        schema["paths"].update(paths)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _finish_background(app: FastAPI, *, seconds: float) -> None:
    """Let dispatches that outlived their HTTP response commit before the runtime closes, for
    at most `seconds`: whatever is still running then was stored before its 200 (see
    bot.inbound.pending) and is handled after the restart."""
    waits = [app.state.safekeeping.drain()]
    callback = getattr(app.state, "wecom", None)
    if callback is not None:
        waits.append(callback.drain())
    try:
        async with asyncio.timeout(seconds):
            await asyncio.gather(*waits)
    except TimeoutError:
        log.warning("shutdown: messages still being handled; stored ones resume after restart")


async def healthz(request: Request) -> JSONResponse:
    """Database reachable and no channel stuck on a configuration error. Anyone may ask
    whether the service is healthy; the details (platform error messages can carry the
    server's outgoing IP) go only to loopback clients or with the health token."""
    checks = await _health_checks(request)
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unhealthy"}
    if _may_see_details(request):
        body.update(checks)
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _health_checks(request: Request) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        factory = request.app.state.dispatcher.sessions
        async with session_scope(factory) as session:
            await (await session.connection()).execute(text("SELECT 1"))
            problems = await channel_problems(session)
        checks["database"] = "ok"
        checks.update({f"channel_{name}": problem for name, problem in problems.items()})
    except Exception as exc:  # any database failure makes the service unhealthy
        log.warning("health check: database unavailable: %s", type(exc).__name__)
        checks["database"] = "unavailable"
    return checks


def _may_see_details(request: Request) -> bool:
    token = request.app.state.settings.health_token
    sent = request.headers.get("x-health-token") or request.query_params.get("token")
    if token is not None and sent is not None:
        return hmac.compare_digest(sent.encode(), token.get_secret_value().encode())
    return is_loopback(request.client.host if request.client else "")
