"""The app's screens (one module per screen family)."""
