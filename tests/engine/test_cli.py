"""The headless `train` command: its last --json line is strict JSON with the documented keys, also
when training diverges; progress lines stay short whatever the loss."""
import json
import re

from engine import cli

KEYS = {"epochs", "steps", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "seconds",
        "seconds_per_epoch"}


def strict(line):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(line, parse_constant=refuse)


def test_the_json_line_parses_with_the_documented_keys(capsys):
    assert cli.main(["train", "--dataset", "circle", "--epochs", "2", "--json"]) == 0
    result = strict(capsys.readouterr().out.strip().splitlines()[-1])
    assert KEYS <= set(result) and result["epochs"] == 2 and not result["diverged"]
    assert 0 <= result["test_accuracy"] <= 1


def test_a_diverging_run_still_writes_strict_json_and_short_progress_lines(capsys):
    code = cli.main(["train", "--dataset", "plane", "--activation", "relu", "--lr", "10", "--epochs", "6",
                     "--json"])
    out = capsys.readouterr()
    result = strict(out.out.strip().splitlines()[-1])
    assert code == 1 and result["diverged"]
    assert result["train_loss"] is None or isinstance(result["train_loss"], float)
    longest = max(len(n) for n in re.findall(r"[-+0-9.e]+", out.err))
    assert longest <= 12                                      # 1.27e+174, not 175 digits
