"""The app's views. Each has ``update_snapshot(snapshot)`` and ``apply_theme(theme)``."""
from .. import _qtfix  # noqa: F401  (PySide6 refcount guard, see the module)
