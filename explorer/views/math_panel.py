"""The math panel: the current phase's equation holding the real numbers, the chain rule of the
selected weight factor by factor, the finite-difference check, and the update.

Every number shown comes from an InspectView (explorer/inspector.py), which got it from
engine.inspect; this module only formats. Matrices are HTML tables with aligned columns and a
diverging colour scale (orange negative, blue positive); large ones are cut with the shape stated.
"""
from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from ..theme import LIGHT, NEGATIVE, POSITIVE, Theme

MAX_ROWS = 6
MAX_COLS = 8
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
OPT_STATE = {"velocity": "v (velocity)", "mean_square": "s (mean square)",
             "first_moment": "m (first moment)", "second_moment": "v (second moment)"}


def sup(n) -> str:
    return str(n).translate(SUP)


def num(v, digits: int = 4) -> str:
    """A number as the panel prints it: 4 significant digits, exponent only when needed."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e5:
        s = f"{v:.{digits}g}"
    else:
        s = f"{v:.{digits - 1}e}".replace("e-0", "e-").replace("e+0", "e")
    return s.replace("-", "−")


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


def matrix_html(a, name: str = "", theme: Theme = LIGHT, max_rows: int = MAX_ROWS,
                max_cols: int = MAX_COLS) -> str:
    """A matrix as a table: right-aligned numbers, a colour scale, '…' where cut, shape below."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"<b>{num(a)}</b>"
    if a.ndim == 1:
        a = a[:, None]
    n, m = a.shape
    finite = a[np.isfinite(a)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    rows = list(range(min(n, max_rows)))
    cols = list(range(min(m, max_cols)))
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
    cut = " (first " + (f"{len(rows)} rows" if n > max_rows else "") + \
        (", " if n > max_rows and m > max_cols else "") + (f"{len(cols)} columns" if m > max_cols else "") + ")" \
        if n > max_rows or m > max_cols else ""
    label = f"{html.escape(name)} " if name else ""
    return (f"<table><tr><td>{''.join(out)}</td></tr><tr><td align='center' style='color:{theme.muted};'>"
            f"{label}{n}×{m}{cut}</td></tr></table>")


def equation_row(items, theme: Theme = LIGHT) -> str:
    """Terms and operators side by side: items are (html, is_operator)."""
    cells = []
    for content, op in items:
        style = "font-size:14pt; padding:0 4px;" if op else ""
        # nowrap: a narrow panel must not stack an operator such as "tanh" one letter per line
        cells.append(f"<td valign='middle' nowrap style='{style} white-space:nowrap;'>{content}</td>")
    return "<table cellspacing='2'><tr>" + "".join(cells) + "</tr></table>"


def phase_title(kind: str, layer, L: int, activation: str = "", loss: str = "") -> str:
    """The equation of one phase in MATH.md's symbols."""
    if kind == "affine":
        return f"Z{sup(layer)} = W{sup(layer)}·A{sup(layer - 1)} + b{sup(layer)}"
    if kind == "activation":
        return f"A{sup(layer)} = {activation}(Z{sup(layer)})"
    if kind == "cost":
        return f"J = {loss}(A{sup(L)}, Y)"
    if kind == "backward":
        return f"dW{sup(layer)} = (1/m)·dZ{sup(layer)}·(A{sup(layer - 1)})ᵀ,  db{sup(layer)} = (1/m)·Σ dZ{sup(layer)}"
    return "w ← w − α·∂J/∂w  (every weight and bias)"


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
    """Shows an InspectView: phase equation, chain rule of the selection, finite difference, update."""

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.view = None
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setToolTip("The maths of the current phase with the real numbers; select a weight on the "
                                "graph to see its chain rule, a finite-difference check and its update")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.browser)
        self.sections: dict[str, str] = {}
        self._render()

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
        self._render()

    # ----------------------------------------------------------------- sections
    def _render(self) -> None:
        v = self.view
        self.sections = {}
        if v is None:
            self.sections["phase"] = "<p>Press <b>Next phase</b> to walk one forward and backward pass.</p>"
        else:
            self.sections["phase"] = self._phase_html(v)
            self.sections["chain"] = self._chain_html(v)
            self.sections["update"] = self._update_html(v)
            if v.error:
                self.sections["error"] = f"<p style='color:#d93025;'>{html.escape(v.error)}</p>"
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
        head = (f"<h3>{html.escape(phase_title(p.kind, n, L, a.get('activation', ''), v.loss))}</h3>"
                f"<p style='color:{t.muted};'>{where}</p>")
        if p.kind == "affine":
            row = equation_row([(matrix_html(a["W"], f"W{sup(n)}", t), False), ("·", True),
                                (matrix_html(a["A_prev"], f"A{sup(n - 1)}", t), False), ("+", True),
                                (matrix_html(a["b"], f"b{sup(n)}", t), False), ("=", True),
                                (matrix_html(a["Z"], f"Z{sup(n)}", t), False)], t)
            return head + row + f"<p>Each column of Z{sup(n)} is one sample's weighted sums; b{sup(n)} is added to every column.</p>"
        if p.kind == "activation":
            row = equation_row([(f"{html.escape(a.get('activation', ''))}", True),
                                (matrix_html(a["Z"], f"Z{sup(n)}", t), False), ("=", True),
                                (matrix_html(a["A"], f"A{sup(n)}", t), False)], t)
            return head + row
        if p.kind == "cost":
            row = equation_row([(matrix_html(a["A"], f"A{sup(L)} = Ŷ", t), False), ("vs", True),
                                (matrix_html(a["Y"], "Y", t), False), ("→", True),
                                (f"<span style='font-size:14pt;'>J = <b>{num(a['J'], 6)}</b></span>", False)], t)
            return head + row + "<p>J is the mean of each sample's loss over the batch.</p>"
        if p.kind == "backward":
            row = equation_row([(matrix_html(a["dZ"], f"dZ{sup(n)}", t), False), ("·", True),
                                (matrix_html(np.asarray(a["A_prev"]).T, f"(A{sup(n - 1)})ᵀ", t), False), ("/ m =", True),
                                (matrix_html(a["dW"], f"dW{sup(n)}", t), False), (",", True),
                                (matrix_html(a["db"], f"db{sup(n)}", t), False)], t)
            note = (f"<p>dZ{sup(n)} is each sample's error at layer {n}" +
                    (" (output: the loss's derivative times the activation's)" if n == L else
                     f", passed down as (W{sup(n + 1)})ᵀ·dZ{sup(n + 1)} ⊙ f′(Z{sup(n)})") + ".</p>")
            return head + row + note
        parts = [head]
        old_w, new_w, dws = a["old_weights"], a["weights"], a["weight_changes"]
        for l in range(len(new_w)):
            parts.append(equation_row([(matrix_html(old_w[l], f"W{sup(l + 1)} before", t), False), ("+", True),
                                       (matrix_html(dws[l], "change −α·(step)", t), False), ("=", True),
                                       (matrix_html(new_w[l], f"W{sup(l + 1)} after", t), False)], t))
        return "".join(parts)

    def _chain_html(self, v) -> str:
        t = self.theme
        c = v.chain
        if v.selection is None or c is None:
            return "<h3>Chain rule</h3><p>Click a weight or a bias on the network graph to see its chain rule here.</p>"
        parts = [f"<h3>Chain rule for {c.symbol} = {num(c.value)}</h3>",
                 f"<p style='color:{t.muted};'>sample {c.sample + 1} of {len(c.per_sample)} in "
                 f"{html.escape(v.batch_source)}</p>",
                 "<p>∂loss/∂w = " + " · ".join(html.escape(f.symbol) for f in c.factors) + "</p>",
                 "<table cellspacing='4'><tr><th align='left'>factor</th><th align='left'>value</th>"
                 "<th align='left'>product so far</th></tr>"]
        for f in c.factors:
            note = f"<br><span style='color:{t.muted};'>{html.escape(f.note)}</span>" if f.note else ""
            parts.append(f"<tr><td valign='top'><b>{html.escape(f.symbol)}</b>{note}</td>"
                         f"<td valign='top'>{matrix_html(f.value, '', t)}</td>"
                         f"<td valign='top'>{matrix_html(f.running, '', t)}</td></tr>")
        parts.append("</table>")
        m = len(c.per_sample)
        agree = "agrees" if abs(c.batch_mean - c.engine_value) <= 1e-9 * max(1.0, abs(c.engine_value)) else "DIFFERS"
        parts.append(f"<p>This sample: ∂loss/∂w = <b>{num(c.sample_gradient, 6)}</b><br>"
                     f"Mean over the {m} samples: ∂J/∂w = <b>{num(c.batch_mean, 6)}</b><br>"
                     f"Engine's ∂J/∂w (backward pass): <b>{num(c.engine_value, 6)}</b> ({agree})</p>")
        if v.fd is not None:
            fd = v.fd
            parts.append(f"<p>Finite difference: (J(w+ε) − J(w−ε)) / 2ε = ({num(fd.cost_plus, 10)} − "
                         f"{num(fd.cost_minus, 10)}) / {num(2 * fd.eps)} = <b>{num(fd.numeric, 6)}</b><br>"
                         f"relative error to the engine's value: <b>{fd.relative_error:.1e}</b></p>")
        return "".join(parts)

    def _update_html(self, v) -> str:
        u = v.update
        if v.selection is None or u is None:
            return ""
        applied = u.hyper.get("applied", False)
        lines = [f"<h3>Update of {u.symbol} ({u.optimizer}){' — applied' if applied else ' — next'}</h3>",
                 f"<p>w = {num(u.w, 6)}, α = {num(u.lr)}, ∂J/∂w = {num(u.grad, 6)}"]
        if u.reg_grad:
            lines.append(f", regularisation adds {num(u.reg_grad)} to the gradient")
        lines.append("</p>")
        g = u.grad + u.reg_grad
        if u.optimizer == "sgd":
            lines.append(f"<p>w − α·∂J/∂w = {num(u.w, 6)} − {num(u.lr)}·{num(g, 6)} = <b>{num(u.new_w, 6)}</b></p>")
        else:
            for name, value in u.state.items():
                lines.append(f"<p>{OPT_STATE.get(name, name)} before: {num(value, 6)}</p>")
            for name, value in u.new_state.items():
                lines.append(f"<p>{OPT_STATE.get(name, name)} after: {num(value, 6)}</p>")
            extra = ", ".join(f"{k} = {num(val) if isinstance(val, float) else val}"
                              for k, val in u.hyper.items() if k != "applied")
            if extra:
                lines.append(f"<p>{html.escape(extra)}</p>")
            lines.append(f"<p>new w = <b>{num(u.new_w, 6)}</b> (change {num(u.change, 4)})</p>")
        return "".join(lines)


def _m(arrays) -> int:
    for key in ("A_prev", "A", "Z", "dZ"):
        if key in arrays and np.ndim(arrays[key]) == 2:
            return int(np.shape(arrays[key])[1])
    return 0
