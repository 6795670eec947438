"""Every shipped preset loads and trains; a broken preset file gives a clear message."""
import json
import math

import numpy as np
import pytest

from engine import TrainingDiverged
from explorer.presets import PresetError, load_all, load_preset_file, preset_files
from explorer.worker import TrainingWorker

NAMES = {"single-neuron", "binary-classifier", "all-linear-deep", "deep-relu", "zero-init", "diverging-lr",
         "vanishing-gradient"}


def test_all_presets_ship_and_parse():
    presets, errors = load_all()
    assert not [e for e in errors if e.split(".json")[0] in NAMES]
    assert {p.name for p in presets} >= NAMES
    for p in presets:
        assert len(p.explanation) > 150 and p.title


def _built(name):
    preset = next(p for p in load_all()[0] if p.name == name)
    worker = TrainingWorker(preset.state)
    from explorer.presets import apply_preset
    apply_preset(worker, preset)
    return preset, worker.trainer


@pytest.mark.parametrize("name", sorted(NAMES - {"diverging-lr"}))
def test_each_preset_trains(name):
    preset, tr = _built(name)
    before = tr.evaluate()["train_loss"]
    tr.train(steps=200)
    after = tr.evaluate()["train_loss"]
    assert math.isfinite(after)
    if name in ("single-neuron", "binary-classifier", "deep-relu"):
        assert after < before


def test_single_neuron_has_the_typed_weights_and_four_points():
    preset, tr = _built("single-neuron")
    assert tr.net.sizes == [1, 1]
    assert tr.net.weights[0][0, 0] == 0.5 and tr.net.biases[0][0, 0] == 0.0
    assert tr.m_train == 4
    np.testing.assert_array_equal(np.sort(tr.data.X_train[0]), [1, 2, 3, 4])


def test_zero_init_never_breaks_symmetry():
    _, tr = _built("zero-init")
    tr.train(steps=100)
    W1 = tr.net.weights[0]
    assert np.all(W1 == W1[0])                       # every neuron of layer 1 is the same
    assert np.all(tr.net.weights[1] == 0)


def test_deep_linear_stays_a_straight_boundary_and_relu_does_better():
    _, lin = _built("all-linear-deep")
    _, relu = _built("deep-relu")
    lin.train(steps=1500)
    relu.train(steps=1500)
    assert lin.evaluate()["train_accuracy"] < 0.7
    assert relu.evaluate()["train_accuracy"] > 0.85


def test_diverging_preset_diverges():
    _, tr = _built("diverging-lr")
    with pytest.raises(TrainingDiverged):
        tr.train(steps=500)


def test_broken_files_give_clear_messages(tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{ not json", encoding="utf-8")
    with pytest.raises(PresetError, match=r"bad.json: not valid JSON \(line 1"):
        load_preset_file(bad_json)
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"name": "x", "title": "t"}), encoding="utf-8")
    with pytest.raises(PresetError, match="missing.json: missing explanation, state"):
        load_preset_file(missing)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"name": "x", "title": "t", "explanation": "e",
                                 "state": {"hidden": [2], "activations": ["tanh"]},
                                 "weights": [[[1, 2]], [[1]]], "biases": [[0], [0]]}), encoding="utf-8")
    with pytest.raises(PresetError, match="layer 1 needs weights of shape \\(2, 2\\)"):
        load_preset_file(wrong)
    badstate = tmp_path / "state.json"
    badstate.write_text(json.dumps({"name": "x", "title": "t", "explanation": "e", "state": {"lr": -1}}))
    with pytest.raises(PresetError, match="state.json: bad settings: learning rate"):
        load_preset_file(badstate)
    fast = tmp_path / "fast.json"
    fast.write_text(json.dumps({"name": "x", "title": "t", "explanation": "e", "state": {}, "speed": "fast"}))
    with pytest.raises(PresetError, match="fast.json: speed must be one of max, 1000/s"):
        load_preset_file(fast)
    presets, errors = load_all(tmp_path)
    assert presets == [] and len(errors) == 5 and len(preset_files(tmp_path)) == 5


def test_lessons_come_in_teaching_order_before_help(window):
    presets, _ = load_all()
    names = [p.name for p in presets]
    assert names[:4] == ["single-neuron", "binary-classifier", "zero-init", "diverging-lr"]
    assert names.index("deep-relu") == names.index("all-linear-deep") + 1
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-2:] == ["&Lessons", "&Help"]
    lessons = window.phase_panels.lessons_menu.actions()
    assert [a.text() for a in lessons[:len(presets)]] == [p.title for p in presets]


def test_a_lesson_that_cannot_load_its_data_says_so_instead_of_describing_it(window, qtbot, tmp_path):
    from explorer.presets import parse_preset
    lesson = parse_preset({"name": "mnist-here", "title": "MNIST from an empty folder", "explanation": "784-512-10.",
                           "state": {"dataset": "mnist", "hidden": [16], "activations": ["relu"],
                                     "output": "softmax", "loss": "cce", "data_dir": str(tmp_path)}})
    window.phase_panels.open_preset(lesson)
    qtbot.waitUntil(lambda: "Could not open" in window.phase_panels.explanation.text(), timeout=20_000)
    assert "MNIST from an empty folder" in window.phase_panels.explanation.text()
    assert "from before" in window.phase_panels.explanation.text()
    assert window.snapshot.sizes[0] == 2                      # the playground network stays


def test_file_open_preset_opens_a_lesson_with_its_own_weights_and_data(window, qtbot):
    window.load_preset("single-neuron")                 # File ▸ Open preset, and --preset
    qtbot.waitUntil(lambda: window.last_message.startswith("Preset:"), timeout=10_000)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [1, 1], timeout=10_000)
    assert window.worker.trainer.net.weights[0][0, 0] == 0.5          # typed in by hand in the file
    assert window.worker.data.m_train == 4
    assert window.phase_panels.lesson_dock.isVisible()
    assert "One linear neuron" in window.phase_panels.explanation.text()
    window.load_preset("spiral")                        # a built-in preset is settings only
    qtbot.waitUntil(lambda: window.state.dataset == "spiral", timeout=10_000)


def test_one_input_regression_is_drawn_as_a_line_through_the_targets(window, qtbot):
    pp = window.phase_panels
    lesson = next(p for p in pp.presets if p.name == "single-neuron")
    pp.open_preset(lesson)
    qtbot.waitUntil(lambda: window.snapshot.sizes == (1, 1) and window.boundary.function_plot.isVisible(),
                    timeout=20_000)
    view = window.boundary
    assert not view.plot.isVisible()
    xs, ys = view.prediction.getData()
    net = window.worker.trainer.net
    assert np.allclose(ys, net.predict(np.asarray(xs)[None, :])[0])         # ŷ = W·x + B, W = 0.5
    assert np.allclose(ys, 0.5 * np.asarray(xs))
    px, py = view.function_train.getData()
    assert sorted(zip(px, py)) == [(1, 2), (2, 4), (3, 5), (4, 8)]           # the points at their targets
    window.post("data", {"dataset": "circle", "features": ("x1", "x2")})   # a plane again
    qtbot.waitUntil(lambda: view.plot.isVisible() and not view.function_plot.isVisible(), timeout=20_000)
