"""The `heard` command line."""

import typer

from heard import cli_admin, cli_doctor, cli_flows, serve
from heard.logs import configure_from_environment

app = typer.Typer(
    help="Heard: anonymous, accessible feedback over an SMS-like Telegram chat.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("api")(serve.api)
app.command("bot")(serve.bot)
app.command("try")(cli_flows.try_flow)
app.add_typer(cli_flows.app, name="flows")
app.add_typer(cli_admin.keys_app, name="keys")
app.add_typer(cli_admin.sites_app, name="sites")
app.add_typer(cli_admin.db_app, name="db")
app.command("doctor")(cli_doctor.doctor)


def main() -> None:
    """Run the `heard` command."""
    configure_from_environment()
    app()
