"""The test card catalogue (data/cards.toml) and the card guard.

Why a guard: a QA harness that types or posts a real card number is an incident. Only the
catalogue's Stripe test cards may leave this process; any other number — above all a
Luhn-valid, real-looking one — and any PaymentMethod id the catalogue does not list is
refused with `UnknownCard` *before* a request or a keystroke leaves. The flows call
`guard`, the API clients call `guard_payload` on every outgoing JSON body, and page objects
call `guard` before they type.

Cards are named by outcome (fxa's stripe-test-cards): `cards.success`,
`cards["insufficient_funds"]`, `cards.requiring_3ds`. Expiry is computed (now + 3 years),
never a date that silently expires. Plain Python: no pytest import.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from shopflow_qa.core.environment import DATA_DIR, ConfigError
from shopflow_qa.core.redaction import CARD_CANDIDATE, luhn_valid

DEFAULT_CARDS_FILE = DATA_DIR / "cards.toml"
EXPIRY_YEARS_AHEAD = 3
TEST_CVC = "123"

_DIGITS_WITH_SEPARATORS = re.compile(r"^\d(?:[ -]?\d){11,18}$")
_PAYMENT_METHOD_ID = re.compile(r"^(pm|tok|card|src)_[A-Za-z0-9_]+$")
# Keys under which any digit string is card data, whatever its checksum.
CARD_KEYS = frozenset({"number", "card_number", "card", "pan", "cardnumber"})
PAYMENT_METHOD_KEYS = frozenset({"payment_method", "payment_method_id", "source", "token"})


class UnknownCard(ValueError):
    """A card number or payment-method id that is not in the catalogue: nothing was sent."""


@dataclass(frozen=True)
class Card:
    """One catalogue card: what to send, and what the provider must answer."""

    key: str
    name: str
    number: str
    payment_method: str
    outcome: str  # "succeeded" | "declined" | "requires_action"
    three_d_secure: bool = False
    after_authentication: str | None = None
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    brand: str = "visa"
    last4: str = ""
    aliases: tuple[str, ...] = ()
    cvc: str = TEST_CVC
    expires: _dt.date = field(default_factory=lambda: _expiry())

    @property
    def exp_month(self) -> int:
        return self.expires.month

    @property
    def exp_year(self) -> int:
        return self.expires.year

    @property
    def expiry(self) -> str:
        """MM/YY, as a card form asks for it."""
        return f"{self.expires.month:02d}/{self.expires.year % 100:02d}"

    @property
    def pays(self) -> bool:
        """True when paying with it ends paid (at once, or after completing 3DS)."""
        return self.outcome == "succeeded" or (self.three_d_secure and self.after_authentication == "succeeded")

    def __repr__(self) -> str:  # never the full number in a report
        return f"Card({self.key!r}, ••••{self.number[-4:]}, {self.outcome})"


def _expiry(today: _dt.date | None = None) -> _dt.date:
    today = today or _dt.date.today()
    return today.replace(year=today.year + EXPIRY_YEARS_AHEAD, day=1)


def normalise_number(value: str) -> str:
    return re.sub(r"[ -]", "", value)


def looks_like_card_number(value: str) -> bool:
    """12–19 digits, optionally grouped by spaces or dashes."""
    return bool(_DIGITS_WITH_SEPARATORS.match(value.strip()))


def looks_like_payment_method(value: str) -> bool:
    return bool(_PAYMENT_METHOD_ID.match(value.strip()))


class CardCatalogue(Mapping[str, Card]):
    """The catalogue, by key (`cards["insufficient_funds"]`), with the guard."""

    def __init__(
        self,
        cards: Mapping[str, Card],
        source: Path | str = "data/cards.toml",
        authentication_failure: Mapping[str, str] | None = None,
    ) -> None:
        self._cards = dict(cards)
        self.source = str(source)
        self.authentication_failure = dict(authentication_failure or {})
        self._numbers = {card.number for card in self._cards.values()}
        self._payment_methods = {pm for card in self._cards.values() for pm in (card.payment_method, *card.aliases)}

    # -- lookup ---------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Card:
        if key in self._cards:
            return self._cards[key]
        by_decline = [c for c in self._cards.values() if c.decline_code == key and not c.three_d_secure]
        if by_decline:
            return by_decline[0]
        raise KeyError(f"no card '{key}' in {self.source} (known: {', '.join(self._cards)})")

    def __iter__(self) -> Iterator[str]:
        return iter(self._cards)

    def __len__(self) -> int:
        return len(self._cards)

    def _first(self, description: str, predicate: Any) -> Card:
        for card in self._cards.values():
            if predicate(card):
                return card
        raise KeyError(f"{self.source} has no {description} card")

    @property
    def success(self) -> Card:
        """A card that pays at once."""
        return self._first("succeeding", lambda c: c.outcome == "succeeded" and not c.three_d_secure)

    @property
    def declined(self) -> Card:
        """A card declined with a generic decline."""
        return self._first("generically declined", lambda c: c.decline_code == "generic_decline")

    @property
    def requiring_3ds(self) -> Card:
        """A card that asks for 3DS and pays once the challenge is completed."""
        return self._first("3DS", lambda c: c.three_d_secure and c.after_authentication == "succeeded")

    def by_payment_method(self, payment_method: str) -> Card:
        for card in self._cards.values():
            if payment_method == card.payment_method or payment_method in card.aliases:
                return card
        raise KeyError(payment_method)

    # -- the guard ------------------------------------------------------------------------
    def is_known(self, value: str) -> bool:
        value = value.strip()
        return normalise_number(value) in self._numbers or value in self._payment_methods

    def guard(self, value: str | Card) -> str:
        """Return `value` if it is a catalogue card number or pm id; raise UnknownCard otherwise."""
        if isinstance(value, Card):
            value = value.number
        text = str(value).strip()
        if self.is_known(text):
            return text
        raise UnknownCard(self._refusal(text))

    def guard_payload(self, payload: Any, key: str = "") -> None:
        """Refuse a JSON body carrying any card number or payment-method id not in the catalogue."""
        if isinstance(payload, Mapping):
            for name, item in payload.items():
                self.guard_payload(item, str(name).lower())
        elif isinstance(payload, list | tuple):
            for item in payload:
                self.guard_payload(item, key)
        elif isinstance(payload, bool) or payload is None:
            return
        elif isinstance(payload, int):
            digits = str(abs(payload))
            if (key in CARD_KEYS or luhn_valid(digits)) and 12 <= len(digits) <= 19 and digits not in self._numbers:
                raise UnknownCard(self._refusal(digits, key))
        elif isinstance(payload, str):
            text = payload.strip()
            if looks_like_card_number(text):
                digits = normalise_number(text)
                if digits not in self._numbers and (key in CARD_KEYS or luhn_valid(digits)):
                    raise UnknownCard(self._refusal(text, key))
            elif looks_like_payment_method(text) and (key in PAYMENT_METHOD_KEYS or text.startswith("pm_")):
                if text not in self._payment_methods:
                    raise UnknownCard(self._refusal(text, key))
            else:  # a card number inside free text ("pay with 4111 …")
                for match in CARD_CANDIDATE.finditer(text):
                    digits = normalise_number(match.group(0))
                    if 13 <= len(digits) <= 19 and luhn_valid(digits) and digits not in self._numbers:
                        raise UnknownCard(self._refusal(digits, key))

    def _refusal(self, value: str, key: str = "") -> str:
        where = f" in field '{key}'" if key else ""
        if looks_like_payment_method(value):
            return (
                f"card guard: payment method '{value}'{where} is not in {self.source}; "
                f"use a catalogue card (e.g. cards.success.payment_method = '{self.success.payment_method}')"
            )
        digits = normalise_number(value)
        kind = "a Luhn-valid, real-looking card number" if luhn_valid(digits) else "a card number"
        return (
            f"card guard: refused {kind} ending {digits[-4:]}{where}: only cards from {self.source} "
            f"may be sent (nothing was sent)"
        )


def _card_from_table(key: str, table: Mapping[str, Any], source: Path) -> Card:
    where = f"{source}: cards.{key}"
    for required in ("number", "payment_method", "outcome"):
        if not isinstance(table.get(required), str) or not table[required]:
            raise ConfigError(f"{where}.{required}: required (a string)")
    number = normalise_number(table["number"])
    if not number.isdigit() or not luhn_valid(number):
        raise ConfigError(f"{where}.number: not a Luhn-valid card number")
    return Card(
        key=key,
        name=str(table.get("name", key)),
        number=number,
        payment_method=table["payment_method"],
        outcome=table["outcome"],
        three_d_secure=bool(table.get("three_d_secure", False)),
        after_authentication=table.get("after_authentication"),
        code=table.get("code"),
        decline_code=table.get("decline_code"),
        message=table.get("message"),
        brand=str(table.get("brand", "visa")),
        last4=str(table.get("last4", number[-4:])),
        aliases=tuple(table.get("aliases", ())),
        cvc=str(table.get("cvc", TEST_CVC)),
    )


def load_cards(path: Path | str | None = None) -> CardCatalogue:
    """Read the catalogue; a bad file is one ConfigError line naming the file and key."""
    path = Path(path or os.environ.get("SHOPFLOW_CARDS_FILE") or DEFAULT_CARDS_FILE)
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: card catalogue not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    tables = document.get("cards")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: cards: at least one [cards.<name>] table is required")
    cards = {key: _card_from_table(key, table, path) for key, table in tables.items()}
    return CardCatalogue(cards, path, document.get("authentication_failure"))


@lru_cache(maxsize=4)
def _cached(path: str) -> CardCatalogue:
    return load_cards(path)


def default_catalogue() -> CardCatalogue:
    """The process-wide catalogue (read once)."""
    return _cached(str(Path(os.environ.get("SHOPFLOW_CARDS_FILE") or DEFAULT_CARDS_FILE)))


def guard_card(value: str | Card) -> str:
    """For page objects: call before typing a card number; UnknownCard stops the keystrokes."""
    return default_catalogue().guard(value)
