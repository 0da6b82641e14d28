"""The payment sandbox: a Stripe-compatible provider for the local stack (see README.md)."""
