"""Transforms: Flash / PyTorchVideo transform chains in, lowered ops and per-clip parameters out.

In: a stage's transform dict or video transform. Out: a ``LoweredTransform`` (the ops DALI
runs, what stays in torch), each clip's random parameters drawn as the originals draw them,
and the same ops finished in torch where no DALI graph runs.

=============  ==============================================================================
``lowering``   ``lower_sample_transform`` / ``lower_video_transform``
``augment``    the lowered op values; ``sample_steps``: per-clip parameters
``finish``     the ops in torch (the CPU path's last step, the in-process reader)
=============  ==============================================================================
"""
