"""The ``fastvid`` command: ``train``, ``predict``, ``models``, ``demo``, ``bench``, ``gpu-check``,
``shard``, ``index``.

Each subcommand is a thin layer over the Python API; ``fastvid <command> --help`` lists its
options. ``train`` is Lightning's ``LightningCLI`` over ``VideoClassifier``,
``VideoClassificationData.from_folders`` and ``fastvid.Trainer`` (``--model.*``, ``--data.*``,
``--trainer.*``); ``predict`` is a jsonargparse parser over ``predict_videos``. Both read YAML
files with ``--config`` and print one with ``--print_config``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest import mock

__all__ = ["main"]


def _train(argv: Sequence[str]) -> int:
    """``fastvid train``: LightningCLI over ``VideoClassifier`` and the folder DataModule."""
    from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

    from fastvid.models.classifier import VideoClassifier
    from fastvid.trainer import Trainer

    class TrainCLI(LightningCLI):
        def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
            parser.add_argument(
                "--strategy",
                type=str | tuple[str, int] | tuple[str, tuple[tuple[int, int], int]],
                default="no_freeze",
                help="finetuning strategy: no_freeze | freeze | '[freeze_unfreeze, EPOCH]' | "
                "'[unfreeze_milestones, [[EPOCH1, EPOCH2], NUM_LAYERS]]' (freeze_unfreeze:EPOCH "
                "works too)",
            )
            parser.add_argument(
                "--output",
                type=str,
                default="fastvid_model.ckpt",
                help="checkpoint to write; its config goes next to it (.yaml)",
            )
            parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")
            parser.link_arguments("data.labels", "model.labels", apply_on="instantiate")
            # The command line's defaults: random weights, one epoch (the library's are Flash's).
            parser.set_defaults({"model.pretrained": False, "trainer.max_epochs": 1})

    # LightningCLI reads sys.argv (passing args= as well makes it warn): give it the subcommand's.
    with mock.patch.object(sys, "argv", ["fastvid train", *argv]):
        cli = TrainCLI(
            VideoClassifier,
            _folder_datamodule_class(),
            trainer_class=Trainer,
            save_config_callback=None,
            auto_configure_optimizers=False,
            parser_kwargs={"prog": "fastvid train", "description": _TRAIN_HELP},
            run=False,
        )
    trainer = cli.trainer
    assert isinstance(trainer, Trainer)  # trainer_class above; narrows the type for mypy
    trainer.finetune(cli.model, datamodule=cli.datamodule, strategy=_strategy(cli.config.strategy))
    output = Path(cli.config.output)
    trainer.save_checkpoint(output)
    config = output.with_suffix(".yaml")
    cli.parser.save(cli.config, config, overwrite=True, skip_none=False)
    print(f"saved {output} (its configuration: {config}; rerun with --config {config})")
    return 0


_TRAIN_HELP = """Train a video classifier on class-per-folder videos (Lightning's CLI).

Every option of VideoClassifier (--model.*), of VideoClassificationData.from_folders
(--data.*) and of the Trainer (--trainer.*) is available, from the command line or a YAML
file: `fastvid train --print_config > train.yaml`, edit, `fastvid train --config train.yaml`.
Example: fastvid train --data.train_folder data/train --data.val_folder data/val
--model.backbone x3d_xs --trainer.max_epochs 3 --strategy freeze"""


@functools.cache
def _folder_datamodule_class() -> type:
    """``VideoClassificationData.from_folders`` as the class LightningCLI's ``--data`` wants.

    Made once: jsonargparse registers the class in this module and refuses a second one.
    """
    from jsonargparse import class_from_function

    from fastvid.integrations.flash.datamodule import VideoClassificationData

    return class_from_function(
        VideoClassificationData.from_folders,
        VideoClassificationData,
        name="VideoClassificationDataFromFolders",
    )


def _strategy(value: object) -> object:
    """``"freeze_unfreeze:3"`` (the old spelling) as ``("freeze_unfreeze", 3)``; else as is."""
    if isinstance(value, str) and ":" in value:
        name, _, epoch = value.partition(":")
        return (name, int(epoch))
    if isinstance(value, list | tuple):
        return tuple(_strategy(v) if isinstance(v, list) else v for v in value)
    return value


def _predict(argv: Sequence[str]) -> int:
    """``fastvid predict``: one label per video, options from the command line or ``--config``."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    from fastvid.models.predict import predict_videos

    parser = ArgumentParser(
        prog="fastvid predict",
        description="Predict one label per video with a trained model "
        "(`fastvid predict --print_config > predict.yaml` writes a config file to edit).",
    )
    parser.add_argument("--config", action=ActionConfigFile, help="a YAML file of these options")
    parser.add_argument("--checkpoint", type=str, required=True, help="from `fastvid train`")
    parser.add_argument("inputs", type=str, nargs="+", help="video files or folders")
    parser.add_argument(
        "--model_device",
        type=str,
        default="auto",
        help="where the model runs: auto (the GPU when there is one), cpu, cuda, cuda:1, ...",
    )
    parser.add_function_arguments(predict_videos, skip={"model", "inputs"})
    args = parser.parse_args(list(argv))

    import torch

    from fastvid.models.classifier import VideoClassifier

    model = VideoClassifier.load_from_checkpoint(args.checkpoint, map_location="cpu")
    device = args.model_device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    options = {k: v for k, v in vars(args).items() if k not in _PREDICT_CLI_ONLY}
    predictions = predict_videos(model.to(device), list(args.inputs), **options)
    print(json.dumps(predictions, indent=2))
    return 0


_PREDICT_CLI_ONLY = frozenset({"config", "checkpoint", "inputs", "model_device", "__path__"})


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
    """``fastvid bench PATH``: the user's videos (installed package); ``fastvid bench``: the
    source tree's suite."""
    from fastvid.benchmark import is_folder_command

    if is_folder_command(argv):
        from fastvid.benchmark import main as bench_folder

        return bench_folder(argv)
    from fastvid.bench import run_benchmarks, source_root

    try:
        source_root()
    except FileNotFoundError as error:  # a plain `pip install`: no benchmarks/ to run
        print(f"fastvid bench: {error}", file=sys.stderr)
        return 2
    return run_benchmarks(argv)


def _shard(argv: Sequence[str]) -> int:
    """``fastvid shard SRC DEST``: a class-per-folder tree as WebDataset tar shards."""
    parser = argparse.ArgumentParser(
        prog="fastvid shard",
        description="Write a class-per-folder tree of videos as WebDataset tar shards "
        "(<key>.mp4/.webm/.mkv + <key>.cls + <key>.json per video, DEST/classes.json), for "
        "VideoClassificationData.from_webdataset.",
    )
    parser.add_argument("src", help="class-per-folder tree (SRC/<class>/<video>)")
    parser.add_argument("dest", help="folder for the shards (created)")
    parser.add_argument("--max-size", default="1GB", help="cap on a shard's size (default 1GB)")
    parser.add_argument("--max-count", type=int, default=100_000, help="cap on videos per shard")
    parser.add_argument("--prefix", default="shard", help="shard name prefix (default shard)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the video order")
    parser.add_argument(
        "--no-shuffle", action="store_true", help="keep the folder order (class by class)"
    )
    args = parser.parse_args(list(argv))
    from fastvid.data.shards import write_shards

    try:
        summary = write_shards(
            args.src,
            args.dest,
            max_size=args.max_size,
            max_count=args.max_count,
            prefix=args.prefix,
            shuffle=not args.no_shuffle,
            seed=args.seed,
        )
    except (FileExistsError, FileNotFoundError, ValueError) as error:
        print(f"fastvid shard: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {summary.videos} videos of {len(summary.classes)} classes in "
        f"{len(summary.shards)} shards: {summary.pattern}"
    )
    return 0


def _index_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastvid index",
        description="Probe every video below SRC once into an index file that loaders map "
        "read-only (shared by every worker and rank on a node). Re-running probes only new or "
        "changed files; an interrupted run resumes.",
    )
    parser.add_argument("src", help="dataset folder or URL (videos at any depth)")
    parser.add_argument(
        "--out", default=None, help="index file (default: SRC/fastvid.index for a local SRC)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="probing processes (default: every core)"
    )
    parser.add_argument(
        "--fingerprint",
        action="store_true",
        help="also key entries on a hash of each file's first and last 64 KiB",
    )
    parser.add_argument(
        "--checkpoint-seconds",
        type=float,
        default=60.0,
        help="seconds between partial writes while probing (default 60)",
    )
    parser.add_argument(
        "--storage-options",
        type=json.loads,
        default=None,
        help="fsspec options of a remote SRC as JSON, e.g. '{\"anon\": true}'",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _index(argv: Sequence[str]) -> int:
    """``fastvid index SRC [--out FILE]``: a dataset's index file (built once, then updated
    incrementally; an interrupted run resumes), mapped read-only by loaders."""
    args = _index_parser().parse_args(list(argv))
    from fastvid.data.index import VideoIndex
    from fastvid.data.index._store import INDEX_FILE_NAME
    from fastvid.data.layout import VIDEO_EXTENSIONS
    from fastvid.data.storage import is_remote, normalize, walk_files

    src = args.src if is_remote(args.src) else normalize(args.src)
    if not is_remote(src) and not os.path.isdir(src):
        print(f"fastvid index: {args.src!r} is not a folder", file=sys.stderr)
        return 2
    if args.out is None and is_remote(src):
        print(
            f"fastvid index: {args.src} is remote; say where the index goes with --out FILE",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out).expanduser() if args.out else Path(src) / INDEX_FILE_NAME
    if args.workers is not None and args.workers < 0:
        print(f"fastvid index: --workers ({args.workers}) must be >= 0", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        files = walk_files(src, args.storage_options)
    except (OSError, ValueError) as error:
        print(f"fastvid index: cannot list {args.src}: {error}", file=sys.stderr)
        return 2
    videos = sorted(
        f
        for f in files
        if f.lower().endswith(VIDEO_EXTENSIONS)
        and not any(part.startswith(".") for part in f[len(src) :].split("/"))  # hidden
    )
    if not videos:
        print(f"fastvid index: no videos ({', '.join(VIDEO_EXTENSIONS)}) below {args.src}")
        return 2
    index = VideoIndex.build_file(
        videos,
        out,
        num_workers=(os.cpu_count() or 1) if args.workers is None else args.workers,
        progress=not args.quiet,
        fingerprint=args.fingerprint,
        storage_options=args.storage_options,
        root=src,
        checkpoint_seconds=args.checkpoint_seconds,
    )
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    print(
        f"indexed {len(index)} of {len(videos)} videos into {out} ({size / 1e6:.1f} MB, "
        f"{size / max(1, len(index)):.0f} bytes/video) in {seconds:.1f} s"
        + (f"; {len(index.errors)} could not be read (see its errors)" if index.errors else "")
    )
    return 0


def _gpu_check(argv: Sequence[str]) -> int:
    from fastvid.gpu_check import main as gpu_check_main

    return gpu_check_main(argv)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "train": (_train, "train a classifier on class-per-folder videos"),
    "predict": (_predict, "predict labels for videos with a checkpoint"),
    "models": (_models, "list the available backbones"),
    "demo": (_demo, "generate a motion dataset, train on it, predict (the README's main job)"),
    "bench": (_bench, "benchmark loaders on your videos (bench PATH) or run the source suite"),
    "gpu-check": (_gpu_check, "check NVDEC decoding and GPU ops against the CPU path"),
    "shard": (_shard, "write a class-per-folder tree as WebDataset tar shards"),
    "index": (_index, "probe a dataset once into an index file loaders map (shared by ranks)"),
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
