"""Light and dark themes: a Qt palette, plot colours, and the colour maps the views share.

Colours follow the TensorFlow Playground: orange for negative, blue for positive.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

NEGATIVE = (245, 147, 34)      # orange
POSITIVE = (8, 119, 189)       # blue
CLASS_COLOURS = [(245, 147, 34), (8, 119, 189), (46, 160, 67), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    text: str
    muted: str
    plot_bg: str
    plot_fg: str
    mid: tuple                 # the neutral colour in the middle of the diverging map
    train_edge: str
    test_edge: str
    accent: str
    checked: str               # the background of a chosen toggle (a dataset, a feature)

    def diverging_lut(self, n: int = 256) -> np.ndarray:
        """orange (low) -> neutral (middle) -> blue (high), as an (n, 3) uint8 table."""
        t = np.linspace(-1.0, 1.0, n)[:, None]
        neg = np.array(NEGATIVE, float)
        pos = np.array(POSITIVE, float)
        mid = np.array(self.mid, float)
        out = np.where(t < 0, mid + (neg - mid) * (-t), mid + (pos - mid) * t)
        return np.clip(out, 0, 255).astype(np.uint8)


LIGHT = Theme("light", window="#f4f4f4", base="#ffffff", text="#202124", muted="#666666",
              plot_bg="#ffffff", plot_fg="#444444", mid=(232, 234, 235), train_edge="#ffffff",
              test_edge="#202124", accent="#0877bd", checked="#cfe5f5")
DARK = Theme("dark", window="#26282b", base="#3a3d42", text="#e8eaed", muted="#a0a4a8",
             plot_bg="#1d1f21", plot_fg="#c8ccd0", mid=(52, 55, 60), train_edge="#ffffff",
             test_edge="#000000", accent="#4aa3df", checked="#1e4a6b")
THEMES = {"light": LIGHT, "dark": DARK}


def apply_palette(app: QApplication, theme: Theme) -> None:
    """Set the application's palette and style for ``theme``."""
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.Window, QColor(theme.window))
    pal.setColor(QPalette.WindowText, QColor(theme.text))
    pal.setColor(QPalette.Base, QColor(theme.base))
    pal.setColor(QPalette.AlternateBase, QColor(theme.window))
    pal.setColor(QPalette.Text, QColor(theme.text))
    pal.setColor(QPalette.Button, QColor(theme.window))
    pal.setColor(QPalette.ButtonText, QColor(theme.text))
    pal.setColor(QPalette.ToolTipBase, QColor(theme.base))
    pal.setColor(QPalette.ToolTipText, QColor(theme.text))
    pal.setColor(QPalette.PlaceholderText, QColor(theme.muted))
    pal.setColor(QPalette.Highlight, QColor(theme.accent))
    pal.setColor(QPalette.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor(theme.muted))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(theme.muted))
    pal.setColor(QPalette.Disabled, QPalette.WindowText, QColor(theme.muted))
    app.setPalette(pal)


def style_plot(plot, theme: Theme) -> None:
    """A pyqtgraph PlotWidget in the theme's plot colours (background, axes and their labels)."""
    plot.setBackground(theme.plot_bg)
    for ax in ("left", "bottom"):
        plot.getAxis(ax).setPen(theme.plot_fg)
        plot.getAxis(ax).setTextPen(theme.plot_fg)
        # the numbers as they are: "J (x0.001)" over ticks of 650…750 reads as a different J
        plot.getAxis(ax).enableAutoSIPrefix(False)


# the colour scales of activations whose values are bounded
BOUNDED = {"tanh": (-1.0, 1.0), "sin": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}


def levels_for(activation: str, image: np.ndarray) -> tuple[float, float]:
    """The colour scale of an image of values of `activation`: its bounds, or symmetric about 0 out
    to the largest finite magnitude."""
    if activation in BOUNDED:
        return BOUNDED[activation]
    m = float(np.max(np.abs(image))) if image.size else 1.0
    if not math.isfinite(m):                       # a diverging run can leave inf or NaN in a heatmap
        finite = np.abs(image[np.isfinite(image)])
        m = float(finite.max()) if finite.size else 1.0
    m = m if m > 1e-12 else 1.0
    return (-m, m)


def drawable(img: np.ndarray, levels) -> np.ndarray:
    """img with its NaN values (a network whose numbers overflowed there) at the middle of levels
    (numbers, or arrays that broadcast against img): an image item cannot colour NaN, and says so
    on the console at every repaint."""
    nan = np.isnan(img)
    if not nan.any():
        return img
    middle = 0.5 * (np.asarray(levels[0], np.float64) + np.asarray(levels[1], np.float64))
    return np.where(nan, middle, img).astype(img.dtype)


def within_levels(img: np.ndarray, levels) -> np.ndarray:
    """img for an image item given these levels: in float64, clipped to them (±inf at the ends), NaN
    at their middle. The item rescales float32 images in float32, where a finite value far outside
    the levels (the output of a network that is diverging) overflows and warns at every repaint."""
    lo, hi = float(levels[0]), float(levels[1])
    return np.clip(drawable(np.asarray(img, np.float64), (lo, hi)), lo, hi)


def levels_of_each(activation: str, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """levels_for of each image of a stack (n, h, w), as arrays of the n lows and the n highs."""
    n = len(images)
    if activation in BOUNDED:
        lo, hi = BOUNDED[activation]
        return np.full(n, lo), np.full(n, hi)
    m = np.abs(images).reshape(n, -1).max(axis=1).astype(np.float64) if images.size else np.ones(n)
    for i in np.flatnonzero(~np.isfinite(m)):       # rare: a diverging run's inf or NaN
        m[i] = levels_for(activation, images[i])[1]
    m[m <= 1e-12] = 1.0
    return -m, m


def colour_mapped(images: np.ndarray, levels, lut: np.ndarray) -> np.ndarray:
    """images (h, w) or a stack (n, h, w) as RGBA uint8 through lut, levels (low, high) spread over
    its entries as an image item spreads them, NaN at the middle. For a stack, low and high may be
    arrays of one level per image. An image item draws such an image as it is; given values and a
    table instead, it converts the table to Qt's form at every repaint, which for a graph of a
    hundred neurons took half of each frame."""
    extra = (1,) * min(2, np.ndim(images))
    lo = np.reshape(np.asarray(levels[0], np.float64), np.shape(levels[0]) + extra)
    hi = np.reshape(np.asarray(levels[1], np.float64), np.shape(levels[1]) + extra)
    n = len(lut)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scale = np.where(hi > lo, n / (hi - lo), 0.0)
        index = (drawable(images, (lo, hi)) - lo) * scale
    np.nan_to_num(index, copy=False, nan=0.0)          # inf × 0 of flat levels: the first entry
    np.clip(index, 0, n - 1, out=index)
    # each colour as one 4-byte word: one gather per pixel, ten times faster than lut[index]
    opaque = np.concatenate([lut[:, :3], np.full((n, 1), 255, np.uint8)], axis=1)
    words = np.ascontiguousarray(opaque).view(np.uint32).ravel()
    return words[index.astype(np.intp)].view(np.uint8).reshape(index.shape + (4,))


def rgb_hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb[:3])
