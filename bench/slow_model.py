"""The slow-model scenario of ``make bench`` (docs/benchmark.md).

A local Azure OpenAI stand-in (tests/content/standin.py, the one the tests use, run as a process
of its own: ``python -m bench.slow_model SECONDS PIECES``) takes ``BENCH_MODEL_SECONDS`` (8) per answer; a streamed answer spreads its
``BENCH_MODEL_PIECES`` chunks over that time, so the model's own first token comes after
``seconds / pieces``. On the server model under test, after the saturated mix and the floor:

1. **alone**: ``BENCH_SLOW_CLIENTS`` (8) creators run the creator mix, closed loop, for
   ``BENCH_SLOW_WARMUP`` + ``BENCH_SLOW_DURATION`` seconds;
2. **generating**: the same, while ``BENCH_SLOW_GENERATORS`` (4) other creators call
   ``POST /api/content/generate`` back to back, half of them streamed
   (``Accept: text/event-stream``) and half JSON.

Reported: the mix's p50/p95/p99/max in both phases and how many ordinary requests took over
1 s, the generations' total time and, for the streamed ones, the time to the first ``delta``
event against the model's own first token, errors, and the peak PostgreSQL connections of each
phase. The hooks in bench/run.py: ``start`` / ``ModelStandIn.server_env`` (the stand-in as the
server's Azure endpoint), ``run`` (the phases, after the existing ones), ``format_report``,
``side_by_side_rows`` and ``summary`` (the report).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.driver import Driver, Recorder, parse_mix, percentile, summarize
from bench.httpclient import Connection, HttpError

GENERATE = "/api/content/generate"
# A caption-sized answer (~700 characters), as GPT-4o writes for a CAPTION.
ANSWER = (
    "Nouvelle collection ☀️ Elle arrive demain, et on a hâte de vous la montrer ! "
    "Des pièces légères pour les journées qui s'étirent, des couleurs qui rappellent la mer, "
    "et cette robe lin que vous nous réclamez depuis l'an dernier. Tout a été pensé pour "
    "bouger, voyager, danser jusqu'au bout de la nuit. Rendez-vous demain à 10 h sur le site "
    "et en boutique : les premières commandes recevront une surprise glissée dans le colis. "
    "Dites-nous en commentaire quelle pièce vous fait déjà de l'œil 👀 et partagez ce post "
    "avec la personne qui a besoin d'un nouveau maillot cet été. Merci d'être là, chaque "
    "saison, avec nous 💛 #mode #été #nouvellecollection #créatrice #madeinfrance"
)


def env_float(name: str, default: float) -> float:
    """A number from the environment (the harness's ``BENCH_*`` settings), else ``default``."""
    return float(os.environ.get(name, default))


@dataclass
class SlowModelConfig:
    duration: float
    warmup: float
    model_seconds: float
    pieces: int
    clients: int
    generators: int
    mix_spec: str

    @classmethod
    def from_env(cls) -> SlowModelConfig:
        return cls(
            duration=env_float("BENCH_SLOW_DURATION", 20),
            warmup=env_float("BENCH_SLOW_WARMUP", 3),
            model_seconds=env_float("BENCH_MODEL_SECONDS", 8),
            pieces=int(os.environ.get("BENCH_MODEL_PIECES", 40)),
            clients=int(os.environ.get("BENCH_SLOW_CLIENTS", 8)),
            generators=int(os.environ.get("BENCH_SLOW_GENERATORS", 4)),
            mix_spec=os.environ.get("BENCH_SLOW_MIX", "creator"),
        )

    @property
    def enabled(self) -> bool:
        return self.duration > 0 and self.generators > 0

    @property
    def model_first_token_ms(self) -> float:
        return self.model_seconds / max(self.pieces, 1) * 1000


class ModelStandIn:
    """The test suite's Azure stand-in (tests/content/standin.py), in a process of its own so
    that the driver's own work never delays its answers (and the first tokens measured)."""

    def __init__(self, cfg: SlowModelConfig) -> None:
        from tests.content.standin import API_KEY, DEPLOYMENT

        self.api_key, self.deployment = API_KEY, DEPLOYMENT
        self.proc = subprocess.Popen(  # noqa: S603 - this module, this interpreter
            [sys.executable, "-m", "bench.slow_model", str(cfg.model_seconds), str(cfg.pieces)],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.proc.kill()
            raise RuntimeError(f"the model stand-in did not start: {line!r}")
        self.url = line

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def server_env(self) -> dict[str, str]:
        """The server's environment: the stand-in as Azure, and no monthly quota (the
        generators write back to back; the quota is not what is measured)."""
        return {
            "AZURE_OPENAI_ENDPOINT": self.url,
            "AZURE_OPENAI_API_KEY": self.api_key,
            "AZURE_OPENAI_DEPLOYMENT": self.deployment,
            "AI_MONTHLY_QUOTA_FREE": "-1",
            "AI_MONTHLY_QUOTA_PRO": "-1",
        }


def _serve(seconds: float, pieces: int) -> None:
    """``python -m bench.slow_model SECONDS PIECES``: the stand-in, until terminated."""
    from tests.content.standin import OpenAIStandIn

    server = OpenAIStandIn()
    server.delay, server.stream_pieces, server.text = seconds, pieces, ANSWER
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.url, flush=True)
    server.server.serve_forever(poll_interval=0.05)


def start(cfg: SlowModelConfig) -> ModelStandIn | None:
    return ModelStandIn(cfg) if cfg.enabled else None


# --- the generators ----------------------------------------------------------------------------


@dataclass
class Generation:
    streamed: bool
    started: float
    total_s: float
    first_delta_s: float | None
    outcome: str  # "ok", or the status / error seen


def _request_bytes(host: str, port: int, ip: str, token: str, streamed: bool, n: int) -> bytes:
    body = json.dumps({"type": "CAPTION", "prompt": f"Annonce la collection d'été ({n})"}).encode()
    accept = "text/event-stream" if streamed else "application/json"
    head = (
        f"POST {GENERATE} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: {ip}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def _generate(host: str, port: int, ip: str, token: str, streamed: bool, n: int):
    """One generation on its own connection: (outcome, seconds to the first delta or None)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(_request_bytes(host, port, ip, token, streamed, n))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        chunked = b"transfer-encoding: chunked" in head.lower()
        first_delta = None
        seen = b""
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    break
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
            seen += data
            if first_delta is None and b"event: delta" in seen:
                first_delta = time.perf_counter() - started
        if not 200 <= status < 300:
            return str(status), first_delta
        if streamed:
            last = seen.rstrip().rsplit(b"\n\n", 1)[-1]
            if not last.startswith(b"event: done"):
                return "error_event", first_delta
        return "ok", first_delta
    finally:
        writer.close()


async def _sign_in(host: str, port: int, ip: str, email: str, password: str) -> str:
    conn = Connection(
        host, port, extra_headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": ip}
    )
    try:
        status, body = await conn.request(
            "POST", "/api/auth/signin", body={"email": email, "password": password}
        )
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"slow-model generator could not sign in: {status}")
    return json.loads(body)["access"]


async def _generators(
    *, host: str, port: int, manifest: dict, password: str, cfg: SlowModelConfig, until: float
) -> list[Generation]:
    creators = manifest["creators"]
    done: list[Generation] = []

    async def loop(i: int) -> None:
        # The last creators of the seed, on addresses of their own (the mix uses the first ones).
        creator = creators[-1 - (i % len(creators))]
        ip = f"198.51.110.{i + 1}"
        token = await _sign_in(host, port, ip, creator["email"], password)
        streamed = i % 2 == 0
        n = 0
        while time.perf_counter() < until:
            n += 1
            started = time.perf_counter()
            try:
                outcome, first = await _generate(host, port, ip, token, streamed, n)
            except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
                outcome, first = type(exc).__name__, None
            done.append(
                Generation(streamed, started, time.perf_counter() - started, first, outcome)
            )

    await asyncio.gather(*(loop(i) for i in range(cfg.generators)))
    return done


# --- the phases ----------------------------------------------------------------------------------


def _mix_summary(recorder: Recorder, seconds: float, names: list[str]) -> dict:
    summary = summarize(recorder, seconds, names)["overall"]
    latencies = [v for s in recorder.stats.values() for v in s.latencies]
    summary["over_1s"] = sum(1 for v in latencies if v > 1.0)
    return summary


def _generation_summary(gens: list[Generation], cfg: SlowModelConfig) -> dict:
    def ms(values: list[float], p: float) -> float:
        return round(percentile(sorted(values), p) * 1000, 1) if values else 0.0

    totals = [g.total_s for g in gens]
    firsts = [g.first_delta_s for g in gens if g.streamed and g.first_delta_s is not None]
    errors: dict[str, int] = {}
    for g in gens:
        if g.outcome != "ok":
            errors[g.outcome] = errors.get(g.outcome, 0) + 1
    return {
        "completed": len(gens),
        "streamed": sum(1 for g in gens if g.streamed),
        "errors": sum(errors.values()),
        "error_outcomes": errors,
        "total_p50_ms": ms(totals, 50),
        "total_max_ms": round(max(totals) * 1000, 1) if totals else 0.0,
        "first_delta_p50_ms": ms(firsts, 50),
        "first_delta_p95_ms": ms(firsts, 95),
        "first_delta_max_ms": round(max(firsts) * 1000, 1) if firsts else 0.0,
        "model_first_token_ms": round(cfg.model_first_token_ms, 1),
    }


async def run(
    *, host: str, port: int, manifest: dict, password: str, sampler, cfg: SlowModelConfig
) -> dict:
    """Both phases on the running server; returns the ``slow_model`` part of the report."""
    mix = parse_mix(cfg.mix_spec)
    names = list(mix)
    driver = Driver(
        host=host, port=port, manifest=manifest, clients=cfg.clients, password=password, mix=mix
    )
    await driver.sign_in_all()
    result: dict = {"config": asdict(cfg)}

    sampler.phase = "slow_alone"
    await driver.run(warmup=cfg.warmup, duration=cfg.duration, keep_late=True)
    result["alone"] = _mix_summary(driver.recorder, cfg.duration, names)

    sampler.phase = "slow_generating"
    until = time.perf_counter() + cfg.warmup + cfg.duration
    gens_task = asyncio.create_task(
        _generators(
            host=host, port=port, manifest=manifest, password=password, cfg=cfg, until=until
        )
    )
    await driver.run(warmup=cfg.warmup, duration=cfg.duration, keep_late=True)
    result["generating"] = _mix_summary(driver.recorder, cfg.duration, names)
    driver.close()
    gens = await gens_task  # the generations in flight finish (at most one answer's time)
    # As for the mix, the warm-up does not count (the workers' first calls build the client).
    measured_from = until - cfg.duration
    result["generations"] = _generation_summary(
        [g for g in gens if g.started >= measured_from], cfg
    )
    peaks = sampler.peaks
    result["pg_connections"] = {
        "alone": peaks.get("slow_alone", 0),
        "generating": peaks.get("slow_generating", 0),
    }
    result["targets"] = targets(result, cfg)
    return result


def targets(result: dict, cfg: SlowModelConfig) -> dict:
    gen, busy = result["generations"], result["generating"]
    return {
        "mix_p95_under_100ms_while_generating": busy["p95_ms"] < 100,
        "no_ordinary_request_over_1s": busy["over_1s"] == 0,
        "zero_errors": busy["errors"] == 0 and result["alone"]["errors"] == 0 and not gen["errors"],
        "first_token_p95_within_100ms_of_the_model": (
            gen["streamed"] > 0 and gen["first_delta_p95_ms"] <= gen["model_first_token_ms"] + 100
        ),
        "at_most_10_pg_connections": max(result["pg_connections"].values()) <= 10,
    }


# --- report --------------------------------------------------------------------------------------


def format_report(slow: dict) -> str:
    c, g = slow["config"], slow["generations"]
    head = f"{'slow model':<30} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'>1 s':>5}  errors"
    rows = [
        f"-- slow model: {c['model_seconds']:g} s answers ({c['pieces']} streamed chunks),"
        f" {c['generators']} creators generating back to back (half streamed),"
        f" {c['clients']} creators on the mix",
        head,
        "-" * len(head),
    ]
    for label, key in (("mix alone", "alone"), ("mix while generating", "generating")):
        e = slow[key]
        rows.append(
            f"{label:<30} {e['requests']:>7} {e['rps']:>8.1f} {e['p50_ms']:>8.1f} {e['p95_ms']:>8.1f}"
            f" {e['p99_ms']:>8.1f} {e['max_ms']:>8.1f} {e['over_1s']:>5}  {e['errors']}"
        )
    rows.append(
        f"generations: {g['completed']} ({g['streamed']} streamed), errors {g['errors']}"
        f"{' ' + str(g['error_outcomes']) if g['errors'] else ''};"
        f" total p50 {g['total_p50_ms']:.0f} ms, max {g['total_max_ms']:.0f} ms;"
        f" first delta p50 {g['first_delta_p50_ms']:.0f} / p95 {g['first_delta_p95_ms']:.0f}"
        f" / max {g['first_delta_max_ms']:.0f} ms (the model's own first token:"
        f" {g['model_first_token_ms']:.0f} ms)"
    )
    pg = slow["pg_connections"]
    rows.append(f"peak PostgreSQL connections: alone {pg['alone']}, generating {pg['generating']}")
    rows.append(
        "slow-model targets: "
        + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in slow["targets"].items())
    )
    return "\n".join(rows)


def side_by_side_rows(runs: list[dict]) -> list[str]:
    """Rows for run.format_side_by_side (one column per server model)."""
    if not any(r.get("slow_model") for r in runs):
        return []

    def cells(fn) -> str:
        return "".join(f"{fn(r['slow_model']) if r.get('slow_model') else '-':>20}" for r in runs)

    return [
        "slow model (p50 | p95 | max ms)",
        f"{'  mix alone':<34}"
        + cells(
            lambda s: (
                f"{s['alone']['p50_ms']:.0f}|{s['alone']['p95_ms']:.0f}|{s['alone']['max_ms']:.0f}"
            )
        ),
        f"{'  mix while generating':<34}"
        + cells(
            lambda s: (
                f"{s['generating']['p50_ms']:.0f}|{s['generating']['p95_ms']:.0f}|{s['generating']['max_ms']:.0f}"
            )
        ),
        f"{'  mix req/s alone | generating':<34}"
        + cells(lambda s: f"{s['alone']['rps']:.0f}|{s['generating']['rps']:.0f}"),
        f"{'  first delta p50|p95|max':<34}"
        + cells(
            lambda s: (
                f"{s['generations']['first_delta_p50_ms']:.0f}|{s['generations']['first_delta_p95_ms']:.0f}|{s['generations']['first_delta_max_ms']:.0f}"
            )
        ),
        f"{'  generations | errors':<34}"
        + cells(
            lambda s: (
                f"{s['generations']['completed']}|{s['generations']['errors'] + s['generating']['errors']}"
            )
        ),
        f"{'  peak PG conn. alone | gen.':<34}"
        + cells(lambda s: f"{s['pg_connections']['alone']}|{s['pg_connections']['generating']}"),
    ]


def summary(run: dict) -> dict:
    """The slow-model figures of one server model for ``bench-results.json``'s summary."""
    slow = run.get("slow_model")
    if not slow:
        return {}
    return {
        "slow_mix_alone_p95_ms": slow["alone"]["p95_ms"],
        "slow_mix_generating_p95_ms": slow["generating"]["p95_ms"],
        "slow_mix_generating_max_ms": slow["generating"]["max_ms"],
        "slow_first_delta_max_ms": slow["generations"]["first_delta_max_ms"],
        "slow_peak_pg_connections": max(slow["pg_connections"].values()),
    }


if __name__ == "__main__":
    _serve(float(sys.argv[1]), int(sys.argv[2]))
