"""WebAuthn passkeys: registration, passwordless sign-in, second factor and step-up."""
