"""A round-robin TCP load balancer for the container-free topology (deploy/cluster.py): each
connection goes to the next backend that accepts it. compose.yaml uses nginx instead.

    python -m deploy.balancer --port 8080 --backend 127.0.0.1:8001 --backend 127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import asyncio
import itertools


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    turn = itertools.count()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        start = next(turn)
        for step in range(len(backends)):
            host, backend_port = backends[(start + step) % len(backends)]
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(host, backend_port)
            except OSError:
                continue  # that backend is down: the next one takes the connection
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            return
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="host:port")
    args = parser.parse_args()
    backends = [(b.rpartition(":")[0], int(b.rpartition(":")[2])) for b in args.backend]
    asyncio.run(serve(args.port, backends))


if __name__ == "__main__":
    main()
