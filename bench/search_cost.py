"""CPU per condition search, in process, at each data size: does the search's own work grow?

`make bench` measures searches under load (wrk, 4 connections), where p50 is mostly queueing
and moves with the machine. This measures what the app spends on one search: the same words
as the bench's "distinct: condition searches" scenario, the response cache off, one request at
a time, CPU time of this process (less sensitive to other processes than wall time).

    .venv/bin/python bench/search_cost.py --sizes 1000,100000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import scenarios, seed  # noqa: E402

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402


def measure(size: int, rounds: int) -> tuple[float, float]:
    """(CPU ms per search, wall p50 ms) over `rounds` passes of the scenario's searches."""
    database, document, _ = seed(size)
    plan = {scenario.name: scenario for scenario in scenarios(document, search_available=True)}
    paths = plan["distinct: condition searches"].api_paths
    settings = Settings(
        database_url=f"sqlite:///{database}", response_cache_bytes=0, log_level="warning"
    )
    with TestClient(create_app(settings, openapi_examples=False)) as client:
        for path in paths:  # warm: the file's pages and the app's prepared statements
            assert client.get(path).status_code == 200
        walls = []
        started = time.process_time()
        for _ in range(rounds):
            for path in paths:
                begun = time.perf_counter()
                client.get(path)
                walls.append(time.perf_counter() - begun)
        cpu = time.process_time() - started
    walls.sort()
    return cpu / len(walls) * 1000, walls[len(walls) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {size: measure(size, args.rounds) for size in map(int, args.sizes.split(","))}
    first = next(iter(results.values()))
    print("| records | CPU ms per search | wall p50 ms | CPU vs the first size |")
    print("|---|---|---|---|")
    for size, (cpu, p50) in results.items():
        print(f"| {size:,} | {cpu:.2f} | {p50:.2f} | {cpu / first[0]:.2f}x |")


if __name__ == "__main__":
    main()
