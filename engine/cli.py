"""The headless command line: `backprop-explorer train` and `backprop-explorer bench`.

It never imports Qt. A wrong option value ends with one line on stderr and a non-zero exit.
"""

import argparse
import json
import math
import sys
import time

import numpy as np

from . import datasets
from .names import HIDDEN_ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS
from .network import Network
from .trainer import Trainer, TrainingDiverged

# The output activation and loss that suit each kind of data, when none is given.
DEFAULT_OUTPUT = {"binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cce"), "regression": ("linear", "mse")}


class UsageError(Exception):
    """A wrong option: said in one line, never with a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _layers(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()] if text.strip() else []
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers takes hidden sizes like 8,8 (or '' for none), got {text!r}")
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"every hidden layer size must be ≥ 1, got {text!r}")
    return sizes


def build_parser():
    parser = _Parser(prog="backprop-explorer", description="Backprop Explorer without a window.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = sub.add_parser("train", help="train a network and print progress and metrics")
    train.add_argument("--dataset", default="circle", choices=datasets.ALL_DATASETS, metavar="NAME",
                       help=f"one of: {', '.join(datasets.ALL_DATASETS)}")
    train.add_argument("--data-dir", default=None, help="folder with MNIST / Fashion-MNIST files")
    train.add_argument("--n", type=int, default=500, help="number of 2-D points")
    train.add_argument("--noise", type=float, default=0.0)
    train.add_argument("--train-ratio", type=float, default=None, help="share of the data used for training")
    train.add_argument("--classes", type=int, default=None, help="classes for spiral / blobs")
    train.add_argument("--features", default="x1,x2", help="input features for 2-D data, e.g. x1,x2,x1*x2")
    train.add_argument("--layers", type=_layers, default=[8, 8], help="hidden layer sizes, e.g. 8,8")
    train.add_argument("--activation", default="tanh", choices=HIDDEN_ACTIVATIONS, metavar="NAME",
                       help=f"hidden activation: {', '.join(HIDDEN_ACTIVATIONS)}")
    train.add_argument("--output", default=None, choices=OUTPUT_ACTIVATIONS, metavar="NAME",
                       help=f"output activation: {', '.join(OUTPUT_ACTIVATIONS)}")
    train.add_argument("--loss", default=None, choices=LOSSES, metavar="NAME", help=f"one of: {', '.join(LOSSES)}")
    train.add_argument("--init", default=None, choices=INITS, metavar="NAME", help=f"one of: {', '.join(INITS)}")
    train.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS, metavar="NAME",
                       help=f"one of: {', '.join(OPTIMIZERS)}")
    train.add_argument("--lr", type=float, default=0.03)
    train.add_argument("--batch-size", type=int, default=10)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--l1", type=float, default=0.0)
    train.add_argument("--l2", type=float, default=0.0)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--float32", action="store_true", help="compute in float32 (default for image data)")
    train.add_argument("--json", action="store_true", help="end with one JSON line of the final metrics")
    bench = sub.add_parser("bench", help="measure the engine's speed against plain NumPy (and PyTorch)")
    bench.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bench.add_argument("--quick", action="store_true", help="shorter runs (less precise figures)")
    bench.add_argument("--gui", action="store_true", help="measure the desktop app (needs Qt)")
    bench.add_argument("--classic", metavar="NAME", choices=("mnist", "fashion-mnist"),
                       help="train 784-512-10 on mnist or fashion-mnist for 5 epochs through the engine, "
                            "NumPy and PyTorch, and compare accuracy and time")
    bench.add_argument("--data-dir", help="folder with MNIST / Fashion-MNIST files (with --classic)")
    return parser


def load_data(args):
    """The dataset the options name, with float32 for images."""
    if args.dataset in ("mnist", "fashion-mnist"):
        if args.train_ratio is not None:
            raise ValueError(f"{args.dataset} comes with its own 60,000/10,000 split; leave out --train-ratio")
        return datasets.load(args.dataset, data_dir=args.data_dir)
    options = {"seed": args.seed}
    if args.train_ratio is not None:
        options["train_ratio"] = args.train_ratio
    if args.dataset == "digits":
        return datasets.load(args.dataset, **options)
    if args.classes is not None:
        options["classes"] = args.classes
    features = tuple(f.strip() for f in args.features.split(",") if f.strip())
    return datasets.make(args.dataset, n=args.n, noise=args.noise, features=features,
                         dtype=np.float32 if args.float32 else np.float64, **options)


def build_trainer(args, data):
    output, loss = DEFAULT_OUTPUT[data.kind]
    output = args.output or output
    loss = args.loss or loss
    is_image = data.image_shape is not None
    init = args.init or ("he" if args.activation in ("relu", "leaky_relu", "elu", "gelu", "swish") else "xavier")
    dtype = np.float32 if (args.float32 or is_image) else np.float64
    net = Network([data.X_train.shape[0], *args.layers, data.Y_train.shape[0]], hidden=args.activation,
                  output=output, loss=loss, init=init, seed=args.seed, dtype=dtype)
    return Trainer(net, data, optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                   l1=args.l1, l2=args.l2, seed=args.seed)


def _loss_text(value) -> str:
    """A loss for a line of text: 4 decimals, or 4 significant digits when it is huge or tiny (a
    diverging run's 1.27e+174, not 175 digits)."""
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e6 or value == 0 else f"{value:.4g}"


def _json_value(value):
    """JSON has no NaN or infinity: a loss that is not a finite number is written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _progress(epoch, total, metrics, seconds, tty):
    done = int(30 * epoch / total)
    bar = "█" * done + "·" * (30 - done)
    acc = metrics["test_accuracy"] if metrics["test_accuracy"] is not None else metrics["train_accuracy"]
    acc_text = f"  accuracy {acc:.3f}" if acc is not None else ""
    test = "" if metrics["test_loss"] is None else f"  test loss {_loss_text(metrics['test_loss'])}"
    line = f"epoch {epoch:>4}/{total} {bar}  train loss {_loss_text(metrics['train_loss'])}{test}{acc_text}  {seconds:.1f}s"
    if tty:
        sys.stderr.write("\r" + line + ("\n" if epoch == total else ""))
        sys.stderr.flush()
    else:
        print(line, file=sys.stderr)


def run_train(args):
    if args.epochs < 1:
        raise ValueError(f"--epochs must be ≥ 1, got {args.epochs}")
    data = load_data(args)
    trainer = build_trainer(args, data)
    tty = sys.stderr.isatty()
    training_seconds = 0.0
    metrics = None
    diverged = None
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        try:
            trainer.train(epochs=1)
        except TrainingDiverged as error:
            diverged = error
        training_seconds += time.perf_counter() - start
        metrics = trainer.evaluate()
        _progress(epoch, args.epochs, metrics, training_seconds, tty)
        if diverged:
            break
    result = {
        "dataset": data.name, "sizes": trainer.net.sizes, "epochs": trainer.epoch, "steps": trainer.steps,
        **metrics, "seconds": round(training_seconds, 4),
        "seconds_per_epoch": round(training_seconds / max(trainer.epoch, 1), 4),
        "diverged": diverged is not None,
    }
    if diverged:
        print(f"stopped: {diverged}", file=sys.stderr)
    if args.json:
        print(json.dumps({key: _json_value(value) for key, value in result.items()}, allow_nan=False))
    else:
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            if result[key] is not None:
                print(f"{key:>16}: {_loss_text(result[key])}")
        print(f"{'steps':>16}: {result['steps']}  ({result['seconds']:.2f} s, "
              f"{result['seconds_per_epoch']:.3f} s per epoch)")
    return 1 if diverged else 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return run_train(args)
        if args.gui:
            raise UsageError("bench --gui needs the desktop app: run `backprop-explorer bench --gui`")
        if args.classic:
            from .classic import run_classic
            return run_classic(args.classic, data_dir=args.data_dir, json_output=args.json)
        from .bench import run_bench
        return run_bench(json_output=args.json, quick=args.quick)
    except datasets.DataError as error:
        # a data file problem: the whole message, which says where the files go and how to get them
        print(f"backprop-explorer: error: {error}", file=sys.stderr)
        return 2
    except (UsageError, ValueError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"backprop-explorer: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backprop-explorer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
