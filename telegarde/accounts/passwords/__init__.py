"""Password hashing and policy: Argon2id, the CNIL-style strength rule, the common list."""
