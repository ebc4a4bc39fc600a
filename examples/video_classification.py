# ruff: noqa  (kept as close to Flash's example text as possible)
"""Lightning Flash's video-classification example on fastvid.

The code below is Flash's example (``shared/seed/video_classification.rst``) with ``flash``
replaced by ``fastvid``; the only other change points the data placeholders at a small dataset
this script generates first (Flash downloaded Kinetics). Run: ``python examples/video_classification.py``.
"""

import sys

import torch
from torch.utils.data import SequentialSampler

import fastvid
from fastvid.data.utils import download_data
from fastvid.video import VideoClassificationData, VideoClassifier
import kornia.augmentation as K
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)
from torchvision.transforms import Compose, RandomCrop, RandomHorizontalFlip

from fastvid.testing import make_dataset

# 0. (not in Flash's example) make a small class-per-folder dataset to stand in for Kinetics
make_dataset(
    "data/video_dataset",
    classes=("archery", "bowling"),
    per_class=3,
    splits=("train",),
    codec="vp9",
    size=(160, 120),
    duration=3.0,
)

# 1. Download a video dataset
download_data("data/video_dataset")

# 2. [Optional] Specify transforms to be used during training.
train_transform = {
    "post_tensor_transform": Compose(
        [
            ApplyTransformToKey(
                key="video",
                transform=Compose(
                    [
                        UniformTemporalSubsample(8),
                        RandomShortSideScale(min_size=256, max_size=320),
                        RandomCrop(244),
                        RandomHorizontalFlip(p=0.5),
                    ]
                ),
            ),
        ]
    ),
    "per_batch_transform_on_device": Compose(
        [
            ApplyTransformToKey(
                key="video",
                transform=K.VideoSequential(
                    K.Normalize(
                        torch.tensor([0.45, 0.45, 0.45]), torch.tensor([0.225, 0.225, 0.225])
                    ),
                    K.augmentation.ColorJitter(0.1, 0.1, 0.1, 0.1, p=1.0),
                    data_format="BCTHW",
                    same_on_frame=False,
                ),
            ),
        ]
    ),
}

# 3. Load the data
datamodule = VideoClassificationData.from_paths(
    train_data_path="data/video_dataset/train",
    clip_sampler="uniform",
    clip_duration=2,
    video_sampler=SequentialSampler,
    decode_audio=False,
    train_transform=train_transform,
)

# 4. List the available models
print(VideoClassifier.available_models())

# 5. Build the model
model = VideoClassifier(num_classes=datamodule.num_classes, pretrained=False)

# 6. Train the model
trainer = fastvid.Trainer(fast_dev_run=True)

# 6. Finetune the model
trainer.finetune(model, datamodule=datamodule)
