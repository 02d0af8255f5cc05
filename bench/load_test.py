"""Load test of `wiretrace serve` on loopback: concurrent clients post documents and read stories.

    .venv/bin/python bench/load_test.py [--clients 20] [--seconds 30] [--max-requests 4000]

Starts `wiretrace serve` in a subprocess on 127.0.0.1 (a free port) over a fresh store of the sample
corpus, runs CLIENTS threads for SECONDS (each alternates POST /documents with one new document and
GET /stories), then checks that every document the service acknowledged is stored and in a story.
Bounded in time and in count; talks to 127.0.0.1 only. Prints requests/s and p50/p99 latency per
endpoint, and writes bench/results/load_test.json.

A fifth of the posted documents republish one of the corpus's three wire stories (a paragraph dropped,
one added), so they join existing stories and make the service re-trace them; the rest are new,
unrelated articles that form their own stories.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import quantiles

import httpx

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "examples" / "corpus"
ORIGINS = ("portstrike_origin_meridian", "recall_origin_northgate", "flood_origin_meridian")
WORDS = [
    "council", "harbour", "market", "river", "bridge", "school", "league", "festival", "museum",
    "railway", "clinic", "library", "orchard", "quarry", "ferry", "workshop", "vineyard", "airport",
    "stadium", "theatre", "factory", "canal", "tunnel", "reservoir", "pier", "depot", "budget",
    "vote", "plan", "survey", "repair", "opening", "closure", "protest", "award", "contract",
    "permit", "audit",
]
VERBS = [
    "approved", "delayed", "announced", "rejected", "opened", "closed", "expanded", "reviewed",
    "funded", "postponed",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def synthetic(rng: random.Random, ident: str) -> dict[str, object]:
    """A short, unique local news article about invented places and people."""
    town = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)).capitalize()
    person = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(2)).capitalize()
    sentences = []
    for _ in range(rng.randint(6, 12)):
        a, b = rng.sample(WORDS, 2)
        sentences.append(
            f"The {a} in {town} {rng.choice(VERBS)} the {b} on {rng.choice(['Monday', 'Tuesday', 'Friday'])}, "
            f"said {person} {town}son, who leads the {rng.choice(WORDS)} group of {rng.randint(2, 900)} members."
        )
    return {"id": ident, "text": f"{town} {rng.choice(WORDS)} news\n\n" + " ".join(sentences),
            "source": f"{town} Gazette", "published": f"2026-04-{rng.randint(1, 28):02d}"}


def republication(rng: random.Random, ident: str, bodies: dict[str, list[str]]) -> dict[str, object]:
    origin = rng.choice(ORIGINS)
    paras = list(bodies[origin])
    if len(paras) > 3:
        paras.pop(rng.randrange(1, len(paras)))
    paras.append(f"Local reaction in {rng.choice(['Harnley', 'Brask', 'Lusk'])} was mixed, "
                 f"reporter {rng.randint(1, 99)} of the Evening Wire found on {rng.choice(['Wednesday', 'Thursday'])}.")
    return {"id": ident, "text": "\n\n".join(paras), "source": "Evening Wire", "published": "2026-03-25"}


class Client(threading.Thread):
    def __init__(self, n: int, base: str, deadline: float, max_requests: int, bodies: dict[str, list[str]]) -> None:
        super().__init__(daemon=True)
        self.n, self.base, self.deadline, self.max, self.bodies = n, base, deadline, max_requests, bodies
        self.samples: list[tuple[str, float, int]] = []  # (endpoint, seconds, status)
        self.acked: dict[str, str] = {}  # document id -> story id, as the service answered
        self.failures: list[str] = []

    def run(self) -> None:
        rng = random.Random(self.n)
        with httpx.Client(base_url=self.base, timeout=120) as http:
            i = 0
            while time.monotonic() < self.deadline and len(self.samples) < self.max:
                if i % 2 == 0:
                    ident = f"load-{self.n:02d}-{i // 2:05d}"
                    doc = republication(rng, ident, self.bodies) if (i // 2) % 5 == 0 else synthetic(rng, ident)
                    t = time.perf_counter()
                    r = http.post("/documents", json=doc)
                    self.samples.append(("POST /documents", time.perf_counter() - t, r.status_code))
                    if r.status_code == 201 and ident in r.json()["added"]:
                        self.acked[ident] = r.json()["stories"].get(ident, "")
                    else:
                        self.failures.append(f"POST {ident}: {r.status_code} {r.text[:200]}")
                else:
                    t = time.perf_counter()
                    r = http.get("/stories", params={"limit": 50})
                    self.samples.append(("GET /stories", time.perf_counter() - t, r.status_code))
                    if r.status_code != 200:
                        self.failures.append(f"GET /stories: {r.status_code}")
                i += 1


def stats(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    if len(ms) < 2:
        return {"p50_ms": ms[0] if ms else 0.0, "p99_ms": ms[0] if ms else 0.0, "max_ms": ms[-1] if ms else 0.0}
    q = quantiles(ms, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "max_ms": round(ms[-1], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=4000, help="per client")
    args = ap.parse_args()
    if not (1 <= args.clients <= 100 and 0 < args.seconds <= 300):
        ap.error("--clients must be 1..100 and --seconds 0..300 (the test is bounded)")

    with tempfile.TemporaryDirectory(prefix="wiretrace-load-") as tmp:
        import wiretrace

        t0 = time.perf_counter()
        wiretrace.run([CORPUS], out=tmp)
        print(f"store of the sample corpus built in {time.perf_counter() - t0:.1f} s", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "wiretrace.app.cli", "serve", "--store", tmp, "--host", "127.0.0.1", "--port", str(port), "-q"],
        )
        try:
            up = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > up or server.poll() is not None:
                    print("the server did not come up", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            bodies = {}
            for o in ORIGINS:
                d = httpx.get(f"{base}/documents/{o}", timeout=30).json()
                text = "\n".join(d["text"][s:e] for s, e in d["body"])
                bodies[o] = [p.strip() for p in text.splitlines() if p.strip()]
            before = httpx.get(base + "/health").json()
            deadline = time.monotonic() + args.seconds
            clients = [Client(n, base, deadline, args.max_requests, bodies) for n in range(args.clients)]
            t0 = time.perf_counter()
            for c in clients:
                c.start()
            for c in clients:
                c.join(timeout=args.seconds + 180)
            elapsed = time.perf_counter() - t0
            hung = sum(c.is_alive() for c in clients)

            # Did every acknowledged document land, in a story?
            after = httpx.get(base + "/health", timeout=60).json()
            stories = httpx.get(base + "/stories", params={"limit": 10_000}, timeout=120).json()["stories"]
            in_story = {d: s["id"] for s in stories for d in s["documents"]}
            acked = {d: s for c in clients for d, s in c.acked.items()}
            lost = sorted(d for d in acked if d not in in_story)
        finally:
            server.terminate()
            server.wait(timeout=30)

    samples = [s for c in clients for s in c.samples]
    by_endpoint: dict[str, list[float]] = {}
    for name, secs, _ in samples:
        by_endpoint.setdefault(name, []).append(secs)
    errors = sum(1 for _, _, status in samples if status >= 400)
    result = {
        "clients": args.clients, "seconds": round(elapsed, 1), "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1), "errors": errors, "hung_clients": hung,
        **{f"all_{k}": v for k, v in stats([s for _, s, _ in samples]).items()},
        "endpoints": {name: {"requests": len(v), "per_s": round(len(v) / elapsed, 1), **stats(v)}
                      for name, v in sorted(by_endpoint.items())},
        "documents_before": before["documents"], "documents_after": after["documents"],
        "acknowledged": len(acked), "lost": len(lost), "stories_after": after["stories"],
        "pipeline_passes": after.get("passes"),
    }
    print(f"\n{args.clients} clients for {result['seconds']} s on 127.0.0.1: {result['requests']} requests, "
          f"{result['requests_per_s']} req/s, {errors} errors")
    print(f"{'endpoint':<18}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, e in result["endpoints"].items():  # type: ignore[union-attr]
        print(f"{name:<18}{e['requests']:>9}{e['per_s']:>8}{e['p50_ms']:>9}{e['p99_ms']:>9}{e['max_ms']:>9}")
    print(f"{'all':<18}{len(samples):>9}{result['requests_per_s']:>8}{result['all_p50_ms']:>9}"
          f"{result['all_p99_ms']:>9}{result['all_max_ms']:>9}")
    print(f"documents: {result['documents_before']} before, {len(acked)} acknowledged, {result['documents_after']} after; "
          f"lost {len(lost)}{': ' + ', '.join(lost[:5]) if lost else ''}; stories now {result['stories_after']}; "
          f"pipeline passes {result['pipeline_passes']}")
    for c in clients:
        for f in c.failures[:2]:
            print("  failure:", f)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_test.json").write_text(json.dumps(result, indent=1))
    ok = not lost and not errors and not hung and result["documents_after"] == result["documents_before"] + len(acked)
    print("OK: no document lost" if ok else "FAILED", json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
