"""The shop's rules (catalogue, carts, orders, customers), as functions over a DB connection.

The API routers are thin: they authorise, call these, and present the result.
"""
