"""The gate's model: what it was asked (GateOptions), what it learnt (GateState), how a
stage ends it early (StageFailed, Refused), and the state every part of the gate shares."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_USAGE
from shopflow_qa.cli.gate_progress import GateProgress
from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core import deploy
from shopflow_qa.core.environment import Environment
from shopflow_qa.core.paths import PROJECT_ROOT
from shopflow_qa.core.run_secrets import MintedSecrets

SUITES_DIR = PROJECT_ROOT / "suites"


DEFAULT_LOAD_PROFILE = "checkout_flow"


DEFAULT_LOAD_DURATION = "30s"


DEFAULT_HEARTBEAT_S = 10.0  # CI logs look dead after 15 s of silence


PYTEST_TIMEOUT_S = 30 * 60


COLLECTION_FAILURE = "collection failure"  # pytest's JUnit message for a module it could not collect


ARTEFACTS = "artefacts"


BROWSER_ARTEFACTS = ("--screenshot", "only-on-failure", "--tracing", "retain-on-failure", "--video", "retain-on-failure")


# pytest's own exit codes (ExitCode) and what they mean for a gate stage.
PYTEST_OK, PYTEST_FAILED, PYTEST_NO_TESTS = 0, 1, 5  # pytest's ExitCode values a stage acts on


@dataclass
class GateOptions:
    """What `shopflow-qa gate` was asked to do."""

    env: str | None = None
    env_files: Sequence[str] = ()
    expect_version: str | None = None
    wait_for_deploy: float | None = None
    suites: Sequence[str] = AREAS
    load_profile: str | None = DEFAULT_LOAD_PROFILE
    load_shape: str | None = None
    load_duration: str = DEFAULT_LOAD_DURATION
    reruns: int = 0
    workers: int = 2
    quiet: bool = False
    suites_path: Path = SUITES_DIR
    pytest_args: Sequence[str] = ()  # after `--` on the command line: every pytest run of the gate gets them
    heartbeat_s: float = DEFAULT_HEARTBEAT_S  # without a TTY, a progress line at least this often


class StageFailed(Exception):
    """A stage ended the gate early; `code` is the exit code (1 red, 2 error)."""

    status = "error"

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Refused(StageFailed):
    """The safety policy refuses every selected test: verdict `refused`, exit 2, no request sent."""

    status = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


@dataclass
class GateState:
    """What the gate learnt so far; enough to write reports at any point (also on Ctrl-C)."""

    run: Path
    environment: Environment
    started: datetime
    monotonic_start: float
    stages: list[gate_summary.StageResult] = field(default_factory=list)
    junit_files: list[Path] = field(default_factory=list)  # the pytest stages' (the verdict counts their tests)
    extra_junit: list[Path] = field(default_factory=list)  # merged into junit.xml too: the load step's SLO cases
    health: deploy.Health | None = None
    warnings: list[str] = field(default_factory=list)
    load: dict[str, object] | None = None
    started_stack: str | None = None
    secret_leaks: list[str] = field(default_factory=list)
    minted_secrets: list[str] = field(default_factory=list, repr=False)  # never written anywhere
    run_id: str = ""  # the X-ShopFlow-Test-Run tag of everything the gate's stages create
    wrote_data: bool = False  # a stage that may create tagged data has started
    test_data: dict[str, object] | None = None  # what the clean-up did (gate.json's `test_data`)
    # On a read-only environment: the selected tests the policy refuses, by stage ("smoke",
    # "areas"), as skipped outcomes (a stage whose every test is refused is not run at all).
    refused: dict[str, list[gate_summary.TestOutcome]] = field(default_factory=dict)
    verdict: str | None = None  # set where the exit code alone does not say it ("refused")


class GateBase:
    """What every part of the gate shares: its options, the screen, the child it runs."""

    def __init__(self, options: GateOptions, console: Console | None = None) -> None:
        self.options = options
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._current: subprocess.Popen[bytes] | None = None
        self._minted: MintedSecrets | None = None  # secrets the children mint (customers' passwords, tokens)
        live = self.console.is_terminal and not options.quiet
        self.progress = GateProgress(self.console, 0.0 if live else options.heartbeat_s, live=live)

    def _say(self, text: str) -> None:
        if not self.options.quiet:
            self.console.print(text)

    def _secrets(self, state: GateState) -> list[str]:
        """Every secret the run's reports must not hold: the environment's, and those its
        pytest processes minted (from the run's private file while it exists)."""
        if self._minted is not None:
            state.minted_secrets = self._minted.read()
        return [*state.environment.secret_values(), *state.minted_secrets]
