"""What a harness process imports at start: every `shopflow-qa load` run pays it twice (the CLI
and each Locust process), so modules it never uses stay out. Checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from shopflow_qa.core.paths import PROJECT_ROOT

PROBE = """
import json, sys
import shopflow_qa.cli.main, shopflow_qa.loadtests.run, httpx
print(json.dumps({
    "httpx_cli": sys.modules.get("httpx._main") is not None,
    "rich_progress": "rich.progress" in sys.modules,
    "matplotlib": "matplotlib" in sys.modules,
    "httpx_main": httpx.main.__module__,
}))
"""


def test_the_cli_and_the_locust_side_import_httpx_without_its_command_line_client() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded == {"httpx_cli": False, "rich_progress": False, "matplotlib": False, "httpx_main": "httpx"}, loaded
