"""``backprop-explorer`` / ``python -m explorer``.

* no subcommand: open the app (``--preset NAME``, ``--steps N``, ``--screenshot FILE.png``);
* ``train`` and ``bench``: the engine's headless CLI (``engine.cli``), reached before any Qt import;
* ``bench --gui``: the GUI benchmark (``explorer.bench_gui``).
"""
from __future__ import annotations

import argparse
import sys

ENGINE_COMMANDS = ("train", "bench")


def _app_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backprop-explorer",
        description="Build a small neural network, train it live, and watch every step of backprop. "
                    "Subcommands: 'train' and 'bench' (headless, see 'backprop-explorer train --help'), "
                    "'bench --gui' (the window's speed).")
    p.add_argument("--preset", help="start from a preset (a built-in name, a name in assets/presets/, or a .json file)")
    p.add_argument("--steps", type=int, default=0, help="train this many steps at start-up")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="open the window offscreen, train --steps steps, save a picture of the window, and exit")
    p.add_argument("--select", metavar="L,J,K",
                   help="select weight W^L_jk at start-up, numbered from 1 as on screen (2,1,3 is W²₁‚₃: "
                        "layer 2, its neuron 1, from input or neuron 3), so its chain rule and cost slice are shown")
    p.add_argument("--size", default="1400x900", help="window size WxH (default 1400x900)")
    p.add_argument("--theme", choices=("light", "dark"), help="colour theme")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ENGINE_COMMANDS:
        if argv[0] == "bench" and "--gui" in argv:
            rest = [a for a in argv[1:] if a != "--gui"]
            from .bench_gui import main as bench_main
            return bench_main(rest)
        from engine import cli
        return cli.main(argv)
    args = _app_parser().parse_args(argv)
    if args.steps < 0:
        _app_parser().error("--steps must be 0 or more")
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        _app_parser().error("--size must look like 1400x900")
    select = None
    if args.select:
        try:
            select = tuple(int(v) for v in args.select.split(","))
            if len(select) != 3 or min(select) < 1:
                raise ValueError
        except ValueError:
            _app_parser().error("--select takes a weight as L,J,K, each counted from 1 as on screen (e.g. 2,1,3)")
    from .app import run_app
    return run_app(preset=args.preset, steps=args.steps, screenshot=args.screenshot, size=(w, h), theme=args.theme,
                   select=select)


if __name__ == "__main__":
    sys.exit(main())
