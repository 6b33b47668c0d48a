"""`heard keys`, `heard sites` and `heard db`: an admin's commands, straight on the database."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlmodel import Session

from api.db import make_engine, session_scope
from api.errors import DomainError
from api.settings import Settings, get_settings

keys_app = typer.Typer(
    help="Staff keys: create one for a role (shown once), list them, revoke one.",
    no_args_is_help=True,
)
sites_app = typer.Typer(help="Sites: the places people use a service.", no_args_is_help=True)
db_app = typer.Typer(help="The database: migrate it, purge old raw data.", no_args_is_help=True)


def _ready(settings: Settings) -> None:
    """Migrate first outside production, so `heard keys create` works on a fresh checkout."""
    if settings.env != "production":
        from api.migrations import upgrade_database

        upgrade_database(settings.database_url)


@contextmanager
def _session() -> Iterator[Session]:
    settings = get_settings()
    _ready(settings)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            yield session
    except DomainError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()


# --- keys ---------------------------------------------------------------------------------


@keys_app.command("create")
def create_key(
    role: str = typer.Option(..., "--role", help="admin, coordinator or outreach."),
    label: str = typer.Option("", "--label", help="Whose key this is, e.g. 'Sam, outreach'."),
) -> None:
    """Create a staff key and print it, alone on the last line. It is shown only this once."""
    from api.admin.service import create_key as make

    with _session() as session:
        row, key = make(session, role=role, label=label)
        key_id = row.id
    typer.echo(f"Created {role} key {key_id}. Store it now: only its hash is kept.", err=True)
    typer.echo(key)


@keys_app.command("list")
def list_keys() -> None:
    """List staff keys: id, role, label, prefix and when made or revoked (never the key)."""
    from api.admin.service import list_keys as rows

    with _session() as session:
        keys = rows(session)
        for key in keys:
            revoked = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(
                f"{key.id}\t{key.role}\t{key.prefix}…\t{key.created_at:%Y-%m-%d}\t{revoked}"
                f"\t{key.label}"
            )
    if not keys:
        typer.echo("No keys yet. Make one: heard keys create --role admin", err=True)


@keys_app.command("revoke")
def revoke_key(
    key_id: int = typer.Argument(..., help="The key's id (see `heard keys list`)."),
) -> None:
    """Revoke a staff key; it stops working at once."""
    from api.admin.service import revoke_key as revoke

    with _session() as session:
        revoke(session, key_id=key_id)
    typer.echo(f"Revoked key {key_id}.")


# --- sites --------------------------------------------------------------------------------


@sites_app.command("create")
def create_site(
    name: str = typer.Argument(..., help="The site's name, e.g. 'Riverside hostel'."),
) -> None:
    """Create a site and print its id, alone on the last line."""
    from api.admin.service import create_site as make

    with _session() as session:
        site = make(session, name=name)
        site_id = site.id
    typer.echo(f"Created site {site_id}: {name}", err=True)
    typer.echo(str(site_id))


@sites_app.command("list")
def list_sites() -> None:
    """List sites: id, name and when made."""
    from api.admin.service import list_sites as rows

    with _session() as session:
        sites = rows(session)
        for site in sites:
            typer.echo(f"{site.id}\t{site.created_at:%Y-%m-%d}\t{site.name}")
    if not sites:
        typer.echo("No sites yet. Make one: heard sites create NAME", err=True)


# --- db -----------------------------------------------------------------------------------


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database at HEARD_DATABASE_URL to the newest schema."""
    from api.migrations import current_revision, upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"Database at revision {current_revision(settings.database_url)}.")


@db_app.command("purge")
def purge() -> None:
    """Delete raw free text and audio older than HEARD_RETENTION_DAYS; keep tags and counts."""
    from api.retention import purge as run_purge

    settings = get_settings()
    _ready(settings)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            outcome = run_purge(session, settings=settings)
    finally:
        engine.dispose()
    typer.echo(f"Purged data older than {settings.retention_days} days: {outcome}")
