"""The local stack's own defaults: the port layout of the stack named `local` and the
documented secrets every local stack accepts when nothing is exported.

The harness's data/environments.toml describes the same `local` environment; a test of the
repository checks that the two agree (the stack never reads the harness's files).
"""

from __future__ import annotations

LOCAL_STACK_NAME = "local"
LOCAL_PORT_BASE = 8600  # web on P, admin P+1, api P+2, payments P+3 (services.py)

# role -> the variable a service reads it from
SECRET_VARIABLES: dict[str, str] = {
    "token": "SHOPFLOW_LOCAL_TOKEN",
    "admin_token": "SHOPFLOW_LOCAL_ADMIN_TOKEN",
    "admin_user": "SHOPFLOW_LOCAL_ADMIN_USER",
    "admin_password": "SHOPFLOW_LOCAL_ADMIN_PASSWORD",
    "webhook_secret": "SHOPFLOW_LOCAL_WEBHOOK_SECRET",
    "payments_key": "SHOPFLOW_LOCAL_PAYMENTS_KEY",
}

# role -> the documented value used when that variable is unset
DEFAULT_SECRETS: dict[str, str] = {
    "token": "local-service-token",
    "admin_token": "local-admin-token",
    "admin_user": "admin@shopflow.local",
    "admin_password": "local-admin-password",
    "webhook_secret": "whsec_local_sandbox_secret",
    "payments_key": "sk_test_local_sandbox",
}
