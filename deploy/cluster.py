"""The scaled-out topology without containers: a PostgreSQL primary and a streaming replica
(initdb, then `pg_basebackup -R`), the API seeded once, N API processes reading from the
replica, and a round-robin load balancer in front, all on free loopback ports in one temporary
directory that is removed afterwards. The replica tests (tests/system/test_replicas.py) use it;
so can you:

    .venv/bin/python -m deploy.cluster            # prints the URLs; Ctrl-C stops everything

Needs PostgreSQL's server binaries (Debian: postgresql; PG_BIN names their directory when
they are not in /usr/lib/postgresql/<newest>/bin). Run as root, the servers run as the
`postgres` user (runuser); run as anyone else, as that user.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "kb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path:
    if "PG_BIN" in os.environ:
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are not installed (apt: postgresql)")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    """`args` as the `postgres` user when this runs as root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    result = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-2000:]}")


@dataclass
class Postgres:
    """One PostgreSQL server: its data directory, port and log file."""

    data: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.data.name}.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        if (self.data / "standby.signal").exists():
            options += " -c log_statement=all"  # replica.log shows which reads it served
        pg_ctl = str(postgres_bin() / "pg_ctl")
        _run([pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop it (`immediate`: as a crash would); nothing when it is not running."""
        if (self.data / "postmaster.pid").exists():
            pg_ctl = str(postgres_bin() / "pg_ctl")
            _run([pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"])

    def sql(self, statement: str, database: str = DATABASE) -> None:
        """Run one statement as the superuser (autocommit)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as connection:
            connection.execute(statement.encode())


# Settings for a throwaway cluster: streaming replication with feedback, so a long read on the
# replica is not cancelled by the primary's vacuum; fsync off (its data is thrown away).
PRIMARY_CONF = """
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
fsync = off
full_page_writes = off
"""


def start_primary(root: Path) -> Postgres:
    primary = Postgres(root / "primary", free_port())
    initdb = str(postgres_bin() / "initdb")
    _run([initdb, "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    with (primary.data / "postgresql.conf").open("a") as conf:
        conf.write(PRIMARY_CONF)
    primary.start()
    primary.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
    return primary


def start_replica(root: Path, primary: Postgres) -> Postgres:
    """A streaming replica of `primary`: a base backup with `-R` (standby.signal and the
    connection to the primary written for it), started on a port of its own."""
    replica = Postgres(root / "replica", free_port())
    basebackup = str(postgres_bin() / "pg_basebackup")
    target = ["-D", str(replica.data), "-R", "-X", "stream", "-c", "fast"]
    _run([basebackup, *target, "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"])
    replica.start()
    return replica


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up: {log.read_text()[-2000:]}")
        time.sleep(0.1)


@dataclass
class Cluster:
    root: Path
    primary: Postgres
    replica: Postgres
    apis: list[str] = field(default_factory=list)
    """The API processes' base URLs."""
    balancer: str = ""
    """The load balancer's base URL: requests take turns among the API processes."""


def _process(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own handle
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_cluster(apis: int = 2, **settings: str) -> Iterator[Cluster]:
    """The whole topology, up and ready; everything stopped and removed afterwards, whatever
    happens. `settings` are extra environment variables for the API processes."""
    root = Path(tempfile.mkdtemp(prefix="kb-cluster-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        primary = start_primary(root)
        stack.callback(primary.stop, "immediate")
        replica = start_replica(root, primary)
        stack.callback(replica.stop, "immediate")
        cluster = Cluster(root, primary, replica)
        env = {
            **os.environ,
            "DATABASE_URL": primary.url(),
            "DATABASE_READ_URLS": replica.url(),
            "LOG_LEVEL": "warning",
            **settings,
        }
        seeded = subprocess.run(
            [sys.executable, "-m", "app.cli", "seed", "--quiet"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"kb seed failed: {seeded.stderr[-2000:]}")
        processes = []
        for number in range(apis):
            port, log = free_port(), root / f"api-{number}.log"
            serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
            process = _process(serve, log, env)
            stack.callback(_stop, process)
            processes.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, base in processes:
            _wait_http(f"{base}/readyz", process, log)
            cluster.apis.append(base)
        port = free_port()
        backends = [arg for base in cluster.apis for arg in ("--backend", base[len("http://") :])]
        balance = [sys.executable, "-m", "deploy.balancer", "--port", str(port), *backends]
        balancer = _process(balance, root / "balancer.log", env)
        stack.callback(_stop, balancer)
        cluster.balancer = f"http://127.0.0.1:{port}"
        _wait_http(f"{cluster.balancer}/healthz", balancer, root / "balancer.log")
        yield cluster


def main() -> None:
    parser = argparse.ArgumentParser(description="Start the scaled-out topology locally.")
    parser.add_argument("--apis", type=int, default=2, help="API processes (default 2)")
    args = parser.parse_args()
    with running_cluster(args.apis) as cluster:
        print(f"primary    {cluster.primary.url()}")
        print(f"replica    {cluster.replica.url()}")
        for base in cluster.apis:
            print(f"api        {base}")
        print(f"balancer   {cluster.balancer}   (Ctrl-C stops everything)", flush=True)
        # Blocked only now: the servers started above must still take SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})


if __name__ == "__main__":
    main()
