"""Practitioner sign-in through OpenID Connect (Pro Santé Connect): docs/oidc.md."""
