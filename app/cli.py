"""The `kb` command: serve, migrate, seed, check, export and import; manage API keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import orjson
import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.config import get_settings
from app.errors import Conflict, NotFound, ServiceUnavailable
from app.fhir.search import collection
from app.http.logs import logging_config
from app.models import ApiKeyCreate, AuditEntry, Role, SeedDocument
from app.store.engine import database_fault, make_engine, migrate
from app.writes.keys import create_key, list_keys, revoke_key
from app.writes.seed import (
    DocumentTooLarge,
    OnWrites,
    SeedError,
    TooManyDeletions,
    WritesSinceSeed,
    describe_write,
    export_bytes,
    read_document,
    seed_database,
    work_units,
)
from app.writes.service import import_document

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


COMMAND_LOCK_TIMEOUT = 30.0
"""Seconds a command waits for the writers' lock (a request's write, another command) before
it gives up: longer than a request's wait, since nobody is waiting on a socket for it."""


def _engine(*, create: bool = False) -> Engine:
    """The database of DATABASE_URL. Only `kb seed` and `kb migrate` create a SQLite file."""
    return make_engine(
        get_settings().database_url, lock_timeout=COMMAND_LOCK_TIMEOUT, create=create
    )


def _fail(error: SeedError, path: Path) -> NoReturn:
    """Every problem of the document, one a line; exit 1, or 2 for a broken parsing limit."""
    for problem in error.problems:
        typer.echo(f"{path}: {problem}", err=True)
    typer.echo(f"{len(error.problems)} problem(s); nothing was written.", err=True)
    raise typer.Exit(code=2 if isinstance(error, DocumentTooLarge) else 1)


def _read(path: Path) -> SeedDocument:
    try:
        return read_document(path, max_bytes=get_settings().document_max_bytes)
    except SeedError as error:
        _fail(error, path)


def _refuse_deletions(refused: TooManyDeletions, path: Path, command: str) -> NoReturn:
    """List what the document would remove, and exit 2."""
    for change in refused.removals:
        typer.echo(f"  {change}", err=True)
    share = len(refused.removals) / refused.held if refused.held else 1.0
    typer.echo(
        f"{path} would remove the {len(refused.removals)} records and links above, "
        f"{share:.0%} of the {refused.held} the database holds (the limit is "
        f"{refused.max_share:.0%}, MAX_DELETION_SHARE); nothing was written. If that is "
        f"meant, run `{command} --allow-deletions`.",
        err=True,
    )
    raise typer.Exit(code=2)


ALLOW_DELETIONS = typer.Option(
    "--allow-deletions",
    help="Remove records and links missing from the file even beyond MAX_DELETION_SHARE of "
    "what the database holds (default 10%).",
)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (run `kb seed` first)."""
    settings = get_settings()
    # X-Forwarded-For and X-Forwarded-Proto only from the proxies named in TRUSTED_PROXIES:
    # believed from anyone else, they let a client pick the address it is rate-limited and
    # logged by.
    trusted = settings.trusted_proxies
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=logging_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        # problem+json for requests uvicorn cannot parse; shutdown that drains kept-alive
        # connections (app/http/connection.py)
        http="app.http.connection:KnowledgeBaseProtocol",
    )


@cli.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest version."""
    engine = _engine(create=True)
    migrate(engine)
    engine.dispose()
    typer.echo("schema is current")


