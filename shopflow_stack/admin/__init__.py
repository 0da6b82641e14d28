"""The ShopFlow admin (the "admin" host): staff sign-in, orders, payment history, refunds."""
