"""Benchmark the full WeCom pipeline against a bare FastAPI endpoint, in one run.

A registered mentor's encrypted message goes through signature check, decryption, dedupe,
routing, a handler with its database writes and an encrypted passive reply. wrk replays
pre-encrypted messages with distinct MsgIds over 32 loopback connections; CPU time is
user+sys of the server process tree divided by requests served. Prints JSON.

Scenarios: `help` — 1,200 mentors in turn send 帮助 (dedupe row, sender lookup, the rate
limit's count, outbox row, reply; one mentor alone would be over the 20-a-minute limit);
`form` — 1,200 mentors each cycle through the visit-log form: 记录 (the form starts: their
students are read and the draft saved), 1 (the student is chosen: the draft is updated and the
next question asked) and 取消 (the draft is dropped).

Rounds: the machine's noise moved one measurement by a third from run to run (the bare
endpoint alone from 0.145 to 0.24 CPU-ms), so every round measures the bare endpoint and each
scenario afresh, with messages of its own (no MsgId is sent twice), and the ratio reported is
the median of the rounds' ratios; each round's figures are printed too.

Usage: python bench/webhook.py [--seconds 10] [--rounds 3] [--connections 32]
                               [--scenarios help,form] [--database-url URL (an empty database)]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wechatpy.enterprise.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
CORP_ID, TOKEN = "wwbenchcorp0001", "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DATA_KEY = "0Xm2GRUFyeNI5iEPOAzaFYUUi8YIzLqL8_3VdMWOgtY="
MENTOR = "BenchMentor"
# Even: each mentor's lines stay on one wrk thread, in order. Enough mentors that none is
# sent more than WeCom's 30 messages a minute (the sender holds the excess back, and with 60
# mentors the run measured that churn rather than the form).
FORM_MENTORS = 1200
FORM_CYCLE = ("记录", "1", "取消")
LUA = """
-- Each wrk thread replays its own share of the lines, so no MsgId is sent twice.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local lines = {}
local index = 0
init = function(args)
  local threads, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % threads == id then lines[#lines + 1] = line end
    i = i + 1
  end
end
request = function()
  index = index % #lines + 1
  local path, body = lines[index]:match("([^\\t]+)\\t(.*)")
  return wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def message_of(scenario: str, index: int) -> tuple[str, str]:
    """(sender, text) of the index-th message of a scenario."""
    if scenario == "help":  # the mentors in turn: one alone would be over the rate limit
        return f"{MENTOR}{index % FORM_MENTORS}", "帮助"
    mentor, round_ = index % FORM_MENTORS, index // FORM_MENTORS
    return f"{MENTOR}{mentor}", FORM_CYCLE[round_ % len(FORM_CYCLE)]


def encrypted_requests(count: int, scenario: str = "help", first_id: int = 0) -> list[str]:
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    lines = []
    timestamp = str(int(time.time()))
    for index in range(count):
        sender, text = message_of(scenario, index)
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{10**15 + first_id + index}</MsgId>"
            f"<AgentID>1000002</AgentID></xml>"
        )
        nonce = f"n{first_id + index}"
        envelope = crypto.encrypt_message(xml, nonce, timestamp)
        encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)  # type: ignore[union-attr]
        signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)  # type: ignore[union-attr]
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
        query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
        lines.append(f"/wecom/callback?{query}\t{body}")
    return lines


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    env.update(
        CAREBOT_DATABASE_URL=database_url,
        CAREBOT_DATA_KEY=DATA_KEY,
        CAREBOT_WECOM_CORP_ID=CORP_ID,
        CAREBOT_WECOM_AGENT_ID="1000002",
        CAREBOT_WECOM_SECRET="bench-secret",
        CAREBOT_WECOM_TOKEN=TOKEN,
        CAREBOT_WECOM_AES_KEY=AES_KEY,
        CAREBOT_WECOM_MAX_CLOCK_SKEW="0",
        CAREBOT_LOG_LEVEL="WARNING",
        # Each mentor sends more than a person's 20 a minute here (a dozen or two in a run): a
        # limit that never binds keeps the measured path the answered one, its count included.
        CAREBOT_RATE_LIMIT_PER_MINUTE="120",
    )
    return env