@cli.command()
def seed(
    file: Annotated[
        Path | None, typer.Option(help="Seed document (default: data/seed.json).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Load a changed file even over writes made since the last seed (they are "
            "reverted; the audit trail keeps them).",
        ),
    ] = False,
    keep_writes: Annotated[
        bool,
        typer.Option(
            "--keep-writes",
            help="When the file changed and the database holds writes made since the last "
            "seed, keep the database as it is and say so (exit 0), instead of refusing.",
        ),
    ] = False,
    allow_deletions: Annotated[bool, ALLOW_DELETIONS] = False,
) -> None:
    """Migrate, validate the seed and load it in one transaction.

    The file last loaded is remembered: loading it again does nothing. A changed file is
    refused (exit 2) while the database holds writes made since the last seed through the API
    or `kb import`, so that no curator's work is undone without a word."""
    if overwrite and keep_writes:
        typer.echo("--overwrite and --keep-writes exclude each other", err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    path = file or settings.seed_file
    document = _read(path)
    engine = _engine(create=True)
    migrate(engine)
    on_writes: OnWrites = "overwrite" if overwrite else "keep" if keep_writes else "fail"
    try:
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
            outcome = seed_database(
                engine,
                document,
                name=path.name,
                on_writes=on_writes,
                progress=lambda amount: bar.advance(task, amount),
                max_deletion_share=None if allow_deletions else settings.max_deletion_share,
            )
    except TooManyDeletions as too_many:
        _refuse_deletions(too_many, path, "kb seed")
    except WritesSinceSeed as refused:
        _list_writes(refused.writes, path, "would revert")
        typer.echo(
            f"{path} changed since it was last loaded, and loading it would revert the "
            "writes above; nothing was written. To keep them, write the database back to "
            f"the file (`kb export --out {path}`), review and commit it; to revert them, "
            "run `kb seed --overwrite`.",
            err=True,
        )
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    if outcome.unchanged_file:
        if outcome.writes_since:
            typer.echo(
                f"{path} is the file last loaded; kept {len(outcome.writes_since)} write(s) "
                "made since.",
                err=True,
            )
        typer.echo(f"seeded from {path}: no changes")
        return
    if not outcome.loaded:
        _list_writes(outcome.writes_since, path, "kept")
        typer.echo(
            f"{path} changed since it was last loaded, but the database holds the writes "
            f"above; it was NOT loaded. Keep them with `kb export --out {path}`, or revert "
            "them with `kb seed --overwrite`.",
            err=True,
        )
        return
    counts: dict[str, int] = {}
    for change in outcome.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    summary = ", ".join(
        f"{counts.get(action, 0)} {action}" for action in ("add", "change", "remove")
    )
    if outcome.writes_since:
        _list_writes(outcome.writes_since, path, "reverted")
    changed = outcome.changes
    typer.echo(f"seeded from {path}: {summary}" if changed else f"seeded from {path}: no changes")


def _list_writes(writes: list[AuditEntry], path: Path, verb: str) -> None:
    typer.echo(f"{len(writes)} write(s) since {path} was last loaded ({verb}):", err=True)
    for entry in writes:
        typer.echo(f"  {describe_write(entry)}", err=True)


@cli.command()
def check(file: Annotated[Path, typer.Argument(help="Seed document to validate.")]) -> None:
    """Validate a seed document; write nothing; exit non-zero listing every problem (2 when
    it breaks a parsing limit: size, nesting depth, number length)."""
    _read(file)
    typer.echo(f"{file}: valid")


ExportFormat = Literal["seed", "fhir"]


@cli.command()
def export(
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="seed: a seed document; fhir: a FHIR R5 Bundle of type collection (its "
            "fullUrls under PUBLIC_BASE_URL, or this server's host and port, + /fhir/r5).",
        ),
    ] = "seed",
) -> None:
    """Write the database as a seed document (canonical order), or as a FHIR R5 Bundle."""
    engine = _engine()
    if format == "fhir":
        settings = get_settings()
        base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
        with engine.connect() as connection:
            data = orjson.dumps(collection(connection, str(base).rstrip("/") + "/fhir/r5"))
    else:
        with Session(engine) as session:
            data = export_bytes(session)
    engine.dispose()
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        typer.echo(f"exported to {out}", err=True)


