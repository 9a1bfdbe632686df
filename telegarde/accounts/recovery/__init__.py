"""Patient self-registration and password reset, both without account enumeration."""
