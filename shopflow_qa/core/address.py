"""A shipping address, as the flows send it and the page objects type it.

Operations take an `Address` or a dict with the same keys: a test writer's first guess is a
dict, and a dict with a wrong key gets a TypeError naming it rather than an AttributeError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_ADDRESS_KEYS = "name, line1, city, postal_code and optionally country"


@dataclass(frozen=True)
class Address:
    """A shipping address: `Address("Ada Lovelace", "1 Test Street", "Springfield", "12345")`.

    Operations that take one also take a dict with the same keys (`country` optional, "US")."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str = "US"

    @classmethod
    def of(cls, value: Address | Mapping[str, str]) -> Address:
        """An Address, or a dict with its keys; anything else is a TypeError naming what is wrong."""
        if isinstance(value, Address):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"address: expected an Address or a dict with {_ADDRESS_KEYS}, got {type(value).__name__}")
        fields = ("name", "line1", "city", "postal_code", "country")
        problems = [f"missing {k!r}" for k in fields[:4] if k not in value]
        problems += [f"unknown {k!r}" for k in value if k not in fields]
        problems += [f"{k!r} is not a string" for k, v in value.items() if k in fields and not isinstance(v, str)]
        if problems:
            raise TypeError(f"address: {'; '.join(problems)} (keys: {_ADDRESS_KEYS})")
        return cls(**value)

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "line1": self.line1,
            "city": self.city,
            "postal_code": self.postal_code,
            "country": self.country,
        }


DEFAULT_ADDRESS = Address("Test Customer", "1 Test Street", "Springfield", "12345")
AddressLike = Address | Mapping[str, str]
