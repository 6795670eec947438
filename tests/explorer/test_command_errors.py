"""Wrong command-line input ends with a message that says what is wrong, never a traceback."""
import pytest

from engine import cli, images
from explorer.__main__ import main
from explorer.state import load_preset


def test_a_broken_preset_file_is_named_with_the_line_and_column(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON \(line 1, column 2"):
        load_preset(str(bad))
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ValueError, match="list.json: a preset must be a JSON object"):
        load_preset(str(listed))


@pytest.mark.parametrize("value", ["0,1,1", "2,1", "a,b,c"])
def test_select_needs_three_numbers_counted_from_one(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--select", value])
    assert exit_info.value.code == 2
    assert "--select takes a weight as L,J,K, each counted from 1" in capsys.readouterr().err


def test_missing_image_data_says_where_to_put_the_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(images, "KERAS_DIR", tmp_path / "keras")
    monkeypatch.setattr(images, "SYSTEM_DIR", tmp_path / "system")
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("backprop-explorer: error: could not find the mnist dataset")
    assert str(tmp_path) in err and "--data-dir" in err and "Traceback" not in err