async def prepare_database(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from storage import migrate
    from storage.db import make_engine, make_sessionmaker, session_scope
    from storage.people.categories import sync_categories
    from tests.fakes.roster import make_staff, make_student

    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = make_engine(database_url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
        await make_staff(session, name="压测老师", code="TBENCH", wecom=MENTOR)
        for n in range(FORM_MENTORS):
            mentor = await make_staff(
                session, name=f"压测老师{n}", code=f"TBENCH{n}", wecom=f"{MENTOR}{n}"
            )
            team = {"student_affairs": mentor}
            await make_student(session, name=f"压测学生{n}", code=f"SBENCH{n}", team=team)
    await engine.dispose()


TRAFFIC = ("outbox", "inbound_message", "pending_inbound", "conversation", "audit_log")
"""What a measurement writes: cleared before the next, so that no round sends the rows an
earlier one left queued (or held back under WeCom's per-member cap) or meets its drafts."""


async def clear_traffic(database_url: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(database_url, data_key=DATA_KEY)
    async with engine.begin() as connection:
        for table in TRAFFIC:
            await connection.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


def drain_outbox(
    database_url: str, *, stalled: float = 3.0, limit: float = 180.0
) -> tuple[float, int]:
    """Wait until the server has sent what the run queued: a message's cost is its reply's
    sending too, and under wrk's load the sender falls behind the callbacks (the form run left
    half its sends queued). Rows held back for later (WeCom's per-member cap) never drain in
    time: the wait ends when the count has not fallen for `stalled` seconds. (seconds, left)."""
    start = time.monotonic()
    last, since = -1, start
    while True:
        left = asyncio.run(unsent(database_url))
        now = time.monotonic()
        if left != last:
            last, since = left, now
        if left == 0 or now - since >= stalled or now - start >= limit:
            return round(now - start - (now - since if left else 0), 2), left
        time.sleep(0.1)


async def unsent(database_url: str) -> int:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(database_url, data_key=DATA_KEY)
    async with engine.connect() as connection:
        query = "SELECT count(*) FROM outbox WHERE status IN ('queued', 'retrying', 'sending')"
        left = (await connection.execute(text(query))).scalar_one()
    await engine.dispose()
    return int(left)


def cpu_seconds(pid: int) -> float:
    """user+sys of a process and its children (reaped and live), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks
    return total


def children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(c) for c in found for c in [c, *map(str, children(int(c)))]]


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def run_wrk(port: int, script: Path, data: Path, seconds: int, connections: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-c{connections}",
        "-t2",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(data),
        "2",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, Any]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests,
        "throughput_rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": ms(latency["50"]),
        "p99_ms": ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def measure(
    command: list[str],
    env: dict[str, str],
    args: argparse.Namespace,
    script: Path,
    data: tuple[Path, Path],
) -> dict[str, Any]:
    asyncio.run(clear_traffic(env["CAREBOT_DATABASE_URL"]))
    port = free_port()
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(port)
        run_wrk(port, script, data[0], 2, args.connections)  # warm-up, its own messages
        before = cpu_seconds(server.pid)
        result = run_wrk(port, script, data[1], args.seconds, args.connections)
        result["outbox_drain_seconds"], result["outbox_left"] = drain_outbox(
            env["CAREBOT_DATABASE_URL"]
        )
        used = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.communicate(timeout=20)
    result["cpu_ms_per_request"] = round(used * 1000 / max(1, result["requests"]), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=40000)
    parser.add_argument("--scenarios", default="help,form")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is required: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="carebot-bench-"))
    database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    asyncio.run(prepare_database(database_url))
    script = work / "replay.lua"
    script.write_text(LUA)
    scenarios = args.scenarios.split(",")
    python = sys.executable
    api_port = free_port()
    api = subprocess.Popen(
        [python, "-m", "uvicorn", "bench.fake_wecom_api:app", "--port", str(api_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(api_port)
        env = server_env(database_url) | {"CAREBOT_WECOM_API_BASE": f"http://127.0.0.1:{api_port}"}
        rounds = []
        for number in range(args.rounds):
            files = {
                name: request_files(
                    work, name, args.messages, first_id=(number * len(scenarios) + n) * 10**8
                )
                for n, name in enumerate(scenarios)
            }
            rounds.append(run_round(args, env, script, files, scenarios))
    finally:
        api.terminate()
        api.wait(timeout=20)
    report = summary(args, rounds, scenarios)
    report["database"] = database_url.split(":")[0]
    print(json.dumps(report, indent=2))


def run_round(
    args: argparse.Namespace,
    env: dict[str, str],
    script: Path,
    files: dict[str, tuple[Path, Path]],
    scenarios: list[str],
) -> dict[str, Any]:
    """The bare endpoint, then each scenario, on this round's messages."""
    python = sys.executable
    bare_command = [python, "-m", "uvicorn", "bench.bare_app:app", "--log-level", "warning"]
    bare = measure([*bare_command, "--no-access-log"], env, args, script, files[scenarios[0]])
    results: dict[str, Any] = {"bare": bare}
    for name in scenarios:
        command = [str(Path(python).with_name("carebot")), "serve"]
        carebot = measure(command, env, args, script, files[name])
        ratio = bare["cpu_ms_per_request"] / max(1e-9, carebot["cpu_ms_per_request"])
        results[name] = {"carebot": carebot, "cpu_ratio_bare_over_carebot": round(ratio, 3)}
    return results


def summary(
    args: argparse.Namespace, rounds: list[dict[str, Any]], scenarios: list[str]
) -> dict[str, Any]:
    """Each scenario's median round (by ratio) stands for it; every round is listed."""
    results: dict[str, Any] = {}
    for name in scenarios:
        ordered = sorted(rounds, key=lambda r: r[name]["cpu_ratio_bare_over_carebot"])
        middle = ordered[(len(ordered) - 1) // 2]  # the lower median of an even count
        ratio = middle[name]["cpu_ratio_bare_over_carebot"]
        carebot = middle[name]["carebot"]
        served = all(r[name]["carebot"]["requests"] > 0 for r in rounds)
        results[name] = {
            "carebot": carebot,
            "bare": middle["bare"],
            "cpu_ratio_bare_over_carebot": ratio,
            "cpu_ratio_rounds": [r[name]["cpu_ratio_bare_over_carebot"] for r in rounds],
            "cpu_ms_per_request_rounds": [r[name]["carebot"]["cpu_ms_per_request"] for r in rounds],
            # no request served (the server stalled) measures nothing and meets nothing
            "meets_target": served and _meets(TARGETS[name], ratio, carebot["p99_ms"]),
        }
    bare_rounds = [r["bare"]["cpu_ms_per_request"] for r in rounds]
    return {
        "benchmark": "webhook",
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "bare": {
            "cpu_ms_per_request_median": statistics.median(bare_rounds),
            "cpu_ms_per_request_rounds": bare_rounds,
        },
        "scenarios": results,
        "target": {name: TARGETS[name] for name in scenarios},
    }


# help: the original target; form: issue 11 §8 (its steps write a draft and go out through the
# outbox, so it is held to a lower ratio and no latency figure)
TARGETS: dict[str, dict[str, float | None]] = {
    "help": {"cpu_ratio_min": 0.25, "p99_ms_max": 50},
    "form": {"cpu_ratio_min": 0.15, "p99_ms_max": None},
}


def _meets(target: dict[str, float | None], ratio: float, p99_ms: float) -> bool:
    least, most = target["cpu_ratio_min"], target["p99_ms_max"]
    return (least is None or ratio >= least) and (most is None or p99_ms <= most)


def request_files(work: Path, scenario: str, count: int, *, first_id: int) -> tuple[Path, Path]:
    """A warm-up file (its own messages) and the measured one. The warm-up is 帮助 for every
    scenario: wrk stops it after two seconds wherever it is, and a form cycle cut there would
    leave the measured run starting mid-form (取消 with nothing open, 1 as no answer)."""
    warm = encrypted_requests(5000, "help", first_id=first_id)
    lines = encrypted_requests(count, scenario, first_id=first_id + 5000)
    warmup, data = work / f"{scenario}-warmup.tsv", work / f"{scenario}.tsv"
    warmup.write_text("\n".join(warm) + "\n")
    data.write_text("\n".join(lines) + "\n")
    return warmup, data


if __name__ == "__main__":
    main()
