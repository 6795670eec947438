"""The math panel: the current phase's equation holding the real numbers, the chain rule of the
selected weight factor by factor, the finite-difference check, and the update.

Every number shown comes from an InspectView (explorer/inspector.py), which got it from
engine.inspect; this module only formats. Matrices are HTML tables with aligned columns and a
diverging colour scale (orange negative, blue positive); large ones are cut with the shape stated.
An equation too wide for the panel goes onto several lines, each starting with an operator, and its
matrices show as many columns as a line has room for, so nothing needs scrolling sideways.
"""
from __future__ import annotations

import html
import math
import re

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from ..numbers import num, nums_apart
from ..theme import LIGHT, NEGATIVE, POSITIVE, Theme
from .number_box import WholeNumberBox

MAX_ROWS = 6
MAX_COLS = 8
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
OPT_STATE = {"velocity": "velocity", "mean_square": "running mean of g²",
             "first_moment": "running mean of g", "second_moment": "running mean of g²"}
STATE_SYMBOLS = {"velocity": "v", "mean_square": "s", "first_moment": "m", "second_moment": "v"}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam"}
ERROR_COLOUR = "#d93025"
ITEM_SPACING = 4          # px between the cells of an equation's line (cellspacing 2 each side)
ONE_LINE = 56             # characters of an update step that fit on one line of a narrow panel
SAMPLE_TIP = "The sample of the batch (1 to its size) whose chain rule is shown, factor by factor"


