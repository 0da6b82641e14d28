"""The ShopFlow storefront (the "web" host): server-rendered pages over the API."""
