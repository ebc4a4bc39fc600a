"""The ``fastvid`` command: ``train``, ``predict``, ``demo``, ``bench``, ``gpu-check``.

Each subcommand is a thin layer over the Python API; ``fastvid <command> --help`` lists its
options.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]


def _train(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="fastvid train", description="Train a video classifier.")
    parser.add_argument("--train-folder", required=True, help="class-per-folder training tree")
    parser.add_argument("--val-folder", help="class-per-folder validation tree")
    parser.add_argument("--backbone", default="x3d_xs", help="see `fastvid models`")
    parser.add_argument("--pretrained", action="store_true", help="load pretrained weights")
    parser.add_argument("--clip-sampler", default="random")
    parser.add_argument("--clip-duration", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-epochs", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--strategy", default="no_freeze", help="no_freeze | freeze | freeze_unfreeze:EPOCH"
    )
    parser.add_argument("--device", default="auto", choices=("auto", "gpu", "cpu"))
    parser.add_argument("--output", default="fastvid_model.ckpt", help="checkpoint to write")
    parser.add_argument("--fast-dev-run", action="store_true")
    args = parser.parse_args(argv)

    import fastvid
    from fastvid.video import VideoClassificationData, VideoClassifier

    datamodule = VideoClassificationData.from_folders(
        train_folder=args.train_folder,
        val_folder=args.val_folder,
        clip_sampler=args.clip_sampler,
        clip_duration=args.clip_duration,
        batch_size=args.batch_size,
        device=args.device,
    )
    model = VideoClassifier(
        num_classes=datamodule.num_classes,
        labels=datamodule.labels,
        backbone=args.backbone,
        pretrained=args.pretrained,
        learning_rate=args.learning_rate,
    )
    trainer = fastvid.Trainer(max_epochs=args.max_epochs, fast_dev_run=args.fast_dev_run)
    strategy: object = args.strategy
    if args.strategy.startswith("freeze_unfreeze:"):
        strategy = ("freeze_unfreeze", int(args.strategy.split(":", 1)[1]))
    trainer.finetune(model, datamodule=datamodule, strategy=strategy)
    trainer.save_checkpoint(args.output)
    print(f"saved {args.output}")
    return 0


def _predict(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="fastvid predict", description="Predict one label per video with a trained model."
    )
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("inputs", nargs="+", help="video files or folders")
    parser.add_argument("--clip-duration", type=float, default=2.0)
    parser.add_argument("--device", default="auto", choices=("auto", "gpu", "cpu"))
    args = parser.parse_args(argv)

    from fastvid.video import VideoClassifier

    model = VideoClassifier.load_from_checkpoint(args.checkpoint, map_location="cpu")
    predictions = model.predict(args.inputs, clip_duration=args.clip_duration, device=args.device)
    print(json.dumps(predictions, indent=2))
    return 0


def _models(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="fastvid models", description="List backbones.")
    parser.add_argument("filter", nargs="?", default=None, help="fnmatch pattern, e.g. 'x3d*'")
    args = parser.parse_args(argv)
    from fastvid.models import list_backbones

    print("\n".join(list_backbones(args.filter)))
    return 0


def _demo(argv: Sequence[str]) -> int:
    from fastvid.demo import main as demo_main

    return demo_main(argv)


def _bench(argv: Sequence[str]) -> int:
    from fastvid.bench import run_benchmarks

    return run_benchmarks(argv)


def _gpu_check(argv: Sequence[str]) -> int:
    from fastvid.gpu_check import main as gpu_check_main

    return gpu_check_main(argv)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "train": (_train, "train a classifier on class-per-folder videos"),
    "predict": (_predict, "predict labels for videos with a checkpoint"),
    "models": (_models, "list the available backbones"),
    "demo": (_demo, "generate a motion dataset, train on it, predict (the README's main job)"),
    "bench": (_bench, "run the loader benchmarks (see benchmarks/README.md)"),
    "gpu-check": (_gpu_check, "check NVDEC decoding and GPU ops against the CPU path"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fastvid`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        width = max(len(name) for name in COMMANDS)
        print("usage: fastvid <command> [options]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<{width}}  {help_text}")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(command, COMMANDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        print(f"fastvid: unknown command {command!r}.{hint} Commands: {', '.join(COMMANDS)}")
        return 2
    return COMMANDS[command][0](rest)


if __name__ == "__main__":
    raise SystemExit(main())
