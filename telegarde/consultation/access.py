"""Who may enter a consultation room and read its record (registered rules)."""
