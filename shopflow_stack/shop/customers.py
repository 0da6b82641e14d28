"""Customers: sign-up with a hashed password, sign-in, and the public view of a customer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select
from sqlalchemy.exc import IntegrityError

from shopflow_stack.shop.clock import iso, now
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.tables import customers

# scrypt, cheap enough for load tests that sign customers up, still a real password hash
_N, _R, _P = 2**12, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        fresh = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=_N, r=_R, p=_P)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(fresh, base64.b64decode(digest))


def present_customer(row: Row) -> dict[str, Any]:
    return {"id": row.id, "email": row.email, "name": row.name, "created_at": iso(row.created_at)}


def create_customer(
    connection: Connection, *, email: str, password: str, name: str, tag: str | None, seeded: bool = False
) -> Row:
    email = email.strip().lower()
    if connection.execute(select(customers.c.id).where(customers.c.email == email)).first():
        raise ApiError(409, "email_taken", "An account with this email already exists.")
    try:
        with connection.begin_nested():
            customer_id = connection.execute(
                insert(customers)
                .values(
                    email=email,
                    name=name.strip(),
                    password_hash=hash_password(password),
                    seeded=seeded,
                    created_at=now(),
                    test_run=tag,
                )
                .returning(customers.c.id)
            ).scalar_one()
    except IntegrityError:  # a concurrent sign-up with the same email won
        raise ApiError(409, "email_taken", "An account with this email already exists.") from None
    return connection.execute(select(customers).where(customers.c.id == customer_id)).one()


def authenticate(connection: Connection, email: str, password: str) -> Row:
    row = connection.execute(select(customers).where(customers.c.email == email.strip().lower())).first()
    if row is None or not password_matches(password, row.password_hash):
        raise ApiError(401, "invalid_credentials", "Email or password is wrong.")
    return row


def get_customer(connection: Connection, customer_id: int) -> Row | None:
    return connection.execute(select(customers).where(customers.c.id == customer_id)).first()


def search_customers(connection: Connection, text: str | None, limit: int = 100) -> Sequence[Row]:
    query = select(customers)
    if text:
        pattern = f"%{text.strip().lower()}%"
        query = query.where(func.lower(customers.c.email).like(pattern) | func.lower(customers.c.name).like(pattern))
    return connection.execute(query.order_by(customers.c.id.desc()).limit(limit)).all()
