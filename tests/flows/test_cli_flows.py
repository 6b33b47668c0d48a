"""`heard flows check` and `heard try`, through the typer app the root CLI mounts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from heard import cli_flows

BROKEN = Path(__file__).parent / "broken"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(cli_flows.app, name="flows")
    app.command("try")(cli_flows.try_flow)
    return app


def test_check_passes_the_builtins_with_no_errors_or_warnings(cli) -> None:
    result = CliRunner().invoke(cli, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("6 flows: 0 errors, 0 warnings")
    assert "translations: en 100% reviewed, pl 100% draft, ro 100% draft" in result.output


def test_check_json_gives_figures_for_machines(cli) -> None:
    result = CliRunner().invoke(cli, ["flows", "check", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["errors"], data["warnings"]) == (0, 0)
    checkin = next(f for f in data["flows"] if f["id"] == "checkin")
    assert checkin["figures"]["messages"] == 7
    assert checkin["figures"]["longest"]["chars"] <= 160
    assert checkin["figures"]["lowest_reading_ease"]["score"] >= 80
    assert checkin["figures"]["coverage"]["pl"]["status"] == "draft"


def test_check_fails_on_a_broken_flow_and_names_file_node_and_line(cli) -> None:
    result = CliRunner().invoke(cli, ["flows", "check", str(BROKEN / "missing_node.yaml")])
    assert result.exit_code == 1
    assert f"{BROKEN / 'missing_node.yaml'}:9: node 'hello': next goes to missing node" in (
        result.output
    )


def test_check_a_directory_json_counts_every_error(cli) -> None:
    result = CliRunner().invoke(cli, ["flows", "check", str(BROKEN), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["errors"] == len(list(BROKEN.glob("*.yaml")))


def test_check_reports_warnings_without_failing(cli, tmp_path) -> None:
    flow = tmp_path / "wordy.yaml"
    flow.write_text(
        "id: wordy\nversion: 1\nexpiry: 1d\nlanguages: {en: reviewed}\n"
        "nodes:\n  - id: bye\n    say: {en: Bye.}\n"
    )
    result = CliRunner().invoke(cli, ["flows", "check", str(flow)])
    assert result.exit_code == 0
    assert "1 flows: 0 errors, 1 warnings" in result.output
    assert "a path ends here without a thank-you" in result.output


def test_try_checkin_finishes_with_the_scripted_lines(cli) -> None:
    result = CliRunner().invoke(
        cli, ["try", "checkin", "--json"], input="1\n2\nThe staff listened\nno\n"
    )
    assert result.exit_code == 0
    replies = [json.loads(line) for line in result.output.splitlines()]
    assert replies[0]["text"] == "How are things for you today?"
    assert [o["emoji"] for o in replies[0]["options"]] == ["😞", "😕", "😐", "🙂", "😄"]
    assert set(replies[0]["options"][0]) == {"key", "emoji", "label"}
    assert replies[-1]["ended"] is True
    assert not any(reply["ended"] for reply in replies[:-1])


def test_try_prints_numbered_options_and_stops_when_input_runs_out(cli) -> None:
    result = CliRunner().invoke(cli, ["try", "feedback", "--lang", "ro"], input="5\n")
    assert result.exit_code == 0
    assert "Heard: Cum a fost serviciul?" in result.output
    assert "  5. 😄 Super" in result.output
    assert "Heard: Ce a fost bun?" in result.output
    assert "(the flow has ended)" not in result.output


def test_try_unknown_flow_exits_with_an_error(cli) -> None:
    result = CliRunner().invoke(cli, ["try", "nope"])
    assert result.exit_code == 2


def _root_cli_works() -> bool:
    heard = shutil.which("heard", path=str(ROOT / ".venv" / "bin"))
    if heard is None:
        return False
    probe = subprocess.run([heard, "--help"], capture_output=True, cwd=ROOT)
    return probe.returncode == 0


@pytest.mark.skipif(not _root_cli_works(), reason="the root `heard` command is not ready")
def test_heard_try_checkin_through_the_real_command() -> None:
    heard = str(ROOT / ".venv" / "bin" / "heard")
    done = subprocess.run(
        [heard, "try", "checkin", "--json"],
        input="1\n2\nThe staff listened\nno\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1])["ended"] is True
    checked = subprocess.run([heard, "flows", "check"], capture_output=True, text=True, cwd=ROOT)
    assert checked.returncode == 0 and "0 errors, 0 warnings" in checked.stdout
    assert sys.executable
