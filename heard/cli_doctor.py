"""`heard doctor`: check a deployment and say, in plain words, what to fix."""

import json

import typer

from heard.doctor import Finding, run_checks

LABELS = {"ok": "OK     ", "warning": "WARNING", "problem": "PROBLEM"}


def _render(finding: Finding) -> str:
    line = f"{LABELS[finding.status]}  {finding.check:<11} {finding.message}"
    if finding.fix and finding.status != "ok":
        line += f"\n{'':<9}{'':<12}What to do: {finding.fix}"
    return line


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    telegram_timeout: float = typer.Option(
        5.0, help="Seconds to wait for Telegram's getMe before calling it unreachable."
    ),
) -> None:
    """Check settings, database, voice tools, Telegram and the webhook; exit 1 on problems."""
    findings = run_checks(telegram_timeout=telegram_timeout)
    problems = [f for f in findings if f.status == "problem"]
    warnings = [f for f in findings if f.status == "warning"]
    if as_json:
        typer.echo(
            json.dumps({"ok": not problems, "findings": [f.to_dict() for f in findings]}, indent=2)
        )
    else:
        for finding in findings:
            typer.echo(_render(finding))
        typer.echo(
            f"\n{len(problems)} problem(s), {len(warnings)} warning(s)."
            + (" Fix the problems before going live." if problems else " Ready to run.")
        )
    raise typer.Exit(code=1 if problems else 0)
