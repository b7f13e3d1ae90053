"""A minimal WeCom API for bench/webhook.py: tokens and sends always succeed.

It runs in its own process, so its CPU is not the server's; the server's side of each active
send (outbox claim, HTTP call, recording the result) is measured."""

from itertools import count

from fastapi import FastAPI

app = FastAPI()
_ids = count(1)


@app.get("/cgi-bin/gettoken")
async def gettoken() -> dict[str, object]:
    return {"errcode": 0, "errmsg": "ok", "access_token": "bench-token", "expires_in": 7200}


@app.post("/cgi-bin/message/send")
async def send() -> dict[str, object]:
    return {"errcode": 0, "errmsg": "ok", "msgid": f"bench{next(_ids)}"}