def html_to_text(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def with_hats(text: str) -> str:
    """m̂ and v̂ in a serif face: Qt draws the combining hat of the default sans face on the line above."""
    for symbol in ("m̂", "v̂"):
        text = text.replace(symbol, f"<span style='font-family:serif;'>{symbol}</span>")
    return text


def sup(n) -> str:
    return str(n).translate(SUP)


def operand(v, digits: int = 4) -> str:
    """A number after an operator: negative ones in brackets, 0.5 − 0.02·(−21)."""
    text = num(v, digits)
    return f"({text})" if text.startswith("−") else text


def _cell_colour(v: float, scale: float, theme: Theme) -> str:
    if not math.isfinite(v) or scale <= 0:
        return "transparent"
    t = max(-1.0, min(1.0, v / scale)) * 0.6
    mid = np.array(theme.mid, float)
    end = np.array(POSITIVE if t > 0 else NEGATIVE, float)
    rgb = mid + (end - mid) * abs(t)
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


def shape_text(a) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return "number"
    if a.ndim == 1:
        return f"({a.shape[0]},)"
    return "(" + ", ".join(str(s) for s in a.shape) + ")"


def _matrix_parts(a, name: str, max_rows: int, max_cols: int, column: bool):
    """(a as a 2-D array, the rows shown, the columns shown, the caption under it) of matrix_html."""
    if a.ndim == 1:
        a = a[:, None] if column else a[None, :]
    n, m = a.shape
    rows = list(range(min(n, max_rows)))
    cols = list(range(min(m, max_cols)))
    cut = " (first " + (f"{len(rows)} rows" if n > max_rows else "") + \
        (", " if n > max_rows and m > max_cols else "") + (f"{len(cols)} columns" if m > max_cols else "") + ")" \
        if n > max_rows or m > max_cols else ""
    label = f"{name} " if name else ""
    return a, rows, cols, f"{label}{n}×{m}{cut}"


def matrix_width(a, name: str = "", max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS, column: bool = False,
                 mono=len, text=len) -> float:
    """About how wide matrix_html's table is, given mono(s) and text(s): the width of a string in
    the monospaced face of the numbers and in the face of the caption."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return text(num(a))
    a, rows, cols, caption = _matrix_parts(a, name, max_rows, max_cols, column)
    # each cell: its widest number with a space either side, and 2 px of padding either side
    cells = sum(max(mono(f" {num(a[i, c])} ") for i in rows) + 4 for c in cols)
    if a.shape[1] > max_cols:
        cells += text("…") + 4
    return max(cells + 2, text(caption)) + 8


def matrix_html(a, name: str = "", theme: Theme = LIGHT, max_rows: int = MAX_ROWS,
                max_cols: int = MAX_COLS, column: bool = False) -> str:
    """A matrix as a table: right-aligned numbers, a colour scale, '…' where cut, shape below.
    A vector (1-D array) is drawn as a row, 1×n, or with column=True as a column, n×1."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"<b>{num(a)}</b>"
    a, rows, cols, caption = _matrix_parts(a, name, max_rows, max_cols, column)
    n, m = a.shape
    finite = a[np.isfinite(a)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    out = ["<table cellspacing='0' cellpadding='2' style='border-left:1px solid #888;"
           "border-right:1px solid #888;'>"]
    for i in rows:
        out.append("<tr>")
        for c in cols:
            v = a[i, c]
            out.append(f"<td align='right' nowrap style='white-space:nowrap; background:{_cell_colour(v, scale, theme)};"
                       f"font-family:monospace;'>&nbsp;{num(v)}&nbsp;</td>")
        if m > max_cols:
            out.append("<td>…</td>")
        out.append("</tr>")
    if n > max_rows:
        out.append("<tr>" + "".join("<td align='center'>⋮</td>" for _ in cols) + "</tr>")
    out.append("</table>")
    return (f"<table><tr><td>{''.join(out)}</td></tr><tr><td align='center' style='color:{theme.muted};'>"
            f"{html.escape(caption)}</td></tr></table>")


def equation_lines(items, max_width: float | None = None) -> list[list]:
    """items ((html, is_operator, width)) split into lines no wider than max_width where they can
    be: a line breaks before an operator, which starts the next line (= dW…), and a term never
    leaves the operators before it. Without max_width, one line."""
    chunks, pending = [], []
    for item in items:
        pending.append(item)
        if not item[1]:
            chunks.append(pending)
            pending = []
    if pending:                                       # operators after the last term stay with it
        if chunks:
            chunks[-1] += pending
        else:
            chunks.append(pending)
    lines, width = [], 0.0
    for chunk in chunks:
        w = sum(item[2] + ITEM_SPACING for item in chunk)
        if lines and max_width is not None and width + w > max_width:
            lines.append(list(chunk))
            width = w
        elif lines:
            lines[-1] += chunk
            width += w
        else:
            lines.append(list(chunk))
            width = w
    return lines


def equation_row(items, theme: Theme = LIGHT, max_width: float | None = None) -> str:
    """Terms and operators side by side: items are (html, is_operator) or (html, is_operator,
    width in px); with widths and max_width, on as many lines as equation_lines makes."""
    items = [tuple(item) + (0.0,) * (3 - len(item)) for item in items]
    tables = []
    for line in equation_lines(items, max_width):
        cells = []
        for content, op, _ in line:
            style = "font-size:14pt; padding:0 4px;" if op else ""
            # nowrap: a narrow panel must not stack an operator such as "tanh" one letter per line
            cells.append(f"<td valign='middle' nowrap style='{style} white-space:nowrap;'>{content}</td>")
        tables.append("<table cellspacing='2'><tr>" + "".join(cells) + "</tr></table>")
    return "".join(tables)


def _regularisation_symbols(settings) -> list[tuple[str, str, str, str]]:
    """For each of L1, L2 that is on: (its rate's name in the settings, its symbol, its gradient,
    its cost); the part of the gradient is named rate + "_part" in UpdatePreview.terms."""
    settings = settings or {}
    both = bool(settings.get("l1")) and bool(settings.get("l2"))
    out = []
    if settings.get("l1"):
        lam = "λ₁" if both else "λ"
        out.append(("l1", lam, f"{lam}·sign(w)", f"{lam}·Σ|w|"))
    if settings.get("l2"):
        lam = "λ₂" if both else "λ"
        out.append(("l2", lam, f"{lam}w", f"({lam}/2)·Σw²"))
    return out


def update_rule(optimizer: str, settings=None) -> list[str]:
    """The update rule of the optimizer as MATH.md writes it, one line per equation."""
    settings = settings or {}
    reg = _regularisation_symbols(settings)
    if optimizer == "sgd" and not reg:
        return ["w ← w − α·∂J/∂w (every weight and bias)"]
    lines = ["g = ∂J/∂w" + "".join(f" + {grad}" for _, _, grad, _ in reg) +
            (" (weights; g = ∂J/∂b for biases)" if reg else " (every weight and bias)")]
    if optimizer == "momentum":
        lines.append("v ← μ·v + g")
        lines.append("w ← w − α·(g + μ·v) (Nesterov)" if settings.get("nesterov") else "w ← w − α·v")
    elif optimizer == "rmsprop":
        lines += ["s ← ρ·s + (1 − ρ)·g²", "w ← w − α·g / (√s + ε)"]
    elif optimizer == "adam":
        lines += ["m ← β₁·m + (1 − β₁)·g", "v ← β₂·v + (1 − β₂)·g²",
                  "m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)", "w ← w − α·m̂ / (√v̂ + ε)"]
    else:
        lines.append("w ← w − α·g")
    return lines


def phase_title(kind: str, layer, L: int, activation: str = "", loss: str = "", optimizer: str = "sgd",
                settings=None) -> str:
    """The equation of one phase in MATH.md's symbols (the update's rule: one line per equation)."""
    if kind == "affine":
        return f"Z{sup(layer)} = W{sup(layer)}·A{sup(layer - 1)} + b{sup(layer)}"
    if kind == "activation":
        return f"A{sup(layer)} = {activation}(Z{sup(layer)})"
    if kind == "cost":
        return f"J = {loss}(A{sup(L)}, Y)"
    if kind == "backward":
        return f"dW{sup(layer)} = (1/m)·dZ{sup(layer)}·(A{sup(layer - 1)})ᵀ,  db{sup(layer)} = (1/m)·Σ dZ{sup(layer)}"
    return "\n".join(update_rule(optimizer, settings))


def short_phase(kind: str, layer) -> str:
    """The short name of a phase on the phase bar."""
    if kind == "affine":
        return f"Z{sup(layer)}"
    if kind == "activation":
        return f"A{sup(layer)}"
    if kind == "cost":
        return "J"
    if kind == "backward":
        return f"dZ{sup(layer)} dW{sup(layer)}"
    return "update"


class MathPanel(QWidget):
    """Shows an InspectView: phase equation, chain rule of the selection, finite difference, update.

    ``sample_requested(s)`` asks for the chain rule of sample s (0-based column of the batch);
    ``refused(message)`` says why a typed sample number was not taken."""

    sample_requested = Signal(int)
    refused = Signal(str)

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.view = None
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setToolTip("The maths of the current phase with the real numbers; select a weight on the "
                                "graph to see its chain rule, a finite-difference check and its update")
        self.sample_box = WholeNumberBox()
        self.sample_box.setRange(1, 1)
        self.sample_box.setKeyboardTracking(False)
        self.sample_box.setToolTip(SAMPLE_TIP)
        self.sample_box.valueChanged.connect(self._on_sample_changed)
        self.sample_box.out_of_range.connect(self._on_sample_refused)
        self.sample_of = QLabel("of 1")
        self.sample_message = QLabel("")
        self.sample_message.setWordWrap(True)
        self.sample_message.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Chain rule on sample"))
        row.addWidget(self.sample_box)
        row.addWidget(self.sample_of)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(row)
        lay.addWidget(self.sample_message)
        lay.addWidget(self.browser)
        self.sections: dict[str, str] = {}
        self._rendered_width = None
        self._squeeze = 0.0         # px less than the estimate allows, found by laying out (see _render)
        # a resize lays the equations out again, once the size has settled
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(60)
        self._relayout.timeout.connect(self._render_keeping_scroll)
        self._render()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._rendered_width is not None and abs(self._page_width() - self._rendered_width) >= 8:
            self._relayout.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._rendered_width != self._page_width():
            self._render_keeping_scroll()

    def _render_keeping_scroll(self) -> None:
        bar = self.browser.verticalScrollBar()
        fraction = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self._render()
        bar.setValue(round(fraction * bar.maximum()))

    # ----------------------------------------------------------------- equations laid out to fit
    def _page_width(self) -> float:
        """The panel less its margins, the page's margins and a scroll bar's room (from the panel's
        width, which a resize sets even while it is hidden)."""
        margins = self.layout().contentsMargins()
        return (self.width() - margins.left() - margins.right() - 2 * self.browser.frameWidth()
                - 2 * self.browser.document().documentMargin() - 20)

    def _row_width(self) -> float:
        """The estimated width an equation's line may take."""
        return self._page_width() - self._squeeze

    def _metrics(self):
        """(mono, text, operator): each the width in px of a string in the numbers' monospaced face,
        in the text's face, and in the operators' 14 pt face."""
        base = self.browser.font()
        mono_font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        mono_font.setPointSizeF(base.pointSizeF())
        op_font = QFont(base)
        op_font.setPointSizeF(14)
        return tuple(QFontMetricsF(f).horizontalAdvance for f in (mono_font, base, op_font))

    def _term(self, a, name: str = "", **kwargs) -> tuple:
        """A matrix as an equation's term: (its html, False, its width)."""
        mono, text, _ = self._metrics()
        return (matrix_html(a, name, self.theme, **kwargs), False,
                matrix_width(a, name, mono=mono, text=text, **kwargs))

    def _columns_that_fit(self, a, name: str = "", **kwargs) -> int:
        """How many columns of a (MAX_COLS at most, 2 at least) a line of the panel has room for,
        beside the operator that may start the line."""
        mono, text, _ = self._metrics()
        room = self._row_width() - self._op("/ m =")[2] - 2 * ITEM_SPACING
        cols = MAX_COLS
        while cols > 2 and matrix_width(a, name, max_cols=cols, mono=mono, text=text, **kwargs) > room:
            cols -= 1
        return cols

    def _op(self, symbol: str) -> tuple:
        """An operator (·, +, =, tanh …) between terms: (its html, True, its width)."""
        return (html.escape(symbol), True, self._metrics()[2](symbol) + 13)   # its text, padding and spacing

    def _row(self, items) -> str:
        return equation_row(items, self.theme, self._row_width())

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._render()

    def text(self) -> str:
        """What the panel says, as plain text."""
        return self.browser.toPlainText()

    def set_view(self, view) -> None:
        if view is self.view:
            return
        self.view = view
        self._sync_sample_box()
        self._render()

    # ----------------------------------------------------------------- the sample box
    def batch_size(self) -> int:
        """How many samples the batch the chain rule is on holds (1 without a view)."""
        v = self.view
        if v is not None and v.chain is not None:
            return len(v.chain.per_sample)
        if v is not None and v.batch_indices is not None and len(v.batch_indices):
            return len(v.batch_indices)
        return 1

    def _sync_sample_box(self) -> None:
        m = self.batch_size()
        self.sample_box.blockSignals(True)
        self.sample_box.setRange(1, m)
        if self.view is not None:
            self.sample_box.setValue(min(self.view.sample, m - 1) + 1)
        self.sample_box.blockSignals(False)
        self.sample_of.setText(f"of {m}")
        self.sample_box.setEnabled(self.view is not None)

    def _on_sample_changed(self, value: int) -> None:
        self.sample_message.setVisible(False)
        self.sample_requested.emit(int(value) - 1)

    def _on_sample_refused(self, text: str) -> None:
        m = self.batch_size()
        message = (f"Sample {text} refused: the batch has {m} sample{'s' if m != 1 else ''}, "
                   f"type a whole number from 1 to {m}")
        self.sample_message.setText(message)
        self.sample_message.setStyleSheet(f"color:{ERROR_COLOUR};")
        self.sample_message.setVisible(True)
        self.refused.emit(message)

    # ----------------------------------------------------------------- sections
    def _render(self) -> None:
        """Write the sections; when the widths they were laid out for were estimated short and the
        page needs scrolling sideways, lay them out again in less room (twice at most)."""
        self._squeeze = 0.0
        for _ in range(3):
            self._write_sections()
            overflow = self.browser.document().idealWidth() - self.browser.viewport().width()
            if overflow <= 0 or not self.isVisible():
                break
            self._squeeze += overflow + 4
        self._rendered_width = self._page_width()

    def _write_sections(self) -> None:
        v = self.view
        self.sections = {}
        if v is None:
            self.sections["phase"] = "<p>Press <b>Next phase</b> to walk one forward and backward pass.</p>"
        else:
            self.sections["phase"] = self._phase_html(v)
            self.sections["chain"] = self._chain_html(v)
            self.sections["update"] = self._update_html(v)
            if v.error:
                self.sections["error"] = f"<p style='color:{ERROR_COLOUR};'>{html.escape(v.error)}</p>"
        t = self.theme
        body = "<hr>".join(s for s in self.sections.values() if s)
        self.browser.setHtml(f"<div style='color:{t.text};'>{body}</div>")

    def _phase_html(self, v) -> str:
        t = self.theme
        p = v.phase
        L = len(v.sizes) - 1
        if p is None:
            return ("<h3>Phase</h3><p>No pass in progress (step " + f"{v.step:,}). Press <b>Next phase</b> "
                    "to start one: forward through each layer, the cost, backward from the output, the update.</p>")
        a = p.arrays
        n = p.layer
        where = f"phase {p.index + 1} of {len(v.plan)}" + (" · reviewing (already computed)" if v.reviewing else "")
        m = _m(a)
        if m:
            where += f" · batch of {m} sample{'s' if m != 1 else ''}"
        title = phase_title(p.kind, n, L, a.get("activation", ""), v.loss, v.optimizer, v.settings)
        head = (f"<h3>{with_hats('<br>'.join(html.escape(line) for line in title.splitlines()))}</h3>"
                f"<p style='color:{t.muted};'>{where}</p>")
        if p.kind == "affine":
            # A's rows pair with W's columns, and Z's columns with A's: as many of each are shown
            # (fewer in a narrow panel)
            k = self._columns_that_fit(a["W"], f"W{sup(n)}")
            samples = self._columns_that_fit(a["Z"], f"Z{sup(n)}")
            row = self._row([self._term(a["W"], f"W{sup(n)}", max_cols=k), self._op("·"),
                             self._term(a["A_prev"], f"A{sup(n - 1)}", max_rows=k, max_cols=samples),
                             self._op("+"), self._term(a["b"], f"b{sup(n)}"), self._op("="),
                             self._term(a["Z"], f"Z{sup(n)}", max_cols=samples)])
            return head + row + f"<p>Each column of Z{sup(n)} is one sample's weighted sums; b{sup(n)} is added to every column.</p>"
        if p.kind == "activation":
            samples = min(self._columns_that_fit(a[key], f"{key}{sup(n)}") for key in ("Z", "A"))
            row = self._row([self._op(a.get("activation", "")), self._term(a["Z"], f"Z{sup(n)}", max_cols=samples),
                             self._op("="), self._term(a["A"], f"A{sup(n)}", max_cols=samples)])
            return head + row
        if p.kind == "cost":
            cost = f"J = {num(a['J'], 6)}"
            samples = min(self._columns_that_fit(a["A"], f"A{sup(L)} = Ŷ"), self._columns_that_fit(a["Y"], "Y"))
            row = self._row([self._term(a["A"], f"A{sup(L)} = Ŷ", max_cols=samples), self._op("vs"),
                             self._term(a["Y"], "Y", max_cols=samples),
                             self._op("→"), (f"<span style='font-size:14pt;'>J = <b>{num(a['J'], 6)}</b></span>",
                                             False, self._metrics()[2](cost) + 8)])
            return head + row + (f"<p>J = <b>{num(a['J'], 6)}</b>, the mean of each sample's loss over the "
                                 "batch.</p>") + self._regularisation_html(a)
        if p.kind == "backward":
            # (Aⁿ⁻¹)ᵀ's rows pair with dZⁿ's columns (one per sample), and dWⁿ's columns with
            # (Aⁿ⁻¹)ᵀ's: as many of each are shown (fewer in a narrow panel)
            samples = self._columns_that_fit(a["dZ"], f"dZ{sup(n)}")
            A_T = np.asarray(a["A_prev"]).T
            k = self._columns_that_fit(A_T, f"(A{sup(n - 1)})ᵀ", max_rows=samples)
            row = self._row([self._term(a["dZ"], f"dZ{sup(n)}", max_cols=samples), self._op("·"),
                             self._term(A_T, f"(A{sup(n - 1)})ᵀ", max_rows=samples, max_cols=k),
                             self._op("/ m ="), self._term(a["dW"], f"dW{sup(n)}", max_cols=k), self._op(","),
                             self._term(a["db"], f"db{sup(n)}")])
            note = (f"<p>dZ{sup(n)} is each sample's error at layer {n}" +
                    (" (output: the loss's derivative times the activation's)" if n == L else
                     f", passed down as (W{sup(n + 1)})ᵀ·dZ{sup(n + 1)} ⊙ f′(Z{sup(n)})") + ".</p>")
            return head + row + note
        parts = [head]
        for l in range(len(a["weights"])):
            for name, old, change, new in ((f"W{sup(l + 1)}", a["old_weights"][l], a["weight_changes"][l],
                                            a["weights"][l]),
                                           (f"b{sup(l + 1)}", a["old_biases"][l], a["bias_changes"][l],
                                            a["biases"][l])):
                k = self._columns_that_fit(old, f"{name} before")
                parts.append(self._row([self._term(old, f"{name} before", max_cols=k), self._op("+"),
                                        self._term(change, "change", max_cols=k), self._op("="),
                                        self._term(new, f"{name} after", max_cols=k)]))
        parts.append("<p>Select a weight or a bias on the graph to follow its update number by number.</p>")
        return "".join(parts)

    def _regularisation_html(self, a) -> str:
        """The regularisation term R beside the data cost J, and their total."""
        r = a.get("regularisation")
        reg = _regularisation_symbols(r)
        if not reg:
            return ""
        lines = []
        for rate, lam, _grad, cost in reg:
            name = "R" if len(reg) == 1 else f"R{lam[-1]}"
            if rate == "l1":
                numbers = f"{num(r['l1'])}·{num(r['sum_abs'], 6)}"
            else:
                numbers = f"({num(r['l2'])}/2)·{num(r['sum_squares'], 6)}"
            lines.append(f"{name} = {cost} = {numbers} = <b>{num(r[rate + '_cost'], 6)}</b>")
        if len(reg) > 1:
            lines.append(f"R = R₁ + R₂ = <b>{num(r['cost'], 6)}</b>")
        total = a["J"] + r["cost"]
        return ("<p>Regularisation, a separate term over every weight (not the biases):<br>" + "<br>".join(lines) +
                f"<br>Objective J + R = {num(a['J'], 6)} + {operand(r['cost'], 6)} = <b>{num(total, 6)}</b>"
                " (the update descends this)</p>")

    def _chain_html(self, v) -> str:
        t = self.theme
        c = v.chain
        if v.selection is None or c is None:
            return "<h3>Chain rule</h3><p>Click a weight or a bias on the network graph to see its chain rule here.</p>"
        parts = [f"<h3>Chain rule for {c.symbol} = {num(c.value)}</h3>",
                 f"<p style='color:{t.muted};'>sample {c.sample + 1} of {len(c.per_sample)} in "
                 f"{html.escape(v.batch_source)}</p>",
                 "<p>∂loss/∂w = " + " · ".join(html.escape(f.symbol) for f in c.factors) + "</p>",
                 f"<p style='color:{t.muted};'>Gradients are row vectors (1×n), multiplied left to right; "
                 "each factor is followed by the product so far.</p>"]
        previous = None
        j = c.j + 1
        for i, f in enumerate(c.factors):
            notes = [f.note] if f.note else []
            if f.is_scalar and previous is not None and np.ndim(previous) == 1:
                notes.append(f"times entry {j} of the product before")
            note = "".join(f" <span style='color:{t.muted};'>{html.escape(x)}</span>" for x in notes)
            # a vector after the first factor is multiplied into the row before it: it is a column
            items = [self._term(f.value, "", column=i > 0, max_cols=self._columns_that_fit(f.value, column=i > 0))]
            if i > 0:
                items += [self._op("→"), self._term(f.running, "so far",
                                                    max_cols=self._columns_that_fit(f.running, "so far"))]
            parts.append(f"<p style='margin-bottom:0;'><b>{html.escape(f.symbol)}</b>{note}</p>"
                         + self._row(items))
            previous = f.running
        m = len(c.per_sample)
        agree = "agrees" if abs(c.batch_mean - c.engine_value) <= 1e-9 * max(1.0, abs(c.engine_value)) else "DIFFERS"
        parts.append(f"<p>This sample: ∂loss/∂w = <b>{num(c.sample_gradient, 6)}</b><br>"
                     f"Mean over the {m} samples: ∂J/∂w = <b>{num(c.batch_mean, 6)}</b><br>"
                     f"Engine's ∂J/∂w (backward pass): <b>{num(c.engine_value, 6)}</b> ({agree})</p>")
        if v.fd is not None:
            fd = v.fd
            parts.append(f"<p>Finite difference: (J(w+ε) − J(w−ε)) / 2ε = ({num(fd.cost_plus, 10)} − "
                         f"{operand(fd.cost_minus, 10)}) / {num(2 * fd.eps)} = <b>{num(fd.numeric, 6)}</b><br>"
                         f"relative error to the engine's value: <b>{num(fd.relative_error, 2)}</b></p>")
        return "".join(parts)

    def _update_html(self, v) -> str:
        u = v.update
        if v.selection is None or u is None:
            return ""
        t = self.theme
        h = u.hyper
        w = "w" if v.selection[0] == "weight" else "b"
        name = OPTIMIZER_NAMES.get(u.optimizer, u.optimizer)
        when = f"applied in step {v.step:,}" if v.update_applied else "the next step"
        out = [f"<h3>Update of {u.symbol} with {name} — {when}</h3>"]
        settings = [f"α = {num(u.lr)}"]
        if u.optimizer == "momentum":
            settings += [f"μ = {num(h['momentum'])}", "Nesterov on" if h["nesterov"] else "Nesterov off"]
        elif u.optimizer == "rmsprop":
            settings += [f"ρ = {num(h['rho'])}", f"ε = {num(h['eps'])}"]
        elif u.optimizer == "adam":
            settings += [f"β₁ = {num(h['beta1'])}", f"β₂ = {num(h['beta2'])}", f"ε = {num(h['eps'])}",
                         f"t = {u.t}"]
        reg = _regularisation_symbols(h)
        for rate, lam, _grad, _cost in reg:
            settings.append(f"{lam} = {num(h[rate])}")
        w_before, w_after = nums_apart(u.w, u.new_w, 6)     # digits enough to see a small step
        before = [f"{w} = {w_before}"] + [f"{STATE_SYMBOLS[n]} = {num(val, 6)}" for n, val in u.state.items()]
        lines = [f"<b>Before:</b> {', '.join(before)}", f"<b>Settings:</b> {', '.join(settings)}"]

        for equation, numbers in _update_steps(u, w, reg, w_before, w_after):
            # a long step puts its numbers under its equation, so a narrow panel does not break them
            short = len(html_to_text(equation + numbers)) <= ONE_LINE
            lines.append(f"{equation} = {numbers}" if short else f"{equation}<br>&nbsp;&nbsp;&nbsp;= {numbers}")
        after = [f"{w} = {w_after}"] + [f"{STATE_SYMBOLS[n]} = {num(val, 6)}"
                                                 for n, val in u.new_state.items()]
        lines.append(f"<b>After:</b> {', '.join(after)}  (change {num(u.change, 4)})")
        if u.state:
            lines.append(f"<span style='color:{t.muted};'>" + ", ".join(
                f"{STATE_SYMBOLS[n]}: {OPT_STATE[n]}" for n in u.state) + "</span>")
        return "".join(out) + "<p>" + with_hats("<br>".join(lines)) + "</p>"


def _update_steps(u, w: str, reg, W: str, new_W: str) -> list[tuple[str, str]]:
    """The update of one parameter, equation by equation, with the numbers of UpdatePreview u:
    the gradient g with its regularisation parts, the optimizer's state, the new value. Each step
    is (the equation in symbols, the same with the numbers, ending in its result). W and new_W are
    the parameter before and after, written as the panel writes them."""
    h = u.hyper
    x = u.terms

    updated = f" = <b>{new_W}</b>"

    def result(value):
        return f" = <b>{num(value, 6)}</b>"

    d = f"∂J/∂{w}"
    g = operand(x["g"], 6)
    lr = num(u.lr)
    step = f"{w} ← {w} − α·"
    if u.optimizer == "sgd" and not reg:
        return [(f"{step}{d}", f"{W} − {lr}·{operand(u.grad, 6)}" + updated)]
    steps = []
    if w == "w" and reg:
        steps.append((f"g = {d} + " + " + ".join(grad for _, _, grad, _ in reg),
                      num(u.grad, 6) + "".join(f" + {operand(x[rate + '_part'], 6)}" for rate, *_ in reg)
                      + result(x["g"])))
    else:
        steps.append((f"g = {d}" + ("  (biases are not regularised)" if reg else ""), num(x["g"], 6)))
    if u.optimizer == "momentum":
        mu = num(h["momentum"])
        v = operand(x["velocity"], 6)
        steps.append(("v ← μ·v + g", f"{mu}·{operand(u.state['velocity'], 6)} + {g}" + result(x["velocity"])))
        if h["nesterov"]:
            steps.append(("g + μ·v", f"{num(x['g'], 6)} + {mu}·{v}" + result(x["direction"])))
            steps.append((f"{step}(g + μ·v)", f"{W} − {lr}·{operand(x['direction'], 6)}" + updated))
        else:
            steps.append((f"{step}v", f"{W} − {lr}·{v}" + updated))
    elif u.optimizer == "rmsprop":
        rho = h["rho"]
        steps.append(("s ← ρ·s + (1 − ρ)·g²", f"{num(rho)}·{operand(u.state['mean_square'], 6)} + "
                                              f"{num(1 - rho)}·{g}²" + result(x["mean_square"])))
        steps.append(("√s + ε", f"√{num(x['mean_square'], 6)} + {num(h['eps'])}" + result(x["root"])))
        steps.append((f"{step}g / (√s + ε)", f"{W} − {lr}·{g} / {num(x['root'], 6)}" + updated))
    elif u.optimizer == "adam":
        b1, b2 = h["beta1"], h["beta2"]
        m, v = num(x["first_moment"], 6), num(x["second_moment"], 6)
        steps.append(("m ← β₁·m + (1 − β₁)·g", f"{num(b1)}·{operand(u.state['first_moment'], 6)} + "
                                               f"{num(1 - b1)}·{g}" + result(x["first_moment"])))
        steps.append(("v ← β₂·v + (1 − β₂)·g²", f"{num(b2)}·{operand(u.state['second_moment'], 6)} + "
                                                f"{num(1 - b2)}·{g}²" + result(x["second_moment"])))
        steps.append(("m̂ = m / (1 − β₁ᵗ)", f"{m} / (1 − {num(b1)}{sup(u.t)}) = {m} / {num(x['bias1'], 6)}"
                      + result(x["m_hat"])))
        steps.append(("v̂ = v / (1 − β₂ᵗ)", f"{v} / (1 − {num(b2)}{sup(u.t)}) = {v} / {num(x['bias2'], 6)}"
                      + result(x["v_hat"])))
        steps.append(("√v̂ + ε", f"√{num(x['v_hat'], 6)} + {num(h['eps'])}" + result(x["root"])))
        steps.append((f"{step}m̂ / (√v̂ + ε)", f"{W} − {lr}·{operand(x['m_hat'], 6)} / {num(x['root'], 6)}"
                      + updated))
    else:
        steps.append((f"{step}g", f"{W} − {lr}·{g}" + updated))
    return steps


def _m(arrays) -> int:
    for key in ("A_prev", "A", "Z", "dZ"):
        if key in arrays and np.ndim(arrays[key]) == 2:
            return int(np.shape(arrays[key])[1])
    return 0
