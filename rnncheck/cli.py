"""The `rnncheck` command: parse, call the library, print. `params` never imports TensorFlow."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rnncheck.config import PRESETS
from rnncheck.params import CELLS, FRAMEWORKS, KERAS_CLASS, MERGE_MODES, model_params


def integer(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text!r} is less than {minimum}")
    return value


def positive_int(text: str) -> int:
    return integer(text, minimum=1)


def non_negative_int(text: str) -> int:
    return integer(text, minimum=0)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive finite number")
    return value


def existing_path(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return path


def new_file(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist")
    return path


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rnncheck", description="Check what a Keras recurrent layer really is.")
    commands = top.add_subparsers(dest="command", required=True, metavar="{params,train,reproduce}")

    p = commands.add_parser("params", help="parameter counts by formula, with their breakdown")
    p.add_argument("--input-size", type=positive_int, default=28, help="features per time step (default 28)")
    p.add_argument(
        "--units", type=positive_int, nargs="+", default=[10, 20, 30], help="one row per size (default 10 20 30)"
    )
    p.add_argument("--classes", type=positive_int, default=10, help="units of the Dense head (default 10)")
    p.add_argument("--cell", choices=CELLS, default="simple")
    p.add_argument("--no-bias", action="store_true", help="use_bias=False")
    p.add_argument("--no-reset-after", action="store_true", help="GRU with reset_after=False (one bias)")
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--merge-mode", choices=MERGE_MODES, default="concat", help="for --bidirectional")
    p.add_argument("--framework", choices=FRAMEWORKS, default="keras", help="torch: PyTorch's two-bias convention")
    p.add_argument("--verify", action="store_true", help="also build each model in Keras; exit 1 on any difference")
    p.add_argument("--json", action="store_true")

    t = commands.add_parser("train", help="train the MNIST RNN and print test loss and accuracy")
    add_training_options(t)
    t.add_argument("--preset", choices=list(PRESETS), default="classic", help="defaults for the options below")
    for option, kind in [
        ("units", positive_int),
        ("learning_rate", positive_float),
        ("batch_size", positive_int),
        ("epochs", positive_int),
        ("seed", non_negative_int),
    ]:
        defaults = ", ".join(f"{name} {getattr(preset, option)}" for name, preset in PRESETS.items())
        t.add_argument(f"--{option.replace('_', '-')}", type=kind, help=f"default: {defaults}")

    r = commands.add_parser("reproduce", help="the classic experiment: 10, 20, 30 units, Adam 1e-4, batch 64, 3 epochs")
    add_training_options(r)
    r.add_argument("--units", type=positive_int, nargs="+", default=[10, 20, 30])
    r.add_argument("--limit", type=positive_int, help="train on the first N training images only")
    r.add_argument("--plot", type=new_file, metavar="FILE.png", help="accuracy and parameters against units")
    return top


def add_training_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--data", type=existing_path, metavar="PATH", help="mnist.npz or a folder of IDX files")
    command.add_argument("--no-verify", action="store_true", help="accept a dataset that is not the official MNIST")
    command.add_argument("--json", action="store_true")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return {"params": run_params, "train": run_train, "reproduce": run_reproduce}[args.command](args)
    except (ValueError, TypeError, OSError) as error:  # DatasetError is a ValueError
        print(f"rnncheck {args.command}: error: {error}", file=sys.stderr)
        return 2


def run_params(args) -> int:
    options = dict(
        use_bias=not args.no_bias,
        reset_after=not args.no_reset_after,
        bidirectional=args.bidirectional,
        merge_mode=args.merge_mode,
    )
    rows = []
    for units in args.units:
        model = model_params(
            args.cell,
            input_size=args.input_size,
            units=units,
            num_classes=args.classes,
            framework=args.framework,
            **options,
        )
        layer, dense = model.layers
        row = {
            "cell": args.cell, "framework": args.framework, "input_size": args.input_size, "units": units, **options,
            "total": layer.total,
            "breakdown": layer.breakdown,
            "directions": layer.directions,
            "weights": [{"name": w.name, "shape": list(w.shape), "count": w.count} for w in layer.weights],
            "dense": {"input_size": dense.input_size, "units": dense.units, "total": dense.total},
            "model_total": model.total,
        }  # fmt: skip
        if args.verify:
            if args.framework != "keras":
                raise ValueError("--verify builds the layer in Keras, so it needs --framework keras")
            from rnncheck.model import keras_param_counts

            row["keras_total"], row["keras_model_total"] = keras_param_counts(
                args.cell, input_size=args.input_size, units=units, num_classes=args.classes, **options
            )
        rows.append(row)

    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(params_table(rows, args))
    if args.verify and any((r["keras_total"], r["keras_model_total"]) != (r["total"], r["model_total"]) for r in rows):
        print("rnncheck params: error: the formula and Keras disagree", file=sys.stderr)
        return 1
    return 0


def params_table(rows: list[dict], args) -> str:
    layer = KERAS_CLASS[args.cell] + ("" if args.framework == "keras" else f" ({args.framework} convention)")
    if args.bidirectional:
        layer = f"Bidirectional({layer}, merge_mode={args.merge_mode!r})"
    names = " + ".join(w["name"] for w in rows[0]["weights"])
    header = ["units", "params", f"= {names}", "dense", "model"] + (["keras", "keras model"] if args.verify else [])
    body = [
        [str(r["units"]), str(r["total"]), f"= {r['breakdown']}", str(r["dense"]["total"]), str(r["model_total"])]
        + ([str(r["keras_total"]), str(r["keras_model_total"])] if args.verify else [])
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    lines = [f"{layer} on {args.input_size} inputs, then Dense({args.classes}):"]
    lines += [
        "  ".join(
            cell.ljust(w) if i == 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [header] + body
    ]
    return "\n".join(lines)


def load_data(args):
    from rnncheck.data import load_mnist

    return load_mnist(args.data, verify=not args.no_verify)


def run_train(args) -> int:
    from rnncheck.train import train

    chosen = {name: getattr(args, name) for name in ("units", "learning_rate", "batch_size", "epochs", "seed")}
    config = dataclasses.replace(PRESETS[args.preset], **{k: v for k, v in chosen.items() if v is not None})
    data = load_data(args)
    result = train(config, data, verbose=0 if args.json else progress_verbosity())
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"parameters: {result.params}")
        print(f"test loss: {result.test_loss:.4f}")
        print(f"test accuracy: {result.test_accuracy:.4f}")
        print(f"seconds: {result.seconds:.1f} (fit {result.fit_seconds:.1f})")
    return 0


def run_reproduce(args) -> int:
    from rnncheck.train import reproduce

    (x_train, y_train), test = load_data(args)
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    rows = []
    for i, row in enumerate(reproduce(((x_train, y_train), test), units=args.units), start=1):
        rows.append(row)
        print(
            f"[{i}/{len(args.units)}] SimpleRNN({row.units}): "
            f"test accuracy {row.test_accuracy:.4f} in {row.seconds:.1f} s",
            file=sys.stderr,
        )
    if args.plot:
        from rnncheck.plot import plot_reproduction

        plot_reproduction(rows, args.plot)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
    else:
        header = (
            "units",
            "SimpleRNN params",
            "model (formula)",
            "model (Keras)",
            "test loss",
            "test accuracy",
            "seconds",
        )
        print("  ".join(header))
        for r in rows:
            cells = (r.units, r.rnn_params, r.formula_params, r.keras_params)
            cells += (f"{r.test_loss:.4f}", f"{r.test_accuracy:.4f}", f"{r.seconds:.1f}")
            print("  ".join(str(c).rjust(len(h)) for c, h in zip(cells, header, strict=True)))
    if args.plot:
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def progress_verbosity() -> int:
    """Keras's progress bar on a terminal, one line per epoch otherwise."""
    return 1 if sys.stdout.isatty() else 2


if __name__ == "__main__":
    sys.exit(main())
