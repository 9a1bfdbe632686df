"""Telegarde: self-hostable teleconsultation built around the attacks it attracts."""

__version__ = "0.1.0"
