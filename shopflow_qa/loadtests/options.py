"""The profiles' `--shopflow-*` options, registered with Locust's own parser (so `locust -f`,
`locust.conf`, `LOCUST_SHOPFLOW_*` variables and the web UI all take them), and the load plan
(shopflow_qa/core/load_plan.py) built from them. `shopflow-qa load` passes exactly these.

The service token is never an option value unless someone types one: it comes from the variable
the environment names (`STAGING_TOKEN` …) through the environment model. `--shopflow-token`
exists to override it and is marked `is_secret` (a masked field in the web UI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from locust import events

from shopflow_qa.core.load_plan import STOP_TIMEOUT_S, LoadOptions
from shopflow_qa.core.slos import SLO_FILE

DEFAULT_DURATION = "60s"  # a headless run given no --run-time still stops by itself


@events.init_command_line_parser.add_listener
def _add_options(parser: Any) -> None:
    # Loopback unless asked otherwise; and users finish the flow they are in at the end (no half-made
    # checkouts), as `shopflow-qa load` drains.
    parser.set_defaults(web_host="127.0.0.1", master_bind_host="127.0.0.1", stop_timeout=STOP_TIMEOUT_S)
    group = parser  # Locust's own add_argument (a plain argparse group knows no include_in_web_ui / is_secret)
    group.add_argument(
        "--shopflow-env",
        default=None,
        help="Environment to load (default: $SHOPFLOW_ENV, then local); -H overrides its API URL",
        include_in_web_ui=False,
    )
    group.add_argument(
        "--shopflow-env-file", action="append", default=[], help="Extra environments file (repeatable)", include_in_web_ui=False
    )
    group.add_argument(
        "--shopflow-token",
        default="",
        help="Service token (default: the variable the environment names, e.g. $STAGING_TOKEN)",
        is_secret=True,
    )
    group.add_argument(
        "--shopflow-run-id", default="", help="Test-run tag on every request (default: $SHOPFLOW_RUN_ID or a new one)"
    )
    group.add_argument(
        "--shopflow-summary",
        default="",
        help="Where to write summary.json (default: $SHOPFLOW_RUN_DIR, else a new reports/<time>-<env>-load-<profile>/)",
        include_in_web_ui=False,
    )
    group.add_argument(
        "--shopflow-slos", default=str(SLO_FILE), help="SLO file (default data/slos.toml)", include_in_web_ui=False
    )
    group.add_argument(
        "--shopflow-slo", action="append", default=[], help="Extra threshold, e.g. 'p95_ms[GET /api/products]=300' (repeatable)"
    )
    group.add_argument("--shopflow-max-requests", type=int, default=100_000, help="Stop after this many requests")
    group.add_argument("--shopflow-shape", default="", help="ramp, step, spike, soak (peak = -u) or constant_rate (open model)")
    group.add_argument("--shopflow-rate", type=float, default=0.0, help="constant_rate: flows started per second")
    group.add_argument("--shopflow-abort-on-breach", action="store_true", default=False, help="Stop early on a sustained breach")
    group.add_argument("--shopflow-abort-grace", type=float, default=10.0, help="Seconds before breaches are watched")
    group.add_argument("--shopflow-abort-sustain", type=float, default=5.0, help="Seconds a breach must last to abort")
    group.add_argument(
        "--shopflow-http-client",
        choices=("lean", "locust"),
        default="lean",
        env_var="LOCUST_SHOPFLOW_HTTP_CLIENT",
        help="The users' HTTP client: lean (loadtests/lean_http.py, the default) or locust (Locust's FastHttpSession)",
        include_in_web_ui=False,
    )


def profile_of(locustfile: str | None) -> str:
    """The profile a locustfile is (`checkout_flow` for loadtests/checkout_flow.py)."""
    return Path(locustfile or "").stem


def load_options(parsed: Any, locustfile: str | None) -> LoadOptions:
    """Locust's parsed options as the core's LoadOptions (Locust's own -u, -r, -t, -H included)."""
    run_time = getattr(parsed, "run_time", None)
    return LoadOptions(
        profile=profile_of(locustfile),
        env=parsed.shopflow_env or os.environ.get("SHOPFLOW_ENV") or None,
        env_files=list(parsed.shopflow_env_file or []),
        users=getattr(parsed, "num_users", None),
        spawn_rate=getattr(parsed, "spawn_rate", None),
        duration=f"{run_time}s" if run_time else DEFAULT_DURATION,
        slos_path=Path(parsed.shopflow_slos),
        slo_overrides=list(parsed.shopflow_slo or []),
        max_requests=parsed.shopflow_max_requests,
        shape=parsed.shopflow_shape or None,
        rate=parsed.shopflow_rate or None,
        abort_on_breach=parsed.shopflow_abort_on_breach,
        abort_grace_s=parsed.shopflow_abort_grace,
        abort_sustain_s=parsed.shopflow_abort_sustain,
        api_url=getattr(parsed, "host", None) or None,
    )
