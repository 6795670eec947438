"""The window compiles the kernels for the dtype it needs when it needs it: a first start on the
playground does not wait for the float32 kernels that only image data uses."""
import engine
from explorer import worker as worker_module
from explorer.state import AppState, load_preset


def recording_warmup(monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "warmup", lambda dtypes=("float64", "float32"): calls.append(tuple(dtypes)))
    monkeypatch.setattr(worker_module, "_KERNELS_READY", set())
    return calls


def test_startup_compiles_only_the_dtype_of_the_starting_state(monkeypatch):
    calls = recording_warmup(monkeypatch)
    worker = worker_module.TrainingWorker(AppState())
    messages = []
    worker.status_changed.connect(messages.append)
    worker._startup()
    assert calls == [("float64",)]
    assert any("float64" in m and "the first time: about half a minute" in m for m in messages)
    assert messages[-1].startswith("Ready in")


def test_data_that_needs_another_dtype_compiles_it_once_and_says_so(monkeypatch):
    calls = recording_warmup(monkeypatch)
    worker = worker_module.TrainingWorker(AppState())
    worker._startup()
    messages = []
    worker.status_changed.connect(messages.append)
    digits = load_preset("digits")
    assert digits.dtype == "float32"
    worker._apply(("new_state", digits))
    assert calls == [("float64",), ("float32",)]
    assert sum("Loading the kernels for float32" in m for m in messages) == 1
    worker._apply(("new_state", AppState()))
    worker._apply(("new_state", digits))
    assert calls == [("float64",), ("float32",)]                  # each dtype once per process
    assert worker.trainer.net.dtype == "float32"


def test_the_window_counts_the_seconds_while_the_kernels_load_and_stops_when_they_are_ready(window, qtbot):
    window.worker.status_changed.emit("Loading the kernels for float32 networks (compiled once, the first time: "
                                      "about half a minute)…")
    qtbot.waitUntil(lambda: window.last_message.endswith(": 1 s…"), timeout=3_000)
    assert window.last_message.startswith("Loading the kernels for float32 networks (compiled once")
    window.worker.status_changed.emit("Kernels for float32 networks ready in 1.2 s.")
    qtbot.wait(1_200)
    assert window.last_message == "Kernels for float32 networks ready in 1.2 s."
    assert not window.loading_clock.isActive()


def test_the_warm_up_fits_the_output_to_the_data_as_the_build_does(monkeypatch):
    # a state written by hand (a preset file) may pair regression data with the default bce loss:
    # the build fits the output to the data, and the warm-up must too, not fail with a traceback
    recording_warmup(monkeypatch)
    for state in (AppState().replace(dataset="plane"), AppState().replace(dataset="blobs", classes=4)):
        worker = worker_module.TrainingWorker(state)
        worker._compile()
