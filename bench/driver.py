"""The load driver: N simulated creators, closed loop, one asyncio process.

Each client is one creator with its own loopback connection and its own ``X-Forwarded-For``
address (the server trusts one proxy hop, so rate limits are per simulated client, as behind the
load balancer). A client signs in once, then loops over the weighted mix (or one endpoint: a
floor, or an endpoint alone) with no think time (``BENCH_THINK_MS`` adds some): the server is
saturated, as with ``wrk``, and we measure its capacity. Only requests that start and finish
inside the measured window are counted. The think-time scenario (bench/run.py) runs the same
loop with a pause of about a second after each response: there we measure what a creator waits.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.httpclient import Connection, HttpError
from bench.seed import TAGS, TYPES, WORDS

# name: (method, path as reported). Order is the report's order.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "signin": ("POST", "/api/auth/signin"),
    "refresh": ("POST", "/api/auth/refresh"),
    "me": ("GET", "/api/auth/me"),
    "profile": ("GET", "/api/users/profile"),
    "content_list": ("GET", "/api/content"),
    "content_list_type": ("GET", "/api/content?type=POST"),
    "content_list_tag": ("GET", "/api/content?tag=…"),
    "content_list_q": ("GET", "/api/content?q=…"),
    "content_detail": ("GET", "/api/content/{id}"),
    "content_create": ("POST", "/api/content"),
    "content_update": ("PATCH", "/api/content/{id}"),
    "content_delete": ("DELETE", "/api/content/{id}"),
    "subscription": ("GET", "/api/billing/subscription"),
    "health": ("GET", "/api/health"),
    "floor": ("GET", "/bench/floor/{id}"),
    "plain": ("GET", "/bench/plain"),
}

# The phases that are not the mix: the two floors (bench/views.py, bench/middleware.py).
FLOORS = ("floor", "plain")
# What can run alone (one endpoint, every client, back to back; BENCH_ALONE): every endpoint of
# the creator mix except refresh (paced under its per-IP rate limit, so never saturating) and
# delete (it needs an asset the client created first).
ALONE_CAPABLE = (
    "profile",
    "me",
    "content_list",
    "content_list_type",
    "content_list_tag",
    "content_list_q",
    "content_detail",
    "content_create",
    "content_update",
    "subscription",
)

# A creator's session: mostly reads of their own content, some writes, the dashboard's profile
# and subscription, an occasional token refresh (paced, see REFRESH_MIN_INTERVAL).
MIXES: dict[str, dict[str, float]] = {
    "creator": {
        "profile": 10,
        "me": 4,
        "content_list": 18,
        "content_list_type": 7,
        "content_list_tag": 6,
        "content_list_q": 6,
        "content_detail": 20,
        "content_create": 6,
        "content_update": 6,
        "content_delete": 4,
        "subscription": 8,
        "refresh": 2,
    },
    # What the foundation serves (before the feature branches land); used by the smoke test.
    "foundation": {"me": 3, "health": 1},
}


def parse_mix(spec: str) -> dict[str, float]:
    """``creator`` / ``foundation``, or ``name=weight,name=weight``."""
    spec = spec.strip()
    if spec in MIXES:
        return dict(MIXES[spec])
    mix: dict[str, float] = {}
    for item in spec.split(","):
        name, _, weight = item.partition("=")
        name = name.strip()
        if name not in ENDPOINTS or name in ("signin", *FLOORS):
            raise ValueError(f"unknown mix entry {name!r}; known: {sorted(ENDPOINTS)}")
        mix[name] = float(weight or 1)
    if not mix or sum(mix.values()) <= 0:
        raise ValueError("empty mix")
    return mix


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


@dataclass
class Stat:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def summary(self, seconds: float) -> dict:
        values = sorted(self.latencies)
        errors = {str(k): v for k, v in sorted(self.statuses.items(), key=str) if k != "2xx"}
        return {
            "requests": len(values),
            "rps": round(len(values) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p95_ms": round(percentile(values, 95) * 1000, 2),
            "p99_ms": round(percentile(values, 99) * 1000, 2),
            "max_ms": round(values[-1] * 1000, 2) if values else 0.0,
            "errors": sum(errors.values()),
            "error_statuses": errors,
        }


class Recorder:
    """Keeps only requests that started and ended inside [t0, t1]."""

    def __init__(self) -> None:
        self.t0 = float("inf")
        self.t1 = float("inf")
        self.stats: dict[str, Stat] = {}

    def window(self, t0: float, t1: float) -> None:
        self.t0, self.t1 = t0, t1

    def add(self, name: str, started: float, ended: float, status: int | str) -> None:
        if started < self.t0 or ended > self.t1:
            return
        stat = self.stats.get(name)
        if stat is None:
            stat = self.stats[name] = Stat()
        stat.latencies.append(ended - started)
        stat.statuses["2xx" if isinstance(status, int) and 200 <= status < 300 else status] += 1


@dataclass
class Client:
    index: int
    email: str
    conn: Connection
    asset_ids: list[str]
    fallback_access: str
    access: str | None = None
    refresh: str | None = None
    created: list[str] = field(default_factory=list)
    last_refresh: float = 0.0
    seq: itertools.count = field(default_factory=itertools.count)


def client_ip(index: int) -> str:
    """A per-client address from the documentation range (never contacted: a header value)."""
    return f"198.51.{100 + index // 250}.{index % 250 + 1}"


class Driver:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        manifest: dict,
        clients: int,
        password: str,
        mix: dict[str, float],
        think_ms: float = 0.0,
        refresh_min_interval: float = 2.0,
        seed: int = 8,
    ):
        self.host, self.port = host, port
        self.password = password
        self.think = think_ms / 1000
        self.refresh_min_interval = refresh_min_interval
        self.rng = random.Random(seed)  # noqa: S311 - load pattern, not security
        creators = manifest["creators"]
        self.all_asset_ids = [a for c in creators for a in c["asset_ids"]]
        self.clients = []
        for i in range(clients):
            creator = creators[i % len(creators)]
            conn = Connection(
                host,
                port,
                extra_headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": client_ip(i)},
            )
            self.clients.append(
                Client(
                    index=i,
                    email=creator["email"],
                    conn=conn,
                    asset_ids=list(creator["asset_ids"]),
                    fallback_access=creator["fallback_access"],
                )
            )
        self.set_mix(mix)
        self.recorder = Recorder()
        self.signin_fallbacks = 0

    def set_mix(self, mix: dict[str, float]) -> None:
        self.mix_names = list(mix)
        self.cumulative = list(itertools.accumulate(mix[n] for n in self.mix_names))

    # --- requests --------------------------------------------------------------------------
    async def _call(self, client: Client, name: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            status, body = await client.conn.request(method, path, **kwargs)
        except HttpError:
            status, body = "conn_error", b""
        self.recorder.add(name, started, time.perf_counter(), status)
        return status, body

    async def signin(self, client: Client, recorder: Recorder) -> None:
        started = time.perf_counter()
        try:
            status, body = await client.conn.request(
                "POST", "/api/auth/signin", body={"email": client.email, "password": self.password}
            )
        except HttpError:
            status, body = "conn_error", b""
        recorder.add("signin", started, time.perf_counter(), status)
        tokens = _json(body) if status == 200 else {}
        client.access = tokens.get("access")
        client.refresh = tokens.get("refresh")
        client.last_refresh = time.perf_counter()
        if not client.access:
            # Sign-in failed (reported as an error): go on with a token minted at seed time so
            # the rest of the mix is still measured.
            client.access = client.fallback_access
            self.signin_fallbacks += 1

    def _pick(self) -> str:
        x = self.rng.random() * self.cumulative[-1]
        return self.mix_names[bisect.bisect_right(self.cumulative, x)]

    async def step(self, client: Client) -> None:
        name = self._pick()
        if name == "refresh" and time.perf_counter() - client.last_refresh < (
            self.refresh_min_interval
        ):
            for _ in range(5):  # refresh is paced to stay under its per-IP rate limit
                name = self._pick()
                if name != "refresh":
                    break
            else:
                return
        if name == "content_delete" and not client.created:
            name = "content_create"  # delete only what this client created
        await getattr(self, "op_" + name)(client)

    async def op_refresh(self, client: Client) -> None:
        client.last_refresh = time.perf_counter()
        status, body = await self._call(
            client, "refresh", "POST", "/api/auth/refresh", body={"refresh": client.refresh or ""}
        )
        if status == 200:
            tokens = _json(body)
            client.access = tokens.get("access") or client.access
            client.refresh = tokens.get("refresh") or client.refresh

    async def op_me(self, client: Client) -> None:
        await self._call(client, "me", "GET", "/api/auth/me", token=client.access)

    async def op_health(self, client: Client) -> None:
        await self._call(client, "health", "GET", "/api/health")

    async def op_profile(self, client: Client) -> None:
        await self._call(client, "profile", "GET", "/api/users/profile", token=client.access)

    async def op_content_list(self, client: Client) -> None:
        await self._call(client, "content_list", "GET", "/api/content", token=client.access)

    async def op_content_list_type(self, client: Client) -> None:
        await self._call(
            client, "content_list_type", "GET", "/api/content?type=POST", token=client.access
        )

    async def op_content_list_tag(self, client: Client) -> None:
        path = f"/api/content?tag={self.rng.choice(TAGS)}"
        await self._call(client, "content_list_tag", "GET", path, token=client.access)

    async def op_content_list_q(self, client: Client) -> None:
        path = f"/api/content?q={self.rng.choice(WORDS)}"
        await self._call(client, "content_list_q", "GET", path, token=client.access)

    def _own_id(self, client: Client) -> str:
        if client.created and self.rng.random() < 0.3:
            return self.rng.choice(client.created)
        return self.rng.choice(client.asset_ids)

    async def op_content_detail(self, client: Client) -> None:
        path = f"/api/content/{self._own_id(client)}"
        await self._call(client, "content_detail", "GET", path, token=client.access)

    async def op_content_create(self, client: Client) -> None:
        n = next(client.seq)
        body = {
            "title": f"Bench {self.rng.choice(WORDS)} {client.index}-{n}",
            "content": "Written during the benchmark. " * 4,
            "type": self.rng.choice(TYPES),
            "category": "promo",
            "tags": self.rng.sample(TAGS, 2),
            "metadata": {"bench": True, "n": n},
        }
        status, data = await self._call(
            client, "content_create", "POST", "/api/content", token=client.access, body=body
        )
        if status == 201:
            asset_id = _json(data).get("id")
            if asset_id:
                client.created.append(asset_id)

    async def op_content_update(self, client: Client) -> None:
        path = f"/api/content/{self._own_id(client)}"
        body = {"title": f"Updated {next(client.seq)}", "tags": self.rng.sample(TAGS, 3)}
        await self._call(client, "content_update", "PATCH", path, token=client.access, body=body)

    async def op_content_delete(self, client: Client) -> None:
        asset_id = client.created.pop(self.rng.randrange(len(client.created)))
        await self._call(
            client, "content_delete", "DELETE", f"/api/content/{asset_id}", token=client.access
        )

    async def op_subscription(self, client: Client) -> None:
        await self._call(
            client, "subscription", "GET", "/api/billing/subscription", token=client.access
        )

    async def op_floor(self, client: Client) -> None:
        path = f"/bench/floor/{self.rng.choice(self.all_asset_ids)}"
        await self._call(client, "floor", "GET", path)

    async def op_plain(self, client: Client) -> None:
        await self._call(client, "plain", "GET", "/bench/plain")

    # --- phases ----------------------------------------------------------------------------
    async def sign_in_all(self) -> dict:
        recorder = Recorder()
        t0 = time.perf_counter()
        recorder.window(t0, float("inf"))
        await asyncio.gather(*(self.signin(c, recorder) for c in self.clients))
        seconds = time.perf_counter() - t0
        stat = recorder.stats.get("signin", Stat())
        result = stat.summary(seconds)
        result["note"] = "once per client, all clients at once before the warm-up"
        result["fallback_tokens_used"] = self.signin_fallbacks
        return result

    async def run(
        self,
        *,
        warmup: float,
        duration: float,
        only: str | None = None,
        think: float | None = None,
        keep_late: bool = False,
    ) -> float:
        """Drive the mix for warmup + duration; return the measured seconds.

        ``only``: one endpoint instead of the mix (``"floor"``, ``"plain"``, or an endpoint run
        alone, ``ALONE_CAPABLE``). ``think``: seconds a client waits after each response
        (uniform in 0.5 to 1.5 times think; default ``BENCH_THINK_MS``); with think time every
        client first waits a random fraction of it, so the clients are not in step.
        ``keep_late``: also count the requests started in the window that end after it (a
        server that stalls shows as slow requests, not as no requests)."""
        self.recorder = Recorder()
        start = time.perf_counter()
        t0 = start + warmup
        t1 = t0 + duration
        self.recorder.window(t0, float("inf") if keep_late else t1)
        step = self.step if only is None else getattr(self, "op_" + only)
        think = self.think if think is None else think

        async def pause(seconds: float) -> None:
            await asyncio.sleep(max(0.0, min(seconds, t1 - time.perf_counter())))

        async def loop(client: Client) -> None:
            if think:
                await pause(think * self.rng.random())
            while time.perf_counter() < t1:
                await step(client)
                if think:
                    await pause(think * (0.5 + self.rng.random()))

        await asyncio.gather(*(loop(c) for c in self.clients))
        return duration

    def close(self) -> None:
        for c in self.clients:
            c.conn.close()

    def connections_opened(self) -> int:
        return sum(c.conn.opened for c in self.clients)


def summarize(recorder: Recorder, seconds: float, names: list[str]) -> dict:
    endpoints = {}
    overall = Stat()
    for name in ENDPOINTS:
        stat = recorder.stats.get(name)
        if stat is None:
            if name in names:
                endpoints[name] = {**Stat().summary(seconds), "path": " ".join(ENDPOINTS[name])}
            continue
        endpoints[name] = {**stat.summary(seconds), "path": " ".join(ENDPOINTS[name])}
        overall.latencies.extend(stat.latencies)
        overall.statuses.update(stat.statuses)
    return {"endpoints": endpoints, "overall": overall.summary(seconds), "seconds": seconds}


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
