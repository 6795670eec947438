"""Backprop Explorer: the desktop app (PySide6 + pyqtgraph) on top of the engine package."""
__version__ = "0.1.0"
