"""The `kb` command: serve, migrate, seed, check and export the knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from app.config import get_settings
from app.db import make_engine, migrate
from app.logs import logging_config
from app.seed import SeedError, export_bytes, load_document, read_document, work_units

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _fail(error: SeedError, path: Path) -> None:
    for problem in error.problems:
        typer.echo(f"{path}: {problem}", err=True)
    typer.echo(f"{len(error.problems)} problem(s); nothing was written.", err=True)
    raise typer.Exit(code=1)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (run `kb seed` first)."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=logging_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


@cli.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest version."""
    engine = make_engine(get_settings().database_url)
    migrate(engine)
    engine.dispose()
    typer.echo("schema is current")


@cli.command()
def seed(
    file: Annotated[
        Path | None, typer.Option(help="Seed document (default: data/seed.json).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Migrate, validate the seed and load it in one transaction."""
    settings = get_settings()
    path = file or settings.seed_file
    try:
        document = read_document(path)
    except SeedError as error:
        _fail(error, path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Progress(
        TextColumn("loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("load", total=work_units(document))
        changes = load_document(engine, document, progress=lambda amount: bar.advance(task, amount))
    engine.dispose()
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    summary = ", ".join(
        f"{counts.get(action, 0)} {action}" for action in ("add", "change", "remove")
    )
    typer.echo(f"seeded from {path}: {summary}" if changes else f"seeded from {path}: no changes")


@cli.command()
def check(file: Annotated[Path, typer.Argument(help="Seed document to validate.")]) -> None:
    """Validate a seed document; write nothing; exit non-zero listing every problem."""
    try:
        read_document(file)
    except SeedError as error:
        _fail(error, file)
    typer.echo(f"{file}: valid")


@cli.command()
def export(
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Write the database as a seed document (canonical order)."""
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        data = export_bytes(session)
    engine.dispose()
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        typer.echo(f"exported to {out}", err=True)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
