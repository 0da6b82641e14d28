"""What the storefront and admin share: the API client, page rendering and the stylesheet."""
