"""The data panel: a picture per dataset, noise, train ratio, regenerate, and the input features."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QGroupBox, QLabel, QPushButton,
                               QSizePolicy, QSlider, QToolButton, QVBoxLayout, QWidget)

from engine.datasets import MULTICLASS_2D

from ..state import AppState, FEATURES
from ..theme import CLASS_COLOURS, LIGHT, NEGATIVE, POSITIVE, Theme
from .number_box import WholeNumberBox

# classes on the plane: each needs its own colour on the decision boundary
MAX_PLANE_CLASSES = min(8, len(CLASS_COLOURS))

ICON = 44
WIDE_TILE_COLUMNS, NARROW_TILE_COLUMNS = 4, 3


def dataset_icon(name: str, theme: Theme = LIGHT, size: int = ICON) -> QIcon:
    """A small picture of a dataset: its points, coloured by class (or by value for regression)."""
    from engine import datasets
    data = datasets.make(name, n=240, noise=0.0, train_ratio=0.5, seed=1)
    pts = np.concatenate([data.points_train, data.points_test], axis=1)
    x0, x1, y0, y1 = data.extent or (-6, 6, -6, 6)
    pix = QPixmap(size, size)
    pix.fill(QColor(theme.base))
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    if data.kind == "regression":
        v = np.concatenate([data.Y_train[0], data.Y_test[0]])
        m = max(float(np.abs(v).max()), 1e-9)
        lut = theme.diverging_lut()
        cols = [QColor(*map(int, lut[int(np.clip((x / m * 0.5 + 0.5) * 255, 0, 255))])) for x in v]
    else:
        lab = np.concatenate([data.labels_train, data.labels_test])
        palette = [NEGATIVE, POSITIVE] if data.kind == "binary" else CLASS_COLOURS
        cols = [QColor(*palette[int(c) % len(palette)]) for c in lab]
    for (px, py), c in zip(pts.T, cols):
        u = (px - x0) / (x1 - x0) * (size - 4) + 2
        w = (1 - (py - y0) / (y1 - y0)) * (size - 4) + 2
        p.setBrush(c)
        p.drawEllipse(QPointF(u, w), 1.6, 1.6)
    p.setPen(QColor(theme.muted))
    p.setBrush(Qt.NoBrush)
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QIcon(pix)


# Data sets that come with their own train/test split, as the Sampling box shows it.
FIXED_SPLITS = {"mnist": (60_000, 10_000), "fashion-mnist": (60_000, 10_000)}

class DataPanel(QWidget):
    """Proposes data changes with ``data_change_requested(dict)``; ``set_state`` syncs it silently."""

    data_change_requested = Signal(dict)
    refused = Signal(str)                   # a typed value was refused: why

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        from engine import datasets
        self.theme = theme
        self._state: AppState | None = None
        self._syncing = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)

        box = QGroupBox("Dataset")
        self.tile_grid = grid = QGridLayout(box)
        grid.setSpacing(4)
        self.dataset_group = QButtonGroup(self)
        self.dataset_group.setExclusive(True)
        self.dataset_buttons: dict[str, QToolButton] = {}
        for name in datasets.TWO_D_DATASETS:
            b = QToolButton()
            b.setCheckable(True)
            b.setIconSize(QSize(ICON, ICON))
            b.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
            b.setText(name.replace("-", "-\n"))     # gaussian-hill on two lines: every tile as narrow as the rest
            kind = "regression" if name in datasets.REGRESSION_2D else "classification"
            b.setToolTip(f"{name}: a 2-D {kind} dataset")
            b.clicked.connect(lambda _c=False, n=name: self._propose(dataset=n))
            self.dataset_group.addButton(b)
            self.dataset_buttons[name] = b
        widest = max(b.sizeHint().width() for b in self.dataset_buttons.values())
        for b in self.dataset_buttons.values():
            b.setMinimumWidth(widest)               # tiles of one width, in even columns
        tips = {"digits": "digits: scikit-learn's 1,797 handwritten digits, 8×8 pixels (64 inputs, 10 classes)",
                "mnist": "mnist: 70,000 handwritten digits, 28×28 pixels (784 inputs); needs the files "
                         "(File › Open data folder)",
                "fashion-mnist": "fashion-mnist: 70,000 clothing images, 28×28 pixels (784 inputs, 10 classes); "
                                 "needs the files (File › Open data folder)"}
        for name in datasets.IMAGE_DATASETS:
            b = QToolButton()
            b.setCheckable(True)
            b.setText(name)
            b.setToolTip(tips[name])
            b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            b.clicked.connect(lambda _c=False, n=name: self._propose(dataset=n))
            self.dataset_group.addButton(b)
            self.dataset_buttons[name] = b
        self.data_note = QLabel("")
        self.data_note.setWordWrap(True)
        self.data_note.setToolTip("The data the network trains on")
        lay.addWidget(box)

        box2 = self.sampling_box = QGroupBox("Sampling")
        g2 = QGridLayout(box2)
        self.noise = QSlider(Qt.Horizontal)
        self.noise.setRange(0, 50)
        self.noise.setToolTip("Noise: how far points are moved from their ideal place (0 to 50%)")
        self.noise_label = QLabel("0")
        self.noise.valueChanged.connect(lambda v: self.noise_label.setText(f"{v}"))
        self.noise.sliderReleased.connect(lambda: self._propose(noise=self.noise.value() / 100.0))
        self.noise.actionTriggered.connect(self._on_slider_action)
        self.ratio = QSlider(Qt.Horizontal)
        self.ratio.setRange(10, 90)
        self.ratio.setToolTip("Share of the points used for training (10% to 90%); the rest is for testing")
        self.ratio_label = QLabel("50%")
        self.ratio.valueChanged.connect(lambda v: self.ratio_label.setText(f"{v}%"))
        self.ratio.sliderReleased.connect(lambda: self._propose(train_ratio=self.ratio.value() / 100.0))
        self.ratio.actionTriggered.connect(self._on_slider_action)
        g2.addWidget(QLabel("Ratio of training data"), 0, 0)
        g2.addWidget(self.ratio_label, 0, 1)
        g2.addWidget(self.ratio, 1, 0, 1, 2)
        g2.addWidget(QLabel("Noise"), 2, 0)
        g2.addWidget(self.noise_label, 2, 1)
        g2.addWidget(self.noise, 3, 0, 1, 2)
        self.classes = WholeNumberBox()
        self.classes.setRange(2, MAX_PLANE_CLASSES)
        self.classes.out_of_range.connect(lambda text: self.refused.emit(
            f"{text} classes refused: type a whole number from 2 to {MAX_PLANE_CLASSES}"))
        self.classes.setToolTip(f"Number of classes for spiral (arms) and blobs, 2 to {MAX_PLANE_CLASSES}; more "
                                "than two switch the output to softmax. The hidden layers keep their weights")
        self.classes.valueChanged.connect(self._on_classes_changed)
        g2.addWidget(QLabel("Classes"), 5, 0)
        g2.addWidget(self.classes, 5, 1)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw a new sample of the same dataset (the network keeps its weights)")
        self.regenerate.clicked.connect(self._on_regenerate_clicked)
        g2.addWidget(self.regenerate, 4, 0, 1, 2)
        lay.addWidget(box2)

        box3 = self.features_box = QGroupBox("Features")
        g3 = QGridLayout(box3)
        self.feature_buttons: dict[str, QToolButton] = {}
        for i, f in enumerate(FEATURES):
            b = QToolButton()
            b.setText(f)
            b.setCheckable(True)
            b.setMinimumWidth(58)
            b.setToolTip(f"Use {f} as an input of the network (weights of the other inputs are kept)")
            b.clicked.connect(self._on_feature_clicked)
            g3.addWidget(b, i // 4, i % 4)          # two rows: the panel fits the window's height
            self.feature_buttons[f] = b
        lay.addWidget(box3)
        lay.addStretch(1)
        self.apply_theme(theme)
        # four columns of dataset tiles where they fit, three in a narrow panel (a 1024-pixel screen)
        self._watched = None                  # the scroll area's viewport, once shown in one
        self._place_tiles(WIDE_TILE_COLUMNS)
        self.wide_width = self.minimumSizeHint().width()
        self._place_tiles(NARROW_TILE_COLUMNS)

    def _place_tiles(self, columns: int) -> None:
        """The 2-D dataset tiles in rows of `columns`, then the image datasets' row, then the note."""
        from engine import datasets
        grid = self.tile_grid
        for b in self.dataset_buttons.values():
            grid.removeWidget(b)
        grid.removeWidget(self.data_note)
        for i, name in enumerate(datasets.TWO_D_DATASETS):
            grid.addWidget(self.dataset_buttons[name], i // columns, i % columns)
        row = -(-len(datasets.TWO_D_DATASETS) // columns)
        spans = [1] * len(datasets.IMAGE_DATASETS)
        spans[-1] += columns - len(spans)                   # the last (the longest name) takes what is left
        column = 0
        for name, span in zip(datasets.IMAGE_DATASETS, spans):
            grid.addWidget(self.dataset_buttons[name], row, column, 1, span)
            column += span
        grid.addWidget(self.data_note, row + 1, 0, 1, columns)
        self.tile_columns = columns

    def _fit_tiles(self, width: int) -> None:
        columns = WIDE_TILE_COLUMNS if width >= self.wide_width else NARROW_TILE_COLUMNS
        if columns != self.tile_columns:
            self._place_tiles(columns)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._watched is None:
            self._fit_tiles(event.size().width())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # In a scroll area the panel is never narrower than its own minimum, which four columns
        # raise: the room there is the area's viewport (the panel's parent), so it is watched.
        parent = self.parentWidget()
        if parent is not None and parent is not self._watched and parent.parentWidget() is not None \
                and hasattr(parent.parentWidget(), "setWidgetResizable"):
            parent.installEventFilter(self)
            self._watched = parent
            self._fit_tiles(parent.width())

    def eventFilter(self, watched, event) -> bool:
        if watched is self._watched and event.type() == QEvent.Resize:
            self._fit_tiles(watched.width())
        return False

    def _draw_icons(self) -> None:
        for name, b in self.dataset_buttons.items():
            try:
                b.setIcon(dataset_icon(name, self.theme))
            except Exception:  # a picture is a nicety; the button works without one
                pass

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._draw_icons()
        # the chosen dataset and features stand out in either theme (Fusion's own checked shade
        # is barely darker than the button)
        self.setStyleSheet(
            f"QToolButton {{ border: 1px solid {theme.muted}; border-radius: 4px; padding: 2px; }}"
            f"QToolButton:checked {{ border: 2px solid {theme.accent}; background-color: {theme.checked}; "
            f"font-weight: bold; }}"
            f"QToolButton:disabled {{ border-color: {theme.window}; }}")

    def _on_slider_action(self, _action) -> None:
        # keyboard and page clicks: apply once the value settles (no drag in progress)
        sender = self.sender()
        if not sender.isSliderDown():
            from PySide6.QtCore import QTimer
            QTimer.singleShot(0, lambda: self._propose(noise=self.noise.value() / 100.0)
                              if sender is self.noise else self._propose(train_ratio=self.ratio.value() / 100.0))

    def _on_regenerate_clicked(self) -> None:
        if self._state is not None:
            self._propose(data_seed=self._state.data_seed + 1)

    def _on_feature_clicked(self) -> None:
        feats = tuple(f for f in FEATURES if self.feature_buttons[f].isChecked())
        self._propose(features=feats)

    def _propose(self, **changes) -> None:
        if self._syncing or self._state is None:
            return
        changes = {k: v for k, v in changes.items() if getattr(self._state, k) != v}
        if changes:
            self.data_change_requested.emit(changes)

    def _on_classes_changed(self, value: int) -> None:
        if not self._syncing:
            self._propose(classes=int(value))

    def _show_classes(self, state: AppState) -> None:
        """The Classes box: a setting for spiral and blobs; otherwise (disabled) what the data has,
        shown as the box's special text, since images have more classes than the box allows."""
        settable = state.dataset in MULTICLASS_2D
        self.classes.setEnabled(settable)
        if settable:
            self.classes.setSpecialValueText("")
            self.classes.setMinimum(2)
            self.classes.setValue(int(state.classes))
            return
        if state.output == "softmax":
            shown = str(int(state.classes))
        elif state.loss == "bce":
            shown = "2"
        else:
            shown = "—"           # regression: no classes
        self.classes.setMinimum(1)
        self.classes.setSpecialValueText(shown)
        self.classes.setValue(1)

    def set_state(self, state: AppState) -> None:
        """Show ``state`` without proposing anything."""
        self._state = state
        self._syncing = True
        try:
            if state.dataset in self.dataset_buttons:
                self.dataset_buttons[state.dataset].setChecked(True)
            elif self.dataset_group.checkedButton() is not None:
                self.dataset_group.setExclusive(False)
                self.dataset_group.checkedButton().setChecked(False)
                self.dataset_group.setExclusive(True)
            plane = state.dataset not in ("digits", "mnist", "fashion-mnist", "csv")
            self.sampling_box.setEnabled(plane or state.dataset == "digits")
            self.noise.setEnabled(plane)
            self.regenerate.setEnabled(plane)
            self.features_box.setEnabled(plane or (state.dataset == "csv" and all(f in FEATURES for f in state.features)))
            if state.is_image:
                self.data_note.setText(f"{state.dataset}: {state.n_inputs} pixel inputs, {state.dtype}")
            elif state.dataset == "csv":
                self.data_note.setText(f"a CSV table, {len(state.features)} input column"
                                       f"{'s' if len(state.features) != 1 else ''} (File › Import CSV…)")
            else:
                self.data_note.setText("")
            self.noise.setValue(int(round(state.noise * 100)))
            self._show_classes(state)
            self.ratio.setValue(int(round(state.train_ratio * 100)))
            if state.dataset in FIXED_SPLITS:
                # the images come with their own split; the (disabled) slider shows that share
                train, test = FIXED_SPLITS[state.dataset]
                self.ratio.setValue(int(round(100 * train / (train + test))))
                self.ratio_label.setText(f"{train:,} / {test:,} (fixed)")
            for f, b in self.feature_buttons.items():
                b.setChecked(f in state.features)
        finally:
            self._syncing = False

    def update_snapshot(self, snap) -> None:
        if self._state is None or self._state.dataset != "csv" or not snap.m_train:
            return
        # an imported table keeps the split it was imported with (the slider is disabled)
        total = snap.m_train + snap.m_test
        text = f"{snap.m_train:,} / {snap.m_test:,} (set at import)"
        if self.ratio_label.text() != text:
            self._syncing = True
            try:
                self.ratio.setValue(int(round(100 * snap.m_train / total)))
            finally:
                self._syncing = False
            self.ratio_label.setText(text)
