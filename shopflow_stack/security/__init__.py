"""How every service of the local stack defends itself as a real shop must (stack/README.md,
"Protections"). One module per protection:

- `body_limit`: a request-body limit (413 before the body is read);
- `headers`: CSP, X-Frame-Options, nosniff, Referrer-Policy, HSTS over TLS;
- `csrf`: synchronizer tokens on the storefront's and admin's state-changing requests;
- `origins`: strict origins, so `return_url` and framing stay on the shop's own hosts;
- `edge`: the middleware every app puts outermost, in the order that makes it work.
"""
