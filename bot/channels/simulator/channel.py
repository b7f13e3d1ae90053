"""The simulator channel: a local chat page and a JSON API to talk to the bot as anyone.

Without CAREBOT_SIMULATOR_TOKEN (header `X-Simulator-Token`, or `?token=` for the page) only
a request that is plainly local is answered: from a loopback address, to a loopback host name
(so a web page elsewhere cannot reach it through DNS rebinding), and carrying no proxy header
(a reverse proxy on the same host makes every client look local). `carebot serve` refuses to
bind the simulator to a non-loopback address without a token. Text and button keys are cleaned
like every channel's (`clean_text`); the page shows cards and text as text, never as HTML.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, field_validator, model_validator

from bot.channels.base import Delivery, clean_text
from bot.channels.simulator.traits import SIMULATOR
from bot.inbound.dispatch import Delivered, Dispatcher
from bot.settings import is_loopback
from handlers.envelopes import Inbound, Outbound
from storage.messaging.outbox import delivered_to, payload_of
from storage.models import Role
from storage.people.queries import find_by_code, list_people
from storage.people.roles import roles_of

PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
STATIC = {"sim.js": "text/javascript", "sim.css": "text/css"}


class SendRequest(BaseModel):
    user: str = Field(min_length=1, max_length=32)
    text: str | None = Field(default=None, max_length=4000)
    button: str | None = Field(default=None, max_length=1024)

    @field_validator("user", "text", "button", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        """Before validation: pydantic refuses a lone surrogate (and then fails to report it)."""
        return clean_text(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_of(self) -> SendRequest:
        if (self.text is None) == (self.button is None):
            raise ValueError("send exactly one of text or button")
        return self


class SimulatorSender:
    """Delivering to the simulator is marking the row sent: the page reads it from the inbox."""

    channel: str = SIMULATOR.name
    batch_size = SIMULATOR.batch_size
    per_member_per_minute: int | None = SIMULATOR.per_member_per_minute

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        return [Delivery(recipient, "sent") for recipient in recipients]


def _guard(request: Request) -> None:
    token = request.app.state.settings.simulator_token
    sent = request.headers.get("x-simulator-token") or request.query_params.get("token")
    if token is not None and sent is not None:
        if hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
            return
        raise HTTPException(status_code=403, detail="bad simulator token")
    if not _plainly_local(request):
        raise HTTPException(status_code=403, detail="simulator answers loopback clients only")


def _plainly_local(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    client = request.client.host if request.client else ""
    named = urlsplit("//" + request.headers.get("host", "")).hostname or ""
    return is_loopback(client) and is_loopback(named)


def _reply(item: Delivered) -> dict[str, Any]:
    return {"id": item.outbox_id, **item.message.to_payload()}


REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "Not local, or a bad token"}}
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "No such person or file"}}
router = APIRouter(prefix="/sim", dependencies=[Depends(_guard)], responses=REFUSED)
assets = APIRouter(prefix="/sim/static")  # the page's CSS and JS hold nothing private


def _dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


Dispatch = Annotated[Dispatcher, Depends(_dispatcher)]


@router.get("", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    html = resources.files("bot.channels.simulator").joinpath("static/sim.html").read_text("utf-8")
    return HTMLResponse(html)


@assets.get("/{name}", responses=UNKNOWN)
async def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(status_code=404)
    body = resources.files("bot.channels.simulator").joinpath(f"static/{name}").read_bytes()
    return Response(body, media_type=STATIC[name])


@router.get("/api/people")
async def people(dispatcher: Dispatch) -> dict[str, Any]:
    """Everyone on the roster, with non-sensitive fields only (never categories)."""
    async with dispatcher.sessions() as session:
        rows = await list_people(session)
        roles = await roles_of(session)
    return {
        "people": [
            {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "college": p.college,
                "class_name": p.class_name,
                "roles": sorted(roles.get(p.id or 0, frozenset()) - {Role.STUDENT}),
            }
            for p in rows
        ]
    }


@router.post("/api/send", responses={400: {"description": "The body is not JSON"}})
async def send(body: SendRequest, dispatcher: Dispatch) -> dict[str, Any]:
    inbound = Inbound(
        channel=SIMULATOR.name,
        account=body.user,
        message_id=uuid.uuid4().hex,
        received_at=dispatcher.clock.now(),
        text=body.text,
        button=body.button,
    )
    outcome = await dispatcher.dispatch(inbound, delivered=SIMULATOR.replies_in_response)
    return {"replies": [_reply(item) for item in outcome.replies]}


@router.get("/api/inbox", responses=UNKNOWN)
async def inbox(
    dispatcher: Dispatch, user: Annotated[str, Query(min_length=1)], after: int = 0
) -> dict[str, Any]:
    user = clean_text(user)  # as /api/send does: a NUL byte is no text PostgreSQL takes
    async with dispatcher.sessions() as session:
        person = await find_by_code(session, user) if user else None
        if person is None or person.id is None:
            raise HTTPException(status_code=404, detail="no such person")
        rows = await delivered_to(session, channel=SIMULATOR.name, person_id=person.id, after=after)
    return {
        "messages": [
            {"id": row.id, "at": row.created_at.isoformat(), **payload_of(row)} for row in rows
        ]
    }
