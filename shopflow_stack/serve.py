"""Run one service of the local stack in this process: `python -m shopflow_stack.serve api`.

The runner starts one such process per service, bound to 127.0.0.1 only.
"""

from __future__ import annotations

import importlib
import logging
import sys

from shopflow_stack.services import SERVICES, STACK_HEADER
from shopflow_stack.settings import SettingsError, get_settings


def load_target(target: str):
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in SERVICES:
        print(f"usage: python -m shopflow_stack.serve {{{','.join(SERVICES)}}}", file=sys.stderr)
        return 2
    spec = SERVICES[args[0]]
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"shopflow_stack.serve {spec.name}: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {spec.name} %(levelname)s %(name)s %(message)s",
        stream=sys.stdout,
    )
    factory = load_target(spec.target)
    if spec.port_offset is None:
        return int(factory(settings) or 0)
    import uvicorn

    port = int(settings.web_url.rsplit(":", 1)[1]) + spec.port_offset
    uvicorn.run(
        factory(settings),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=True,
        timeout_graceful_shutdown=5,
        headers=[(STACK_HEADER, settings.stack_instance)] if settings.stack_instance else None,
        # X-Forwarded-Proto/For only from a proxy the settings name (uvicorn would believe any
        # local process by default, and the scheme decides HSTS: shopflow_stack/security/headers.py).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
