"""Database chores for the local stack: `python -m stack.manage prepare|reset`. Placeholder."""
import sys

if __name__ == "__main__":
    raise SystemExit(0 if sys.argv[1:] in (["prepare"], ["reset"]) else 2)
