"""The gate's view of `/health`: the same probing and deploy wait the pytest plugin uses.

It lives in fixtures/deploy.py (plain Python: the plugin, the gate and the CLI share it);
this module keeps the gate's `harness.deploy` imports working.
"""

from fixtures.deploy import (  # noqa: F401
    MIN_SHA_PREFIX,
    PROBE_TIMEOUT_S,
    DeployNotLive,
    Health,
    probe,
    version_matches,
    wait_for_deploy,
)
