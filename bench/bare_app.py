"""The baseline for bench/webhook.py: a bare FastAPI endpoint returning a constant."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/wecom/callback")
async def callback() -> PlainTextResponse:
    return PlainTextResponse("success")