@cli.command()
def openapi(
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    examples: Annotated[
        bool, typer.Option(help="With the seed's examples (they hold the load's timestamps).")
    ] = True,
) -> None:
    """Write the OpenAPI document /openapi.json serves. The TypeScript client in
    clients/typescript/ is generated from it `--no-examples`, so that it changes only when the
    contract does."""
    from uvicorn.importer import import_from_string

    from app.http.openapi import build_document

    # The app `kb serve` runs, named the way `serve` names it (the CLI sits beside app.main).
    app = import_from_string("app.main:app")
    document = app.openapi() if examples else build_document(app)
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out}", err=True)


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Seed document, e.g. from GET /v1/export.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes; write nothing.")
    ] = False,
    allow_deletions: Annotated[bool, ALLOW_DELETIONS] = False,
) -> None:
    """Make the database hold exactly FILE: validate, print each change, apply in one
    transaction with an audit entry."""
    document = _read(file)
    engine = _engine()
    migrate(engine)
    share = None if allow_deletions else get_settings().max_deletion_share
    try:
        changes = import_document(
            engine, document, name=file.name, dry_run=dry_run, max_deletion_share=share
        )
    except TooManyDeletions as too_many:
        _refuse_deletions(too_many, file, "kb import")
    finally:
        engine.dispose()
    counts = dict.fromkeys(("add", "change", "remove"), 0)
    for change in changes:
        counts[change.action] += 1
        typer.echo(str(change))
    summary = ", ".join(f"{count} {action}" for action, count in counts.items())
    if dry_run:
        typer.echo(f"dry run of {file}: {summary}; nothing was written")
    else:
        typer.echo(f"imported {file}: {summary}" if changes else f"imported {file}: no changes")


keys = typer.Typer(no_args_is_help=True, help="API keys: who may write (reads need none).")
cli.add_typer(keys, name="keys")


def _key_engine() -> Engine:
    engine = _engine()
    migrate(engine)
    return engine


@keys.command("create")
def create_key_command(
    name: Annotated[str, typer.Option(help="Who holds it; it signs their audit entries.")],
    role: Annotated[Role, typer.Option(help="reader (no writes), editor or admin.")],
) -> None:
    """Create a key and print it, once: only its hash is stored."""
    try:
        data = ApiKeyCreate.model_validate({"name": name, "role": role})
    except ValidationError:
        typer.echo(f"invalid name {name!r}: letters, digits and . _ @ - (at most 80)", err=True)
        raise typer.Exit(code=1) from None
    engine = _key_engine()
    try:
        with Session(engine) as session:
            row, key = create_key(session, data)
    except Conflict as error:
        typer.echo(error.detail, err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(key)
    typer.echo(
        f"created {row.role} key '{row.name}' (kb_{row.prefix}_…); store it now: "
        "it cannot be shown again",
        err=True,
    )


@keys.command("list")
def list_keys_command() -> None:
    """List keys: name, role, prefix, created, revoked (never the secret)."""
    engine = _key_engine()
    with Session(engine) as session:
        rows = list_keys(session)
    engine.dispose()
    for row in rows:
        revoked = f"revoked {row.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if row.revoked_at else "active"
        created = f"{row.created_at:%Y-%m-%dT%H:%M:%SZ}"
        typer.echo(f"{row.name}\t{row.role}\tkb_{row.prefix}_…\t{created}\t{revoked}")


@keys.command("revoke")
def revoke_key_command(
    name: Annotated[str, typer.Argument(help="The key's name, as `kb keys list` shows it.")],
) -> None:
    """Revoke a key: from the next request on it gets 403."""
    engine = _key_engine()
    try:
        with Session(engine) as session:
            row = revoke_key(session, name)
    except NotFound as error:
        typer.echo(error.detail, err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(f"revoked key '{row.name}'")


def main() -> None:
    """`kb`: a database fault (busy, read-only, unreachable, no file) is one line, exit 1."""
    try:
        cli()
    except (ServiceUnavailable, SQLAlchemyError) as error:
        fault = database_fault(error)
        if fault is None:
            raise
        typer.echo(f"kb: {fault.detail}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
