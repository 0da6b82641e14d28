"""ShopFlow QA harness."""

import sys

# `import httpx` also imports its command-line client (httpx._main: click, pygments, rich's
# progress and syntax modules) whenever those are installed, as they are here: ~70 ms of CPU at
# every start of every harness process (the CLI, each Locust process). The harness never runs
# that client, so httpx's own fallback for a missing one stands in.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
