"""Shared test setup: Qt runs offscreen so the suite works on a machine with no display."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
