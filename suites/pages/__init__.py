"""Page objects of the storefront and admin: locators and verb-named actions, never asserts.

The only place in suites/ that knows selectors (docs/storefront.md lists the test ids). Tests
assert with Playwright's `expect` on the locators these expose.
"""

import os

# The one place browser waits are set: webhooks and 3DS take a moment on a busy staging.
# SHOPFLOW_BROWSER_TIMEOUT_MS shortens them where a failure is expected (the fault proofs).
TIMEOUT_MS = int(os.environ.get("SHOPFLOW_BROWSER_TIMEOUT_MS", "15000"))
