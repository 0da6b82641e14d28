"""ShopFlow QA harness."""
