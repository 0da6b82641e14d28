"""API keys of the sandbox: the stack's secret key, and the publishable key derived from it.

Like Stripe's pair (sk_test_… / pk_test_…): the secret key may do everything, the
publishable key (given to browsers: the hosted card fields) may only create PaymentMethods.
Deriving `pk_` from `sk_` keeps one configured secret. The derived key shares no part of the
secret (as Stripe's pairs share only the account prefix): the publishable key is printed in
pages and logs, and the harness's secret scan must not take it for the secret key.
"""

from __future__ import annotations

import base64
import hashlib

from shopflow_stack.payments.errors import authentication
from shopflow_stack.settings import Settings

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


def publishable_key(settings: Settings) -> str:
    return publishable_key_for(settings.payments_key)


def publishable_key_for(secret: str) -> str:
    """`pk_test_` + a digest of the secret key: stable per secret, and revealing nothing of it."""
    return "pk_test_" + hashlib.sha256(f"publishable:{secret}".encode()).hexdigest()[:24]


def redact(key: str) -> str:
    return f"{key[:8]}{'*' * 8}{key[-4:]}" if len(key) > 12 else "****"


def key_from_header(value: str | None) -> str:
    """The API key of a request: `Bearer KEY`, or HTTP Basic with the key as user (curl -u)."""
    if not value:
        raise authentication(NO_KEY)
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() == "bearer" and credential:
        return credential.strip()
    if scheme.lower() == "basic" and credential:
        try:
            return base64.b64decode(credential).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            pass
    raise authentication(NO_KEY)


def classify(settings: Settings, key: str) -> str:
    """ "secret" or "publishable"; any other key is refused like Stripe does."""
    if key == settings.payments_key:
        return "secret"
    if key == publishable_key(settings):
        return "publishable"
    raise authentication(f"Invalid API Key provided: {redact(key)}")


def scope(key: str) -> str:
    """Idempotency keys are per API key; store a digest, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]
