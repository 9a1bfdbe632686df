"""The security centre: apps that watch and defend the care service (DESIGN §6)."""
