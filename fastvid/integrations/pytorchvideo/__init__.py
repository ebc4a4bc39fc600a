"""PyTorchVideo 0.1.5's data API, over fastvid's loader and decoders.

In: what a PyTorchVideo script passes (``data_path``, ``clip_sampler``, ``video_sampler``,
``transform``, ``decoder``, ...). Out: PyTorchVideo's sample dicts, from a ``ClipLoader``
(``DataLoader``) or decoded in the iterating process (``LabeledVideoDataset`` iterated by a
torch ``DataLoader``, :mod:`fastvid.reader.inline`); ``EncodedVideo`` / ``FrameVideo`` clips.

=============  ==============================================================================
``api``        ``LabeledVideoDataset``, ``labeled_video_dataset``, ``DataLoader``
``_stream``    ``SampleStream``: ``LabeledVideoDataset.__next__`` step for step, over a
               ``ClipSource``; the shared ``video_sampler`` and per-worker reseed
``_samples``   fastvid batches split into PyTorchVideo's sample dicts
``data``       ``pytorchvideo.data``'s names: ``Kinetics``, ``Ucf101``, ``Hmdb51``,
               ``LabeledVideoPaths``, ``EncodedVideo``, ``FrameVideo``, ``VideoPathsDataset``
=============  ==============================================================================
"""
