"""MainWindow: menus, toolbar, status bar and docks around the network graph.

Seams for more panels:

* ``add_panel(name, widget, area)`` puts any widget in a dock with a View-menu toggle; if the
  widget has ``update_snapshot(snapshot)`` it receives every snapshot shown, and
  ``apply_theme(theme)`` when the theme changes.
* ``add_view(obj)`` registers a non-docked object for the same fan-out.
* ``snapshot_shown(snapshot)`` is emitted after the views drew a snapshot.
* ``selection_changed(kind, layer, j, k)``: the weight / bias / neuron the user selected.
* ``post(command, *args)`` sends a command to the training worker (see explorer/worker.py).
"""
from __future__ import annotations

from . import _qtfix  # noqa: F401  (PySide6 refcount guard, see the module)
from . import gc_guard
import os
import time

from PySide6.QtCore import QByteArray, QEventLoop, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMessageBox,
                               QScrollArea, QSizePolicy, QStyle, QToolBar, QWidget)

from .snapshot import Snapshot
from .state import AppState
from .theme import THEMES, apply_palette
from .views.boundary import BoundaryView
from .views.controls import TrainingControls
from .views.data_panel import DataPanel
from .views.loss_plot import LossPlotView
from .views.network_graph import NetworkGraphView
from .worker import LOADING_KERNELS, TrainingWorker

FRAME_MS = 16
STATUS_TIP = "What the app is doing"
OUTPUT_DOCK_WIDTH = 380     # the right-hand docks for 2-D data: a square boundary plot
IMAGE_DOCK_WIDTH = 640      # for images: the test-image grid beside the probabilities of one image
# Below this window height the Loss panel moves to the bottom row, as a tab beside the Cost slice:
# under the Output panel it left the decision boundary under 100 px tall on a 768-pixel screen.
SHORT_WINDOW_HEIGHT = 850
MATH_PANEL_WIDTH = 560    # room for an equation's line of a few matrices
# Every shortcut of the window, in Qt's portable key names (a test checks none is missing).
SHORTCUTS = [
    ("Space", "Play / pause training"),
    ("Right", "One training step"),
    ("N", "Next phase of the pass: forward, cost, backward, update"),
    ("Shift+N", "Previous phase of the pass"),
    ("Ctrl+R", "Reset: new random weights, step 0"),
    ("Ctrl+N", "New session with the default settings"),
    ("Ctrl+O", "Open a saved session"),
    ("Ctrl+S", "Save the session: network, training progress, loss curve and data"),
    ("Ctrl+I", "Import a CSV file as the data"),
    ("Ctrl+Shift+S", "Save a screenshot of the window"),
    ("Ctrl+Q", "Quit"),
]
KEY_NAMES = {"Right": "→ (Right)"}


def cache_plot_axes(root) -> None:
    """Keep every plot axis as a cached pixmap: pyqtgraph redraws an axis's tick labels on every
    repaint of its view (about 2 ms each, several per Step), though most axes change rarely.
    An axis that does change calls update(), which renews its cache."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGraphicsItem
    for view in root.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)


def image_set_named_by(path: str) -> str | None:
    """"fashion-mnist" or "mnist" when a folder's name says which set its files are, else None."""
    name = os.path.basename(os.path.normpath(path)).lower()
    if "fashion" in name:
        return "fashion-mnist"
    if "mnist" in name or "digit" in name:
        return "mnist"
    return None


