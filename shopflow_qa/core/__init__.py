"""The concepts of the harness, each owned by one module (docs/architecture.md)."""
