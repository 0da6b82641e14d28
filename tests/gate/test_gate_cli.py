"""Bad input to `shopflow-qa gate` / `report`: one line, exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopflow_qa.cli.main import app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["gate", "--suites", "smoke,bogus"],
            "--suites: unknown area 'bogus' (known: smoke, contract, payments, checkout, admin)",
        ),
        (["gate", "--load-duration", "soon"], "--load-duration: expected e.g. 30s or 2m, got 'soon'"),
        (["gate", "--env", "nowhere"], "unknown environment 'nowhere'"),
        (["report", "no-such-run"], "no run folder 'no-such-run'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPFLOW_REPORTS_DIR", str(tmp_path))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    output = result.output.strip()
    assert output.startswith("shopflow-qa: error: ") and message in output and "\n" not in output
    assert not list(tmp_path.iterdir()), "no run folder for input that never ran"
