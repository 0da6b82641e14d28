"""The sandbox's view of data/cards.toml: which card a number or a `pm_card_*` id stands for.

The catalogue is shared with the harness (its card guard reads the same file), so the
sandbox accepts exactly the cards a test may send, and nothing else.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shopflow_stack.paths import PACKAGE_DATA

CATALOGUE = Path(os.environ.get("SHOPFLOW_DATA_DIR") or PACKAGE_DATA) / "cards.toml"


@dataclass(frozen=True)
class Decline:
    """Why a charge fails: Stripe's error code, decline code and customer-facing message."""

    code: str
    decline_code: str
    message: str


@dataclass(frozen=True)
class Card:
    key: str
    name: str
    number: str
    payment_method: str
    aliases: tuple[str, ...]
    brand: str
    last4: str
    outcome: str  # succeeded | declined | requires_action
    three_d_secure: bool
    after_authentication: str | None
    decline: Decline | None

    def result_after_authentication(self) -> Decline | None:
        """The decline a completed challenge still ends in (None: the charge succeeds)."""
        return self.decline if self.after_authentication == "declined" else None


@dataclass(frozen=True)
class Catalogue:
    cards: dict[str, Card]
    authentication_failure: Decline

    def by_number(self, number: str) -> Card | None:
        digits = "".join(number.split())
        return next((c for c in self.cards.values() if c.number == digits), None)

    def by_payment_method(self, pm_id: str) -> Card | None:
        return next((c for c in self.cards.values() if pm_id == c.payment_method or pm_id in c.aliases), None)


def _card(key: str, raw: dict) -> Card:
    decline = Decline(raw["code"], raw["decline_code"], raw["message"]) if "code" in raw else None
    return Card(
        key=key,
        name=raw["name"],
        number=raw["number"],
        payment_method=raw["payment_method"],
        aliases=tuple(raw.get("aliases", ())),
        brand=raw["brand"],
        last4=raw["last4"],
        outcome=raw["outcome"],
        three_d_secure=bool(raw.get("three_d_secure", False)),
        after_authentication=raw.get("after_authentication"),
        decline=decline,
    )


@lru_cache(maxsize=1)
def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    raw = tomllib.loads(path.read_text())
    failure = raw["authentication_failure"]
    return Catalogue(
        cards={key: _card(key, entry) for key, entry in raw["cards"].items()},
        authentication_failure=Decline(failure["code"], "", failure["message"]),
    )


def luhn_valid(number: str) -> bool:
    """Whether `number` passes the Luhn check (Stripe answers `incorrect_number` when not)."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
