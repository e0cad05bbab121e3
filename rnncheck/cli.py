"""The `rnncheck` command: parse, call the library, print. `params` imports no framework."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rnncheck.cells import CELL_NAMES, MERGE_MODES
from rnncheck.cells import cell as cell_facts
from rnncheck.config import CLASSIC_UNITS, PRESETS
from rnncheck.frameworks import FRAMEWORKS, LAYOUTS
from rnncheck.params import model_params

TRAIN_OPTIONS = ("units", "learning_rate", "batch_size", "epochs", "seed")  # TrainConfig fields set by flags


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


OPTION_TYPES = {
    "units": positive_int,
    "learning_rate": positive_float,
    "batch_size": positive_int,
    "epochs": positive_int,
    "seed": non_negative_int,
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rnncheck", description="Check what a recurrent layer really is.")
    commands = top.add_subparsers(dest="command", required=True)
    classic = " ".join(map(str, CLASSIC_UNITS))

    p = commands.add_parser("params", help="parameter counts by formula, with their breakdown")
    p.set_defaults(func=run_params)
    p.add_argument("--input-size", type=positive_int, default=28, help="features per time step (default 28)")
    p.add_argument(
        "--units",
        type=positive_int,
        nargs="+",
        default=list(CLASSIC_UNITS),
        help=f"one row per size (default {classic})",
    )
    p.add_argument("--num-layers", type=positive_int, default=1, help="stacked layers of that size (default 1)")
    p.add_argument("--classes", type=positive_int, default=10, help="units of the Dense head (default 10)")
    p.add_argument("--cell", choices=CELL_NAMES, default="simple")
    p.add_argument("--no-bias", action="store_true", help="use_bias=False")
    p.add_argument("--no-reset-after", action="store_true", help="GRU with reset_after=False (one bias)")
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--merge-mode", choices=MERGE_MODES, default="concat", help="for --bidirectional")
    p.add_argument("--framework", choices=LAYOUTS, default="keras", help="torch: nn.RNN / nn.GRU / nn.LSTM")
    p.add_argument("--proj-size", type=non_negative_int, default=0, help="LSTM projection (--framework torch only)")
    p.add_argument(
        "--kernel-size", type=positive_int, nargs="+", metavar="K", help="ConvLSTM1D/2D/3D: one size per axis, or one"
    )
    p.add_argument(
        "--verify", action="store_true", help="also build each model in the framework; exit 1 on any difference"
    )
    p.add_argument("--json", action="store_true")

    t = commands.add_parser("train", help="train the MNIST RNN and print test loss and accuracy")
    t.set_defaults(func=run_train)
    add_data_options(t)
    t.add_argument("--preset", choices=list(PRESETS), default="classic", help="defaults for the options below")
    for option in TRAIN_OPTIONS:
        defaults = ", ".join(f"{name} {getattr(preset, option)}" for name, preset in PRESETS.items())
        t.add_argument(f"--{option.replace('_', '-')}", type=OPTION_TYPES[option], help=f"default: {defaults}")

    r = commands.add_parser(
        "reproduce", help=f"the classic experiment: SimpleRNN({classic.replace(' ', ', ')}), Adam 1e-4"
    )
    r.set_defaults(func=run_reproduce)
    add_data_options(r)
    r.add_argument("--units", type=positive_int, nargs="+", default=list(CLASSIC_UNITS))
    r.add_argument("--limit", type=positive_int, help="train on the first N training images only")
    r.add_argument("--plot", type=new_file, metavar="FILE.png", help="accuracy and parameters against units")
    g = commands.add_parser("gradients", help="the loss gradient per row of pixels: SimpleRNN against an LSTM")
    g.set_defaults(func=run_gradients)
    add_data_options(g)
    g.add_argument(
        "--model", type=existing_path, nargs="+", metavar="FILE.keras", help="measure these, not trained ones"
    )
    g.add_argument("--preset", choices=list(PRESETS), default="gate", help="how both are trained (default gate)")
    g.add_argument("--units", type=positive_int, help="SimpleRNN units; the LSTM gets their budget (default: preset's)")
    g.add_argument("--images", type=positive_int, help="test images to average over (default: all 10,000)")
    g.add_argument("--plot", type=new_file, metavar="FILE.png", help="both curves on a log scale")

    d = commands.add_parser("divergences", help="the known divergences' causes, or one's standalone repro script")
    d.set_defaults(func=run_divergences)
    d.add_argument("--repro", metavar="ID", help="print the script that reproduces cause ID (exits 1 while it holds)")
    d.add_argument("--json", action="store_true")

    v = commands.add_parser(
        "convert", help="a saved Keras recurrent model as PyTorch tensors (OUT.safetensors) or an ONNX graph (OUT.onnx)"
    )
    v.set_defaults(func=run_convert)
    v.add_argument("model", type=existing_path, metavar="MODEL.keras", help="a model saved by model.save()")
    v.add_argument("out", type=new_file, metavar="OUT", help="OUT.safetensors or OUT.onnx; written whole or not at all")
    v.add_argument("--json", action="store_true", help="what was written, as JSON")

    c = commands.add_parser("conform", help="the property suite once per Keras backend, as a matrix")
    c.set_defaults(func=run_conform)
    c.add_argument(
        "--backends", "--frameworks", dest="backends", nargs="+", choices=list(FRAMEWORKS),
        help="Keras backends and other frameworks (default: every one installed)",
    )
    c.add_argument(
        "--tests",
        type=existing_path,
        metavar="PATH",
        help="a suite's folder (default: the one shipped in rnncheck, rnncheck/conformance)",
    )
    c.add_argument("--require-installed", action="store_true", help="a missing backend or library is a failure (CI)")
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="passed on to pytest, e.g. -- -m 'not training'"
    )
    return top


def add_data_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--data", type=existing_path, metavar="PATH", help="mnist.npz or a folder of IDX files")
    command.add_argument("--no-verify", action="store_true", help="accept a dataset that is not the official MNIST")
    command.add_argument("--json", action="store_true")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as error:  # bad input (DatasetError is a ValueError); anything else is a bug
        print(f"rnncheck {args.command}: error: {error}", file=sys.stderr)
        return 2


def run_params(args) -> int:
    options = dict(use_bias=not args.no_bias, reset_after=not args.no_reset_after, bidirectional=args.bidirectional)
    if args.bidirectional:
        options["merge_mode"] = args.merge_mode
    if args.framework == "torch":
        options["proj_size"] = args.proj_size
    elif args.proj_size:
        raise ValueError("--proj-size is PyTorch's (nn.LSTM): it needs --framework torch")
    rank = cell_facts(args.cell).rank
    if rank:
        if args.kernel_size is None:
            raise ValueError(f"--cell {args.cell} needs --kernel-size ({rank} size(s), or one for every axis)")
        if len(args.kernel_size) not in (1, rank):
            raise ValueError(f"--kernel-size: {args.cell} takes 1 or {rank} sizes, got {len(args.kernel_size)}")
        options["kernel_size"] = tuple(args.kernel_size * rank if len(args.kernel_size) == 1 else args.kernel_size)
    elif args.kernel_size is not None:
        raise ValueError(f"--kernel-size is for the ConvLSTM cells; --cell {args.cell} has none")
    rows = []
    for units in args.units:
        model = model_params(
            args.cell,
            input_size=args.input_size,
            units=units,
            num_layers=args.num_layers,
            num_classes=args.classes,
            framework=args.framework,
            **options,
        )
        row = {"cell": args.cell, "framework": args.framework, "units": units, **model.to_dict()}
        if args.verify:
            row["verified"] = verify_counts(args, units, options)
        rows.append(row)

    print(json.dumps(rows, indent=2) if args.json else params_table(rows, args))
    if args.verify and any(r["verified"] != {"recurrent": r["recurrent"], "total": r["total"]} for r in rows):
        print(f"rnncheck params: error: the formula and {args.framework} disagree", file=sys.stderr)
        return 1
    return 0


def verify_counts(args, units: int, options: dict) -> dict[str, int]:
    """The framework's own counts of the recurrent layers and of the whole model."""
    if args.framework == "keras":
        from rnncheck.model import keras_param_counts

        recurrent, total = keras_param_counts(
            args.cell, input_size=args.input_size, units=[units] * args.num_layers, num_classes=args.classes, **options
        )
    else:
        from rnncheck.torch_model import torch_param_counts

        recurrent, total = torch_param_counts(
            args.cell,
            input_size=args.input_size,
            hidden_size=units,
            num_layers=args.num_layers,
            bias=options["use_bias"],
            bidirectional=args.bidirectional,
            proj_size=args.proj_size,
            num_classes=args.classes,
        )
    return {"recurrent": recurrent, "total": total}


