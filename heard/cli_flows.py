"""`heard flows check` and `heard try`: check flow files, and chat with a flow in a terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from flows import FlowError, Input, Library, Message, Step, inspect_flow, load_flow, resume, start
from flows.inspection import figures
from flows.loader import BUILTIN_DIR, flow_files, load_library

app = typer.Typer(help="Check flow files.", no_args_is_help=True, add_completion=False)


def _report(paths: list[Path]) -> dict[str, Any]:
    """Load and inspect every flow file under `paths`; return errors, warnings and figures."""
    reports: list[dict[str, Any]] = []
    loaded = []
    for file in flow_files(paths):
        report: dict[str, Any] = {
            "file": str(file),
            "id": None,
            "version": None,
            "errors": [],
            "warnings": [],
            "figures": None,
        }
        try:
            flow = load_flow(file)
        except FlowError as exc:
            report["errors"] = [error.to_dict() for error in exc.errors]
        else:
            loaded.append((flow, report))
            report["id"], report["version"] = flow.id, flow.version
            report["warnings"] = [warning.to_dict() for warning in inspect_flow(flow)]
            report["figures"] = figures(flow)
        reports.append(report)
    # An `enter_flow` may name a built-in flow or another flow being checked.
    library = Library(load_flow(file) for file in flow_files([BUILTIN_DIR]))
    for flow, _ in loaded:
        library.add(flow)
    for flow, report in loaded:
        report["errors"] += [error.to_dict() for error in library.check_links([flow])]
    return {
        "flows": reports,
        "errors": sum(len(report["errors"]) for report in reports),
        "warnings": sum(len(report["warnings"]) for report in reports),
    }


def _where(finding: dict[str, Any]) -> str:
    where = finding["file"] or ""
    if finding["line"] is not None:
        where += f":{finding['line']}"
    node = f" node {finding['node']!r}:" if finding["node"] else ""
    return f"{where}:{node} {finding['message']}"


def _print_report(result: dict[str, Any]) -> None:
    for report in result["flows"]:
        title = f"{report['file']}"
        if report["id"]:
            title += f"  ({report['id']} v{report['version']})"
        typer.echo(title)
        figures_ = report["figures"]
        if figures_:
            longest, lowest = figures_["longest"], figures_["lowest_reading_ease"]
            typer.echo(
                f"  messages: {figures_['messages']}; longest: {longest['chars']} chars "
                f"({longest['node']}, {longest['language']}); lowest English reading "
                f"ease: {lowest['score']} ({lowest['node']})"
            )
            coverage = ", ".join(
                f"{language} {data['percent']:g}% {data['status']}"
                for language, data in figures_["coverage"].items()
            )
            typer.echo(f"  translations: {coverage}")
        for error in report["errors"]:
            typer.echo(f"  error: {_where(error)}")
        for warning in report["warnings"]:
            typer.echo(f"  warning: {_where(warning)}")
        typer.echo(f"  {len(report['errors'])} errors, {len(report['warnings'])} warnings")
    typer.echo(
        f"{len(result['flows'])} flows: {result['errors']} errors, {result['warnings']} warnings"
    )


@app.command("check")
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Flow files or directories (default: the built-in flows)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Check flow files: errors, accessibility warnings and figures; exit 1 on any error."""
    result = _report(paths or [BUILTIN_DIR])
    if json_output:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_report(result)
    if result["errors"] or not result["flows"]:
        raise typer.Exit(1)


def _show(step: Step, json_output: bool) -> None:
    messages = [event for event in step.events if isinstance(event, Message)]
    for index, message in enumerate(messages):
        last = index == len(messages) - 1
        if json_output:
            typer.echo(
                json.dumps(
                    {
                        "text": message.text,
                        "options": [option.to_dict() for option in message.options],
                        "ended": step.ended and last,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        typer.echo(f"Heard: {message.text}")
        for number, option in enumerate(message.options, start=1):
            typer.echo(f"  {number}. {option.emoji} {option.label}")
    if not messages and step.ended and json_output:
        typer.echo(json.dumps({"text": "", "options": [], "ended": True}))
    if step.ended and not json_output:
        typer.echo("(the flow has ended)")


def try_flow(
    flow: Annotated[str, typer.Argument(help="The flow id, e.g. checkin.")],
    lang: Annotated[str, typer.Option("--lang", help="Language code: en, pl or ro.")] = "en",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A flow param as name=value, e.g. proposal='Open Sundays'."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON object per reply, per line.")
    ] = False,
) -> None:
    """Chat with a flow in the terminal, reading your replies from stdin."""
    library = load_library()
    if library.get(flow) is None:
        typer.echo(f"No flow {flow!r}. Flows: {', '.join(library.ids())}", err=True)
        raise typer.Exit(2)
    params = dict(item.split("=", 1) for item in param or [] if "=" in item)
    step = start(library, flow, language=lang, params=params)
    _show(step, json_output)
    while not step.ended:
        line = sys.stdin.readline()
        if not line:
            break
        text = line.rstrip("\r\n")
        if not json_output and not sys.stdin.isatty():
            typer.echo(f"> {text}")
        step = resume(library, step.session, Input(text=text))
        _show(step, json_output)
