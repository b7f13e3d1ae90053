"""Prometheus metrics at /metrics, for loopback clients or `Authorization: Bearer
<CAREBOT_METRICS_TOKEN>`; one registry per app (create_app), nothing global at import.

Counted as they happen, in this web process (a replica set is summed by Prometheus):
`carebot_callbacks_total{channel,outcome}` (handled, duplicate, rate_limited, failed from the
dispatcher; forged, malformed, too_large, refused, error from the callback routes' status),
`carebot_handling_seconds{channel}` and `carebot_send_errors_total{platform,code}` (every
recipient a send did not reach, by the platform's error code; the clock process's sweeps are
not scraped). Read from the database at each scrape, so every replica reports the same:
`carebot_outbox_messages{status}` (one GROUP BY), `carebot_open_alerts`, and the due figures
as the last digest run stored them: the school-wide due evaluation takes seconds and runs in
the clock process, never at a scrape. `carebot_due_items` is what the latest day's digests
carried (ReminderLog "digest" rows' items, summed over the people reminded: a student's team
of three counts it three times); `carebot_overdue_items` is the latest weekly school summary's
count of items overdue past the escalation ladder (ReminderLog "school_summary"; absent
without a school admin). Both are 0 until the first run.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import is_loopback
from handlers.reminders.digest import DIGEST
from handlers.reminders.summary import SCHOOL_SUMMARY
from storage import gauges
from storage.db import session_scope

log = logging.getLogger(__name__)

REFUSALS = {400: "malformed", 403: "forged", 413: "too_large", 422: "malformed"}
_CODE = re.compile(r"\s*(-?\d{1,9}|[A-Za-z][A-Za-z0-9_]{0,39})\s*(?::|$)")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def error_code(error: str | None) -> str:
    """A delivery error's platform code ("81013: …" → "81013", "invalidStaffIdList"), or
    "other": label values stay few whatever the error text says."""
    found = _CODE.match(error or "")
    return found.group(1) if found else "other"


def refusal_of(status: int) -> str:
    if status >= 500:
        return "error"
    return REFUSALS.get(status, "refused")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        on = self.registry
        self.callbacks = Counter(
            "carebot_callbacks", "Inbound callbacks by outcome", ["channel", "outcome"], registry=on
        )
        self.handling = Histogram(
            "carebot_handling_seconds", "Dispatch time", ["channel"], buckets=BUCKETS, registry=on
        )
        self.send_errors = Counter(
            "carebot_send_errors",
            "Recipients a send did not reach",
            ["platform", "code"],
            registry=on,
        )
        self.outbox = Gauge("carebot_outbox_messages", "Outbox rows", ["status"], registry=on)
        self.open_alerts = Gauge("carebot_open_alerts", "Open safety alerts", registry=on)
        self.due = Gauge("carebot_due_items", "Items in the latest daily digests", registry=on)
        self.overdue = Gauge("carebot_overdue_items", "Escalated overdue items", registry=on)

    def dispatched(self, channel: str, outcome: str, seconds: float) -> None:
        """The dispatcher's observer (bot.inbound.dispatch.Dispatcher.observe)."""
        self.callbacks.labels(channel, outcome).inc()
        self.handling.labels(channel).observe(seconds)

    def refused(self, channel: str, status: int) -> None:
        self.callbacks.labels(channel, refusal_of(status)).inc()

    def send_failed(self, platform: str, error: str | None) -> None:
        """The outbox sender's observer, once per recipient not reached."""
        self.send_errors.labels(platform, error_code(error)).inc()

    async def read_stored(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """The figures kept in the database; on a database failure the outbox series are
        left out and the others keep their last values (the log says why)."""
        self.outbox.clear()
        try:
            async with session_scope(sessions) as session:
                statuses = await gauges.outbox_by_status(session)
                alerts = await gauges.open_alerts(session)
                due = await gauges.latest_reminder_items(session, kind=DIGEST, largest=False)
                over = await gauges.latest_reminder_items(
                    session, kind=SCHOOL_SUMMARY, largest=True
                )
        except Exception as exc:
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            return
        for status, count in statuses.items():
            self.outbox.labels(status).set(count)
        self.open_alerts.set(alerts)
        self.due.set(due or 0)
        self.overdue.set(over or 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class CallbackRefusals:
    """ASGI middleware: a refused callback (status ≥ 400) counted for its channel; `paths`
    maps each channel's callback path to its name (data given by the app, no branching)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, paths: Mapping[str, str]) -> None:
        self.app, self.metrics, self.paths = app, metrics, dict(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        channel = self.paths.get(scope.get("path", "")) if scope["type"] == "http" else None
        if channel is None:
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.metrics.refused(channel, int(message["status"]))
            await send(message)

        await self.app(scope, receive, counted)


async def scrape(request: Request) -> Response:
    """GET /metrics: loopback, or the bearer token; else 403."""
    if not may_scrape(request):
        return Response(status_code=403)
    metrics: Metrics = request.app.state.metrics
    await metrics.read_stored(request.app.state.dispatcher.sessions)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def may_scrape(request: Request) -> bool:
    """As /healthz's details: a token sent is checked, else only loopback clients."""
    token = request.app.state.settings.metrics_token
    header = request.headers.get("authorization", "")
    sent = header[len("Bearer ") :] if header.lower().startswith("bearer ") else None
    if token is not None and sent is not None:
        return hmac.compare_digest(sent.encode(), token.get_secret_value().encode())
    return is_loopback(request.client.host if request.client else "")
