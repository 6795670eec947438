"""The app's views. Each has ``update_snapshot(snapshot)`` and ``apply_theme(theme)``."""