def params_table(rows: list[dict], args) -> str:
    facts = cell_facts(args.cell)
    if args.framework == "torch":
        options = [f"num_layers={args.num_layers}"] * (args.num_layers > 1) + [
            "bidirectional=True"
        ] * args.bidirectional
        options += [f"proj_size={args.proj_size}"] * (args.proj_size > 0)
        layer = f"nn.{facts.torch_class}({', '.join(options)})"
    else:
        layer = facts.keras_class
        if args.bidirectional:
            layer = f"Bidirectional({layer}, merge_mode={args.merge_mode!r})"
        if args.num_layers > 1:
            layer = f"{args.num_layers} x {layer}"
    names = " + ".join(w["name"] for w in rows[0]["layers"][0]["weights"])
    verified = ["", ""] if not args.verify else [args.framework, f"{args.framework} model"]
    header = ["units", "params", f"= {names}", "dense", "model", *verified]
    body = []
    for r in rows:
        *recurrent, dense = r["layers"]
        line = [str(r["units"]), str(r["recurrent"]), "= " + " | ".join(layer["breakdown"] for layer in recurrent)]
        line += [str(dense["total"]), str(r["total"])]
        line += [str(r["verified"]["recurrent"]), str(r["verified"]["total"])] if args.verify else ["", ""]
        body.append(line)
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

    chosen = {name: getattr(args, name) for name in TRAIN_OPTIONS}
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
    # The results first: a plot that fails after minutes of training must not lose them.
    print(json.dumps([row.to_dict() for row in rows], indent=2) if args.json else reproduce_table(rows))
    if args.plot:
        from rnncheck.plot import plot_reproduction

        plot_reproduction(rows, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def reproduce_table(rows) -> str:
    header = ("units", "SimpleRNN params", "model (formula)", "model (Keras)", "test loss", "test accuracy", "seconds")
    lines = ["  ".join(header)]
    for r in rows:
        cells = (r.units, r.rnn_params, r.formula_params, r.keras_params)
        cells += (f"{r.test_loss:.4f}", f"{r.test_accuracy:.4f}", f"{r.seconds:.1f}")
        lines.append("  ".join(str(c).rjust(len(h)) for c, h in zip(cells, header, strict=True)))
    return "\n".join(lines)


def run_gradients(args) -> int:
    from rnncheck.model import load_keras_model
    from rnncheck.train import gradients_through_time

    models = [load_keras_model(path) for path in args.model or []]
    config = dataclasses.replace(PRESETS[args.preset], units=args.units or PRESETS[args.preset].units)
    records = []
    for record, result in gradients_through_time(load_data(args), config=config, models=models, images=args.images):
        trained = f", trained ({args.preset} preset) to test accuracy {result.test_accuracy:.4f}" if result else ""
        print(f"{record.layer}({record.units}): {record.params} parameters{trained}", file=sys.stderr)
        records.append(record)
    # The numbers first: a plot that fails must not lose them.
    print(json.dumps([r.to_dict() for r in records], indent=2) if args.json else gradients_table(records))
    if args.plot:
        from rnncheck.plot import plot_row_gradients

        plot_row_gradients(records, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def gradients_table(records) -> str:
    header = ["row"] + [f"{r.layer}({r.units})" for r in records]
    lines = ["  ".join(h.rjust(12) for h in header)]
    for t in range(len(records[0].norms)):
        lines.append("  ".join([str(t + 1).rjust(12)] + [f"{r.norms[t]:12.3e}" for r in records]))
    return "\n".join(lines)


def run_convert(args) -> int:
    if args.out.suffix == ".onnx":
        from rnncheck.onnx_graph import convert_keras_to_onnx

        record = convert_keras_to_onnx(args.model, args.out)
        summary = record.to_dict()
        print(json.dumps(summary, indent=2) if args.json else " -> ".join(layer["kind"] for layer in summary["layers"]))
        print(f"ONNX opset {record.opset}, {record.parameters} parameters written to {args.out}", file=sys.stderr)
        return 0
    from rnncheck.export import convert_keras_file

    record = convert_keras_file(args.model, args.out)
    print(json.dumps(record.to_dict(), indent=2) if args.json else record.torch_code())
    print(f"{len(record.tensors)} tensors, {record.total} parameters written to {args.out}", file=sys.stderr)
    return 0


def run_divergences(args) -> int:
    from rnncheck import repro
    from rnncheck.conformance.causes import CAUSES

    if args.repro is not None:
        print(repro.script(args.repro), end="")
        return 0
    if args.json:
        print(json.dumps([cause.to_dict() for cause in CAUSES.values()], indent=2))
        return 0
    for cause in CAUSES.values():
        print(f"{cause.id}  ({cause.backend}; Keras {', '.join(cause.releases)})\n    {cause.summary}")
    return 0


def run_conform(args) -> int:
    from rnncheck import conform

    backends = args.backends or [b for b in FRAMEWORKS if conform.installed(b)]
    runs = []
    for backend in backends:
        print(f"rnncheck conform: running the suite on {backend}...", file=sys.stderr)
        runs += conform.conform([backend], tests=args.tests, pytest_args=args.pytest_args,
                                require_installed=args.require_installed)  # fmt: skip
    if args.json:
        print(json.dumps({"backends": {run.backend: run.to_dict() for run in runs}}, indent=2))
    else:
        print(conform.matrix(runs))
    return 0 if conform.passed(runs, require_installed=args.require_installed) else 1


def progress_verbosity() -> int:
    """Keras's progress bar on a terminal, one line per epoch otherwise."""
    return 1 if sys.stdout.isatty() else 2


if __name__ == "__main__":
    sys.exit(main())
