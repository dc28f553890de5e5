"""`python -m eval.load [--clients 20,50] [--seconds 30] [--workers 1,2] [--no-churn]`: `docqa serve --workers W`
over a copy of corpus/ under N concurrent loopback clients on /ask, then on /search, while another client
uploads and deletes a document in a loop (not with `--no-churn`). Prints a Markdown table: requests/s, p50/p95
latency, errors (any non-2xx or transport error), incomplete answers (an /ask without an answer, or an answer
neither cited nor an abstention), the uploads and deletions done meanwhile, and how many answers each worker
process gave."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from docqa.settings import Settings, get_settings
from docqa.store import Index
from eval.bench import DEV, row, server_env
from eval.dataset import load_dataset
from eval.metrics import percentile
from eval.servers import free_port, wait_for_port
from ingest.pipeline import ingest

NOTE = "Note de charge {n} : le Health Data Hub héberge des données de santé pour la recherche.".encode()


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.incomplete = 0
        self.workers: Counter[str] = Counter()  # answers by worker process
        self.lock = threading.Lock()


def complete(route: str, body: object) -> bool:
    if route == "/search":
        return isinstance(body, dict) and isinstance(body.get("hits"), list)
    return isinstance(body, dict) and bool(body.get("answer")) and (body["abstained"] or bool(body["citations"]))


def client(base: str, route: str, questions: list[str], first: int, step: int, stop: float, tally: Tally) -> None:
    key = "query" if route == "/search" else "question"
    with httpx.Client(base_url=base, timeout=120) as http:
        i = first
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                response = http.post(route, json={key: questions[i % len(questions)]})
                ok, body = response.status_code == 200, response.json()
                worker = response.headers.get("x-docqa-worker", "")
            except (httpx.HTTPError, ValueError) as exc:
                ok, body, worker = False, repr(exc), ""
            with tally.lock:
                if not ok:
                    tally.errors.append(str(body)[:200])
                else:
                    tally.workers[worker] += 1
                    tally.latencies.append((time.perf_counter() - started) * 1000)
                    tally.incomplete += not complete(route, body)
            i += step


def churn(base: str, stop: float, tally: Tally) -> int:
    """Upload a note, delete it, again, until `stop`, each request on a new connection (so on any worker);
    returns the uploads done."""
    done = 0
    while time.monotonic() < stop:
        note = {"file": (f"charge-{done}.txt", NOTE.replace(b"{n}", b"%d" % done))}
        added = httpx.post(f"{base}/documents", files=note, timeout=120)
        removed = httpx.delete(f"{base}/documents/charge-{done}", timeout=120) if added.status_code == 201 else added
        for response in (added, removed):
            if response.status_code != 200 and response.status_code != 201:
                tally.errors.append(f"{response.request.method} {response.status_code} {response.text[:200]}")
        done += 1
    return done


def run(base: str, route: str, clients: int, seconds: float, questions: list[str], workers: int, churning: bool) -> str:
    tally, uploads = Tally(), [0]
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(base, route, questions, n, clients, stop, tally)) for n in range(clients)
    ]
    if churning:
        threads.append(threading.Thread(target=lambda: uploads.__setitem__(0, churn(base, stop, tally))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return row(
        f"HTTP {route}, {clients} clients, {seconds:.0f} s, "
        f"{'uploads + deletions meanwhile' if churning else 'no uploads'}, --workers {workers}",
        f"{len(tally.latencies) / seconds:.1f} req/s",
        f"p50 {percentile(tally.latencies, 50):.0f} ms, p95 {percentile(tally.latencies, 95):.0f} ms, "
        f"{len(tally.errors)} errors, {tally.incomplete} incomplete answers, {uploads[0]} uploads and deletions, "
        f"answers by worker {'/'.join(str(n) for n in sorted(tally.workers.values(), reverse=True))}"
        + (f"; first error: {tally.errors[0]}" if tally.errors else ""),
    )


def main(client_counts: list[int], seconds: float, worker_counts: list[int], churning: bool = True) -> None:
    base_settings = get_settings()
    work = Path(tempfile.mkdtemp(prefix="docqa-load-"))
    lines = ["| measure | docqa | notes |", "|---|---|---|"]
    try:
        settings = base_settings.model_copy(update={"data_dir": work / "data"})
        ingest([base_settings.corpus_dir], Index(settings), settings)
        questions = [q.question for q in load_dataset(DEV)]
        for workers in worker_counts:
            lines += serve_and_load(settings, workers, client_counts, seconds, questions, churning)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))


def wait_for_workers(base: str, workers: int, seconds: float) -> None:
    """Return once `workers` processes answer (each listens once its engine is loaded): else the clients'
    connections, opened at once and kept, would all go to the first ones."""
    deadline, seen = time.monotonic() + seconds, set()
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(seen)} of {workers} workers answer after {seconds} s")
        seen.add(httpx.get(f"{base}/health", timeout=seconds).headers["x-docqa-worker"])
        time.sleep(0.1)


def serve_and_load(
    settings: Settings, workers: int, client_counts: list[int], seconds: float, questions: list[str], churning: bool
) -> list[str]:
    """The table's rows of a `docqa serve --workers W` process over the index of `settings`."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=server_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 300)
        base = f"http://127.0.0.1:{port}"
        wait_for_workers(base, workers, 300)
        routes = ("/ask", "/search")
        return [run(base, r, n, seconds, questions, workers, churning) for n in client_counts for r in routes]
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="20,50", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of load per route and client count")
    parser.add_argument("--workers", default="1", help="comma-separated numbers of `docqa serve` worker processes")
    parser.add_argument("--no-churn", action="store_true", help="no uploads and deletions during the load")
    args = parser.parse_args()
    clients, workers = [int(n) for n in args.clients.split(",")], [int(n) for n in args.workers.split(",")]
    main(clients, args.seconds, workers, churning=not args.no_churn)