class MainWindow(QMainWindow):
    snapshot_shown = Signal(object)                    # Snapshot, after every view drew it
    training_diverged = Signal(str)                    # the worker stopped a diverging run (GUI thread)
    data_load_failed = Signal(str)                     # data could not be loaded: why (GUI thread)
    selection_changed = Signal(str, int, int, int)     # kind, layer, j, k
    state_changed = Signal(object)                     # the AppState the worker now runs with

    def __init__(self, state: AppState | None = None, settings: QSettings | None = None,
                 restore: bool = True):
        super().__init__()
        self.setWindowTitle("Backprop Explorer")
        self.settings = settings or QSettings("BackpropExplorer", "BackpropExplorer")
        self.state = state or AppState()
        self.theme = THEMES.get(str(self.settings.value("theme", "light")), THEMES["light"])
        # before any view is made: a widget with a style sheet keeps the palette it was first polished with
        apply_palette(QApplication.instance(), self.theme)
        self._views: list = []
        self._panels: dict[str, QDockWidget] = {}
        self._docks_fitted = False
        self._layout_restored = False          # the panels are where the user left them last time
        self._snapshot: Snapshot | None = None
        self._shown_serial = -1
        self._playing = False
        self._last_frame = 0.0
        self.frames = 0
        self.last_message = ""
        self.showing_error = False
        self._saved_at = None                  # (step, arch_version, data_version) of the last saved session
        self._save_outcome = None              # True / False once the last save was written / failed
        self._save_loop = None                 # the event loop save_session(wait=True) runs meanwhile
        self._closing = False

        self.graph = NetworkGraphView(self, self.theme)
        self.setCentralWidget(self.graph)
        self.add_view(self.graph)

        self._build_actions()
        self._build_toolbar()
        self._build_status_bar()
        self._build_menus()

        self.data_panel = DataPanel(theme=self.theme)
        self.boundary = BoundaryView(theme=self.theme)
        self.loss_plot = LossPlotView(theme=self.theme)
        self.add_panel("Data", self.data_panel, Qt.LeftDockWidgetArea, scrollable=True)
        self.add_panel("Output", self.boundary, Qt.RightDockWidgetArea)
        self.add_panel("Loss", self.loss_plot, Qt.RightDockWidgetArea)
        self.resizeDocks([self._panels["Data"], self._panels["Output"]], [250, OUTPUT_DOCK_WIDTH], Qt.Horizontal)
        self.resizeDocks([self._panels["Output"], self._panels["Loss"]], [460, 300], Qt.Vertical)
        from .views.data_docks import DigitCanvasDock, EpochProgress, ImagesDock
        self.images = ImagesDock()
        self.digit_canvas = DigitCanvasDock()
        self.add_panel("Images", self.images, Qt.RightDockWidgetArea)
        self.add_panel("Digit canvas", self.digit_canvas, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self._panels["Output"], self._panels["Images"])
        self.tabifyDockWidget(self._panels["Loss"], self._panels["Digit canvas"])
        self._panels["Output"].raise_()
        self._panels["Loss"].raise_()
        self._image_data = False
        self.progress = EpochProgress()
        self.statusBar().addPermanentWidget(self.progress)
        self.add_view(self.progress)

        from .point_editor import DrawClassPicker, PlotClicks, pick_radius
        self.draw_class = DrawClassPicker()
        self.boundary.layout().addWidget(self.draw_class)
        self.add_view(self.draw_class)
        self.point_clicks = PlotClicks(self.boundary.plot.getPlotItem(), self)
        self.point_clicks.add_requested.connect(
            lambda x, y: self.post("add_point", x, y, self.draw_class.selected))
        self.point_clicks.remove_requested.connect(
            lambda x, y: self.post("remove_point", x, y, pick_radius(self.snapshot) if self.snapshot else None,
                                   self._drawn_parts()))
        # the one-input function plot: a click's height is the new point's target
        self.function_clicks = PlotClicks(self.boundary.function_plot.getPlotItem(), self)
        self.function_clicks.add_requested.connect(self._on_function_plot_add)
        self.function_clicks.remove_requested.connect(self._on_function_plot_remove)
        self._connect()
        self.controls.set_state(self.state)
        self.data_panel.set_state(self.state)

        self.worker = TrainingWorker(self.state)
        self.worker.snapshot_published.connect(self._on_snapshot_published)
        self.worker.status_changed.connect(self._on_worker_status)
        self.worker.edit_refused.connect(self._on_edit_refused)
        self.worker.state_applied.connect(self._on_state_applied)
        self.worker.diverged.connect(self._on_diverged)
        self.worker.ready.connect(self._on_worker_ready)
        self.worker.data_error.connect(self._on_data_error)
        # bound methods of this window, so Qt runs them in the GUI thread (a lambda or a plain Python
        # object would run in the worker's thread and touch widgets from there)
        self.worker.epochs_done.connect(self._on_epochs_done)
        self.worker.session_error.connect(self._on_session_error)
        self.worker.session_saved.connect(self._on_session_saved)
        self.loading_clock = QTimer(self)
        self.loading_clock.setInterval(1000)
        self.loading_clock.timeout.connect(self._on_loading_clock)
        self.thread = self.worker.start()

        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._on_frame_timer)
        # the training thread must never collect Qt objects: garbage is collected here instead
        self.gc_timer = QTimer(self)
        self.gc_timer.setInterval(1000)
        self.gc_timer.timeout.connect(gc_guard.collect_if_due)
        self.gc_timer.start()
        self.frame_timer.start()

        from .phase_panels import install as install_phase_panels
        install_phase_panels(self)
        cache_plot_axes(self)

        self._initial_layout = self.saveState()   # what View ▸ Reset panel layout goes back to
        available = self.screen().availableGeometry()
        self.resize(min(1400, available.width()), min(900, available.height()))
        if restore:
            geo = self.settings.value("geometry")
            if isinstance(geo, QByteArray) and not geo.isEmpty():
                self.restoreGeometry(geo)
            st = self.settings.value("windowState")
            if isinstance(st, QByteArray) and not st.isEmpty():
                self._layout_restored = self.restoreState(st)

    def _on_function_plot_add(self, u: float, v: float) -> None:
        """A click on the plot of ŷ over one input: a point at input u. Its target is the click's
        height for regression, its class the picker's otherwise."""
        snap = self.snapshot
        if snap is None or not BoundaryView.has_function_plot(snap):
            return
        if snap.curve is not None:          # a table of one column: the row (u) with its value
            self.post("add_point", u, v, v if snap.kind == "regression" else self.draw_class.selected)
            return
        from .point_editor import function_point
        self.post("add_point", *function_point(snap, BoundaryView.function_input(snap), u), v)

    def _on_function_plot_remove(self, u: float, v: float) -> None:
        snap = self.snapshot
        curve = None if snap is None else BoundaryView.function_curve(snap)
        if curve is None:
            return
        from .point_editor import function_nearest
        (x0, x1), (y0, y1) = self.boundary.function_plot.getPlotItem().getViewBox().viewRange()
        hit = function_nearest(snap, curve, lambda labels: BoundaryView.point_heights(snap, labels), u, v,
                               (x1 - x0, y1 - y0), self.boundary.show_test.isChecked())
        # no hit: a point far from every other, so the worker says there is no point near the click
        self.post("remove_point", *(hit if hit is not None else (float("inf"), float("inf"))), 1e-9,
                  self._drawn_parts())

    def _drawn_parts(self) -> tuple:
        """The parts of the data a right-click may remove a point of: the ones the plot shows."""
        return ("train", "test") if self.boundary.show_test.isChecked() else ("train",)

    # ------------------------------------------------------------------ seams
    def add_panel(self, name: str, widget: QWidget, area=Qt.RightDockWidgetArea,
                  visible: bool = True, scrollable: bool = False) -> QDockWidget:
        """Dock ``widget`` under ``name`` with a View-menu toggle; register it for snapshots.
        A scrollable panel scrolls up and down instead of holding the window to its full height."""
        dock = QDockWidget(name, self)
        dock.setObjectName(f"dock_{name}")
        if scrollable:
            scroll = QScrollArea()
            scroll.setWidget(widget)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            # as wide as the panel and its scroll bar, so the bar never hides a control
            scroll.setMinimumWidth(widget.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
            dock.setWidget(scroll)
        else:
            dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        act = dock.toggleViewAction()
        act.setToolTip(f"Show or hide the {name} panel")
        self.panels_menu.addAction(act)
        self._panels[name] = dock
        dock.setVisible(visible)
        self.add_view(widget)
        return dock

    def add_view(self, view) -> None:
        """Register an object with ``update_snapshot`` (and optionally ``apply_theme``)."""
        if view not in self._views:
            self._views.append(view)
            if self._snapshot is not None and hasattr(view, "update_snapshot"):
                view.update_snapshot(self._snapshot)

    def panel(self, name: str) -> QDockWidget:
        return self._panels[name]

    def post(self, command: str, *args) -> None:
        self.worker.post(command, *args)

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot the views show now."""
        return self._snapshot

    # ------------------------------------------------------------------ building
    def _build_actions(self) -> None:
        def act(text, tip, slot, shortcut=None):
            a = QAction(text, self)
            a.setToolTip(tip)
            a.setStatusTip(tip)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.WindowShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.reset_action = act("⟲ Reset", "Reset: new random weights, step 0 (Ctrl+R)", self._on_reset_triggered, "Ctrl+R")
        self.step_action = act("Step ▸|", "One training step: forward, cost, backward, update (→)",
                               self._on_step_triggered, Qt.Key_Right)
        self.play_action = act("▶ Play", "Play or pause training (Space)", self._on_play_triggered, Qt.Key_Space)
        self.new_action = act("&New", "Start over with the default settings (Ctrl+N)", self._on_new_triggered, "Ctrl+N")
        self.open_session_action = act("&Open session…", "Continue a saved session: its network, weights, "
                                       "optimizer state, loss curve and data (Ctrl+O)", self._on_open_session_triggered,
                                       "Ctrl+O")
        self.save_session_action = act("&Save session…", "Save the network as it is now, with its training "
                                       "progress, loss curve and data, to continue later (Ctrl+S)",
                                       self._on_save_session_triggered, "Ctrl+S")
        self.import_csv_action = act("Import &CSV…", "Load a table from a CSV file as the data: pick the input "
                                     "columns and the label (Ctrl+I)", self._on_import_csv_triggered, "Ctrl+I")
        self.data_folder_action = act("Open &data folder…", "Pick a folder holding the MNIST or Fashion-MNIST "
                                      "files (four IDX files, .gz or not, or mnist.npz) and train on them",
                                      self._on_data_folder_triggered)
        self.screenshot_action = act("&Screenshot…", "Save a picture of the window (Ctrl+Shift+S)",
                                     self._on_screenshot_triggered, "Ctrl+Shift+S")
        self.quit_action = act("&Quit", "Close the app (Ctrl+Q)", self.close, "Ctrl+Q")

    def _build_toolbar(self) -> None:
        tb = QToolBar("Training", self)
        tb.setObjectName("toolbar_training")
        tb.setMovable(False)
        self.addToolBar(Qt.TopToolBarArea, tb)
        tb.addAction(self.reset_action)
        tb.addAction(self.step_action)
        tb.addAction(self.play_action)
        self.counter = QLabel("Step 0 · Epoch 0")
        self.counter.setToolTip("Steps done (one mini-batch each) and completed epochs (passes over the training set)")
        self.counter.setStyleSheet(f"font-weight: bold; padding: 0 8px; color: {self.theme.text};")
        bold = QFont(self.counter.font())
        bold.setBold(True)
        # room for a long run's numbers, so the toolbar does not cut them while playing
        self.counter.setMinimumWidth(QFontMetrics(bold).horizontalAdvance("Step 999,999 · Epoch 99,999") + 8)
        tb.addWidget(self.counter)
        self.toolbar = tb
        # the hyper-parameters in a toolbar of their own, so a narrow window can put them on a second
        # row (see resizeEvent) instead of hiding them behind the toolbar's » menu
        params = QToolBar("Hyper-parameters", self)
        params.setObjectName("toolbar_parameters")
        params.setMovable(False)
        self.addToolBar(Qt.TopToolBarArea, params)
        self.controls = TrainingControls(self)
        params.addWidget(self.controls)
        self.params_toolbar = params
        self._toolbar_break = False

    def resize(self, *size) -> None:
        """QWidget.resize, with the toolbars first set for the new width: on one row they hold the
        window at least as wide as they are, so a narrower size would not be reached."""
        self._fit_toolbars(size[0] if len(size) == 2 else size[0].width())
        self.layout().activate()            # the window's minimum size follows the rows at once
        super().resize(*size)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_toolbars()

    def _fit_toolbars(self, width: int | None = None) -> None:
        """One row of toolbars when they fit in the window's width (their preferred width, well
        above the narrowest one row allows, so a window made narrower by hand wraps them before it
        is held back), two when they do not."""
        needed = self.toolbar.sizeHint().width() + self.params_toolbar.sizeHint().width()
        wrap = (self.width() if width is None else width) < needed
        if wrap != self._toolbar_break:
            self._toolbar_break = wrap
            if wrap:
                self.insertToolBarBreak(self.params_toolbar)
            else:
                self.removeToolBarBreak(self.params_toolbar)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = QLabel("Starting…")
        self.status_label.setToolTip(STATUS_TIP)
        # a long message is cut at the window's edge (whole in the tooltip), never widens the window
        self.status_label.setMinimumWidth(1)
        self.status_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        sb.addWidget(self.status_label, 1)
        self.rate_label = QLabel("")
        self.rate_label.setToolTip("Training speed")
        sb.addPermanentWidget(self.rate_label)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        f.addAction(self.new_action)
        from .state import preset_names
        presets = f.addMenu("Open &preset")
        presets.setToolTipsVisible(True)
        for name in preset_names():
            a = presets.addAction(name)
            a.setToolTip(f"Start over with the {name} preset")
            a.triggered.connect(lambda _c=False, n=name: self.confirm_discard() and self.load_preset(n))
        f.addSeparator()
        f.addAction(self.open_session_action)
        f.addAction(self.save_session_action)
        f.addSeparator()
        f.addAction(self.import_csv_action)
        f.addAction(self.data_folder_action)
        f.addSeparator()
        f.addAction(self.screenshot_action)
        f.addSeparator()
        f.addAction(self.quit_action)
        t = self.training_menu = mb.addMenu("&Training")
        for a in (self.play_action, self.step_action, self.reset_action):
            t.addAction(a)
        v = mb.addMenu("&View")
        self.view_menu = v
        self.panels_menu = v.addMenu("&Panels")
        reset = v.addAction("&Reset panel layout", self.reset_layout)
        reset.setToolTip("Put every panel back where it starts, sized for this window")
        reset.setStatusTip(reset.toolTip())
        theme_menu = v.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for name in THEMES:
            a = theme_menu.addAction(name.capitalize())
            a.setCheckable(True)
            a.setChecked(name == self.theme.name)
            a.setToolTip(f"Use the {name} theme")
            group.addAction(a)
            a.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_actions[name] = a
        h = self.help_menu = mb.addMenu("&Help")
        h.addAction("&Keyboard shortcuts", self._on_shortcuts_triggered)
        h.addAction("&About", self._on_about_triggered)

    def _connect(self) -> None:
        g = self.graph
        g.weight_edited.connect(lambda l, j, k, v: self.post("set_weight", l, j, k, v))
        g.bias_edited.connect(lambda l, j, v: self.post("set_bias", l, j, v))
        g.selection_changed.connect(self.selection_changed)
        g.layer_add_requested.connect(self._on_layer_add_requested)
        g.layer_remove_requested.connect(self._on_layer_remove_requested)
        g.neuron_add_requested.connect(self._on_neuron_add_requested)
        g.neuron_remove_requested.connect(self._on_neuron_remove_requested)
        g.activation_requested.connect(self._on_activation_requested)
        self.controls.hyper_change_requested.connect(self._on_hyper_change_requested)
        self.controls.loss_change_requested.connect(self._on_loss_change_requested)
        self.controls.speed_changed.connect(lambda s: self.post("speed", s))
        self.controls.refused.connect(lambda msg: self.show_message(msg, error=True))
        self.data_panel.data_change_requested.connect(self._on_data_change_requested)
        self.data_panel.refused.connect(lambda msg: self.show_message(msg, error=True))

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str, error: bool = False) -> None:
        """One line in the status bar (the first of a longer message, which is kept whole in its
        tooltip and in last_message): a status bar that grows would squeeze every panel."""
        self.last_message = text
        self.showing_error = error
        lines = text.strip().splitlines() or [""]
        self.status_label.setText(lines[0] + (" …" if len(lines) > 1 else ""))
        self.status_label.setToolTip(text if len(lines) > 1 or len(text) > 80 else STATUS_TIP)
        self.status_label.setStyleSheet("color: #d93025; font-weight: bold;" if error else "")

    def _on_worker_status(self, text: str) -> None:
        self.show_message(text)
        # a first start compiles the kernels for about half a minute: the seconds counted show it is at work
        if text.startswith(LOADING_KERNELS):
            self._loading_since = (text.rstrip("…"), time.perf_counter())
            self.loading_clock.start()
        else:
            self.loading_clock.stop()

    def _on_loading_clock(self) -> None:
        text, since = self._loading_since
        if self.last_message.startswith(text):        # nothing else was said meanwhile
            self.show_message(f"{text}: {time.perf_counter() - since:.0f} s…")

    def _on_edit_refused(self, text: str) -> None:
        self.show_message(f"Refused: {text}", error=True)

    def _on_diverged(self, text: str) -> None:
        self._set_playing(False)
        self.show_message(text, error=True)
        self.training_diverged.emit(text)

    def _on_epochs_done(self, _epoch: int) -> None:
        self._set_playing(False)

    def _on_worker_ready(self) -> None:
        pass

    def _on_state_applied(self, state: AppState) -> None:
        self.state = state
        self.controls.set_state(state)
        self.data_panel.set_state(state)
        self.state_changed.emit(state)

    # ------------------------------------------------------------------ proposals
    def _try(self, make_state, command, *args) -> bool:
        """Validate a proposed change against AppState; post it to the worker when allowed."""
        try:
            make_state()
        except ValueError as exc:
            self.show_message(f"Refused: {exc}", error=True)
            self.controls.set_state(self.state)
            self.data_panel.set_state(self.state)
            return False
        self.post(command, *args)
        return True

    def _on_hyper_change_requested(self, changes: dict) -> None:
        if self.showing_error:               # a valid value now: the old refusal is over
            self.show_message("")
        self._try(lambda: self.state.replace(**changes), "hyper", changes)

    def _on_loss_change_requested(self, loss: str) -> None:
        self.post("loss", loss)

    def _on_data_change_requested(self, changes: dict) -> None:
        self._try(lambda: self.state.with_data(**changes), "data", changes)

    # ------------------------------------------------------------------ real data
    def _on_data_error(self, text: str) -> None:
        """Data could not be loaded: the engine's message (where to put the files, how to get
        them) in a dialog; training goes on with the current data."""
        self.show_message("Could not load the data; the current data stays. " + (text.splitlines() or [""])[0],
                          error=True)
        lines = text.splitlines()
        head = lines[0][:1].upper() + lines[0][1:] if lines else "The data could not be loaded."
        box = QMessageBox(QMessageBox.Warning, "Data not found", head, QMessageBox.Ok, self)
        box.setTextFormat(Qt.PlainText)
        box.setInformativeText("\n".join(lines[1:] + ["", "The current data stays loaded."]))
        box.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.setModal(False)
        self.data_error_box = box
        box.open()
        self.data_load_failed.emit(text)

    def _on_import_csv_triggered(self) -> None:
        from .dialogs.csv_import import import_csv
        data = import_csv(self)
        if data is not None:
            self.use_dataset(data)

    def use_dataset(self, data) -> None:
        """Train on a Dataset (a CSV import); the worker replaces the data between two steps."""
        self._set_playing(False)
        self.post("pause")
        self.post("dataset", data)

    def _on_data_folder_triggered(self) -> None:
        start = self.state.data_dir or str(self.settings.value("data_dir", "") or "")
        path = QFileDialog.getExistingDirectory(self, "Folder with MNIST or Fashion-MNIST files", start)
        if not path:
            return
        # both sets have the same files; the folder's name tells them apart, or the user does
        name = image_set_named_by(path) or self.ask_image_set()
        if name:
            self.open_data_folder(path, name)

    def ask_image_set(self) -> str | None:
        """Ask whether a folder holds MNIST's digits or Fashion-MNIST's clothes (None: cancelled)."""
        box = QMessageBox(QMessageBox.Question, "Which images?",
                          "MNIST and Fashion-MNIST use the same file names. Which set is in this folder?",
                          QMessageBox.Cancel, self)
        digits = box.addButton("Digits (MNIST)", QMessageBox.AcceptRole)
        clothes = box.addButton("Clothes (Fashion-MNIST)", QMessageBox.AcceptRole)
        box.setDefaultButton(digits)
        box.exec()
        return {digits: "mnist", clothes: "fashion-mnist"}.get(box.clickedButton())

    def open_data_folder(self, path: str, name: str | None = None) -> None:
        """Use the MNIST / Fashion-MNIST files in ``path``; from 2-D data, with the classic 784-512-10.
        Without a name, the folder's name says which set it is (MNIST when it does not)."""
        from .state import load_preset
        if name is None:
            name = image_set_named_by(path) or "mnist"
        self.settings.setValue("data_dir", path)
        self._set_playing(False)
        self.post("pause")
        if self.state.is_image:
            self._try(lambda: self.state.with_data(dataset=name, data_dir=path), "data",
                      {"dataset": name, "data_dir": path})
        else:
            preset = "fashion-784-512-10" if name == "fashion-mnist" else "mnist-784-512-10"
            self.post("new_state", load_preset(preset).replace(data_dir=path))

    def _on_layer_add_requested(self, index: int) -> None:
        self._try(lambda: self.state.with_layer_added(index), "add_layer", index)

    def _on_layer_remove_requested(self, index: int) -> None:
        self._try(lambda: self.state.with_layer_removed(index), "remove_layer", index)

    def _on_neuron_add_requested(self, layer: int) -> None:
        self._try(lambda: self.state.with_neurons(layer, 1), "add_neuron", layer)

    def _on_neuron_remove_requested(self, layer: int) -> None:
        self._try(lambda: self.state.with_neurons(layer, -1), "remove_neuron", layer)

    def _on_activation_requested(self, layer: int, name: str) -> None:
        self._try(lambda: self.state.with_activation(layer, name), "activation", layer, name)

    # ------------------------------------------------------------------ training actions
    def _set_playing(self, on: bool) -> None:
        self._playing = on
        self.play_action.setText("❚❚ Pause" if on else "▶ Play")

    def _on_play_triggered(self) -> None:
        self._set_playing(not self._playing)
        self.post("play" if self._playing else "pause")

    def play(self) -> None:
        if not self._playing:
            self._on_play_triggered()

    def pause(self) -> None:
        if self._playing:
            self._on_play_triggered()

    def _on_step_triggered(self) -> None:
        self._set_playing(False)
        self.post("step")

    def _on_reset_triggered(self) -> None:
        self._set_playing(False)
        self.post("pause")
        self.post("reset")

    def _on_new_triggered(self) -> None:
        if not self.confirm_discard():
            return
        self._set_playing(False)
        self.post("new_state", AppState())

    def confirm_discard(self) -> bool:
        """Before File ▸ New, a preset, a lesson or a session replaces a trained network that was
        not saved: ask whether to save it, discard it, or keep it. True: go on."""
        snap = self.snapshot
        if snap is None or snap.step == 0 or self._is_saved(snap):
            return True
        self._set_playing(False)
        self.post("pause")
        steps = f"{snap.step:,} step{'s' if snap.step != 1 else ''}"
        box = QMessageBox(QMessageBox.Question, "Replace the network?",
                          f"The network has trained for {steps} and is not saved.",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self)
        box.setInformativeText("Save it as a session first, discard it, or cancel and keep it.")
        box.setDefaultButton(QMessageBox.Cancel)
        answer = box.exec()
        if answer == QMessageBox.Save:
            path = self._ask_session_path()
            return bool(path) and self.save_session(path, wait=True)
        return answer == QMessageBox.Discard

    def _is_saved(self, snap: Snapshot) -> bool:
        """Whether the network on screen is the one last saved (or opened): same step, no layer or
        data edits since, such as drawn points (an opened session's versions are not known until its
        first snapshot: None)."""
        if self._saved_at is None:
            return False
        step, arch, data = self._saved_at
        return step == snap.step and arch in (None, snap.arch_version) and data in (None, snap.data_version)

    def load_preset(self, name: str) -> None:
        """A built-in preset's settings, or a preset file as a lesson: its settings, its own
        weights and data, its explanation and hints (as the Lessons menu opens it)."""
        from .presets import lesson_file, load_preset_file
        from .state import load_preset
        try:
            path = lesson_file(name)
            lesson = load_preset_file(path) if path is not None else None
            state = load_preset(name) if lesson is None else None
        except ValueError as exc:                 # PresetError is a ValueError
            self.show_message(f"Refused: {exc}", error=True)
            return
        self._set_playing(False)
        if lesson is not None:
            self.phase_panels.open_preset(lesson)
        else:
            self.post("new_state", state)

    # ------------------------------------------------------------------ sessions
    def _session_folder(self) -> str:
        return str(self.settings.value("session_dir", "") or "")

    def _ask_session_path(self) -> str:
        """A session file name from the Save dialog ("" when cancelled)."""
        from .session import SUFFIX
        start = os.path.join(self._session_folder(), f"backprop-explorer{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save session", start, f"Backprop Explorer sessions (*{SUFFIX})")
        return path if not path or path.endswith(SUFFIX) else path + SUFFIX

    def _on_save_session_triggered(self) -> None:
        path = self._ask_session_path()
        if path:
            self.save_session(path)

    def save_session(self, path: str, wait: bool = False) -> bool:
        """Save the session; the worker writes it between two steps, so weights and progress agree.
        The network counts as saved once the file is written (session_saved), not when asked.
        wait: return only then, True when it was written (False on an error or after 60 s)."""
        self.settings.setValue("session_dir", os.path.dirname(os.path.abspath(path)))
        self._save_outcome = None
        self.post("save_session", path)
        if not wait:
            return True
        loop = self._save_loop = QEventLoop()
        give_up = QTimer(loop)               # goes with the loop
        give_up.setSingleShot(True)
        give_up.timeout.connect(loop.quit)
        give_up.start(60_000)
        if self._save_outcome is None:
            loop.exec()                      # until _on_session_saved or _on_session_error
        self._save_loop = None
        return self._save_outcome is True

    def _on_session_saved(self, step: int, arch_version: int, data_version: int) -> None:
        self._saved_at = (step, arch_version, data_version)
        self._end_save_wait(True)

    def _end_save_wait(self, written: bool) -> None:
        self._save_outcome = written
        if self._save_loop is not None:
            self._save_loop.quit()

    def _on_open_session_triggered(self) -> None:
        from .session import SUFFIX
        if not self.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open session", self._session_folder(),
                                              f"Backprop Explorer sessions (*{SUFFIX});;All files (*)")
        if path:
            self.open_session(path)

    def open_session(self, path: str) -> bool:
        """Continue a saved session. A file that cannot be read gets an error dialog saying why, and the
        current session stays as it is."""
        from .session import SessionError, load_session
        try:
            session = load_session(path)
        except SessionError as exc:
            self._on_session_error(f"Could not open the session: {exc}")
            return False
        self.settings.setValue("session_dir", os.path.dirname(os.path.abspath(path)))
        self._set_playing(False)
        self.post("pause")
        self.post("open_session", session)
        self._saved_at = (session.steps, None, None)   # an opened session is saved as it is
        return True

    def _on_session_error(self, text: str) -> None:
        self._end_save_wait(False)
        self.show_message(text, error=True)
        box = QMessageBox(QMessageBox.Warning, "Session", text, QMessageBox.Ok, self)
        box.setTextFormat(Qt.PlainText)
        box.setInformativeText("The current session stays as it is.")
        box.setModal(False)
        self.session_error_box = box
        box.open()

    def _on_screenshot_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "backprop-explorer.png", "PNG images (*.png)")
        if path:
            self.save_screenshot(path)

    def save_screenshot(self, path: str) -> bool:
        ok = self.grab().save(path)
        self.show_message(f"Screenshot saved to {path}" if ok else f"Could not save {path}", error=not ok)
        return ok

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_fitted:
            # dock sizes given before the first show do not always survive Qt's first layout
            self._docks_fitted = True
            QTimer.singleShot(0, lambda: self.fit_docks(arrange=not self._layout_restored))

    def fit_docks(self, arrange: bool = True) -> None:
        """The default panel sizes: the graph in the middle, room to read the bottom panels, the
        Data panel wide enough for four columns of dataset tiles (a narrow window takes it back).
        With arrange, a short window puts the Loss panel in the bottom row, so the decision boundary
        keeps its size, and a tall one under the Output panel."""
        if arrange:
            self._place_loss_panel(below=self.height() < SHORT_WINDOW_HEIGHT and "Cost slice" in self._panels)
        loss_below = self.loss_below
        data_width = self.data_panel.wide_width + self.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        self.resizeDocks([self._panels["Data"], self._panels["Output"]], [data_width, self._right_dock_width()],
                         Qt.Horizontal)
        self.fit_compare_panel()
        if not loss_below:
            self.resizeDocks([self._panels["Output"], self._panels["Loss"]], [460, 300], Qt.Vertical)
        if "Math" in self._panels and "Cost slice" in self._panels:
            bottom = [self._panels["Math"], self._panels["Cost slice"]]
            self.resizeDocks(bottom, [190, 190], Qt.Vertical)
            self.resizeDocks(bottom, [MATH_PANEL_WIDTH, self.width() - MATH_PANEL_WIDTH], Qt.Horizontal)

    def _place_loss_panel(self, below: bool) -> None:
        """The Loss panel (with the Digit canvas, its tab) under the Output panel, or in the bottom
        row as tabs beside the Cost slice; the tab that fits the data in front."""
        loss, canvas = self._panels["Loss"], self._panels["Digit canvas"]
        keep_in_front = None
        if below:
            cost_slice = self._panels["Cost slice"]
            # a panel a lesson or the user brought in front of the Cost slice stays in front
            keep_in_front = next((d for d in self.tabifiedDockWidgets(cost_slice) if not d.visibleRegion().isEmpty()),
                                 None)
            self._tab_beside(cost_slice, loss)
        elif self.loss_below:
            self.addDockWidget(Qt.RightDockWidgetArea, loss, Qt.Vertical)
        self._tab_beside(loss, canvas)
        self._raise_data_panels()
        if keep_in_front is not None:
            keep_in_front.raise_()

    def fit_compare_panel(self) -> None:
        """An open Compare panel (a lesson's second network) takes three fifths of the left column,
        under the Lesson, whose text needs little room; the main boundary keeps the right column."""
        compare = self._panels.get("Compare")
        if compare is None or not compare.isVisible():
            return
        lesson = self._panels["Lesson"]
        if self.dockWidgetArea(compare) == self.dockWidgetArea(lesson) and not compare.isFloating():
            self.resizeDocks([lesson, compare], [2, 3], Qt.Vertical)

    def _raise_data_panels(self) -> None:
        """Bring the tabs that fit the data to the front: Images and the Digit canvas for images,
        Output and Loss otherwise."""
        self._panels["Images" if self._image_data else "Output"].raise_()
        self._panels["Digit canvas" if self._image_data else "Loss"].raise_()

    def _tab_beside(self, first: QDockWidget, second: QDockWidget) -> None:
        """Make `second` a tab of `first`'s group. Qt's tabifyDockWidget alone left a dock from
        another area where it was, so `second` is first docked in `first`'s area."""
        if self.dockWidgetArea(second) != self.dockWidgetArea(first):
            self.addDockWidget(self.dockWidgetArea(first), second)
        self.tabifyDockWidget(first, second)

    @property
    def loss_below(self) -> bool:
        """Whether the Loss panel is in the bottom row, beside the Cost slice (a short window's layout)."""
        return self.dockWidgetArea(self._panels["Loss"]) == Qt.BottomDockWidgetArea

    def reset_layout(self) -> None:
        """View ▸ Reset panel layout: every panel back where it starts, sized for the window as it
        is now. A lesson's panels stay open while the lesson is."""
        open_now = {name: self._panels[name].isVisible() for name in ("Lesson", "Compare") if name in self._panels}
        self.restoreState(self._initial_layout)
        for name, shown in open_now.items():
            self._panels[name].setVisible(shown)
        self.fit_docks()
        if open_now.get("Lesson"):
            self._panels["Lesson"].raise_()

    def _right_dock_width(self) -> int:
        """The right-hand docks' width for the data shown: a square boundary plot for 2-D data; for
        images the grid beside the probabilities, a wide window giving them its share too."""
        return max(IMAGE_DOCK_WIDTH, int(0.4 * self.width())) if self._image_data else OUTPUT_DOCK_WIDTH

    def _on_shortcuts_triggered(self) -> None:
        rows = "".join(f"<tr><td><b>{KEY_NAMES.get(k, k)}</b></td><td>&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def _on_about_triggered(self) -> None:
        QMessageBox.about(self, "About Backprop Explorer",
                          "<b>Backprop Explorer</b><br>Build a small neural network, train it live, and watch "
                          "every activation, gradient and update, with the real numbers.")

    # ------------------------------------------------------------------ theme
    def set_theme(self, name: str) -> None:
        self.theme = THEMES[name]
        apply_palette(QApplication.instance(), self.theme)
        # a style sheet keeps the colours of the palette it was first polished with: restate them
        self.counter.setStyleSheet(f"font-weight: bold; padding: 0 8px; color: {self.theme.text};")
        for v in self._views:
            if hasattr(v, "apply_theme"):
                v.apply_theme(self.theme)
        if name in getattr(self, "theme_actions", {}):
            self.theme_actions[name].setChecked(True)
        self.settings.setValue("theme", name)

    # ------------------------------------------------------------------ frames
    def _on_snapshot_published(self) -> None:
        # a Step while paused is drawn at once; while playing the frame timer paces the views
        if not self._playing:
            self._on_frame_timer()

    def _on_frame_timer(self) -> None:
        snap = self.worker.latest()
        if snap is None or snap.serial == self._shown_serial:
            return
        self._show(snap)

    def _show(self, snap: Snapshot) -> None:
        # a snapshot that only adds measured losses to the one on screen redraws only the views
        # that show losses (big data: each Step is drawn first, its losses measured after)
        losses_only = snap.refines != 0 and snap.refines == self._shown_serial
        self._shown_serial = snap.serial
        self._snapshot = snap
        self._last_frame = time.perf_counter()
        for v in self._views:
            if hasattr(v, "update_snapshot") and (not losses_only or getattr(v, "shows_losses", False)):
                v.update_snapshot(snap)
        self.counter.setText(f"Step {snap.step:,} · Epoch {snap.epoch:,}")
        image_data = snap.image_shape is not None
        if image_data != self._image_data:     # bring the docks that fit the data to the front
            self._image_data = image_data
            self._raise_data_panels()
            self.resizeDocks([self._panels["Output"]], [self._right_dock_width()], Qt.Horizontal)
        if snap.playing:
            self.rate_label.setText(f"Training at {snap.steps_per_second:,.0f} steps/s")
        else:
            self.rate_label.setText("Paused")
        self.frames += 1
        self.snapshot_shown.emit(snap)

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> bool:
        """Stop the frame timer and the worker thread; True when the thread ended."""
        if self._closing:
            return True
        self._closing = True
        self.frame_timer.stop()
        self.gc_timer.stop()
        try:
            self.worker.snapshot_published.disconnect(self._on_snapshot_published)
        except (RuntimeError, TypeError):
            pass
        return self.worker.stop()

    def closeEvent(self, ev) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.setValue("theme", self.theme.name)
        self.shutdown()
        super().closeEvent(ev)
