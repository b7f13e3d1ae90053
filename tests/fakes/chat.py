"""Script conversations through the simulator API: say a line, read what the bot answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Chat:
    client: httpx.AsyncClient
    user: str
    replies: list[dict[str, Any]] = field(default_factory=list)

    async def say(self, text: str) -> str:
        return await self._send({"user": self.user, "text": text})

    async def press(self, button: str) -> str:
        return await self._send({"user": self.user, "button": button})

    async def _send(self, body: dict[str, str]) -> str:
        response = await self.client.post("/sim/api/send", json=body)
        assert response.status_code == 200, response.text
        self.replies = response.json()["replies"]
        assert self.replies, f"no reply to {body}"
        return "\n".join(reply["text"] for reply in self.replies)

    async def inbox(self) -> str:
        """What reached the person since the last look (messages sent later, not replies)."""
        response = await self.client.get("/sim/api/inbox", params={"user": self.user})
        assert response.status_code == 200, response.text
        messages = response.json()["messages"]
        return "\n".join(message.get("text") or "" for message in messages)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [(b["key"], b["label"]) for r in self.replies for b in r.get("buttons", [])]
