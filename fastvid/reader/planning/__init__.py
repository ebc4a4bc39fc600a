"""Planning: which frames of which clips of which videos, in which order, and who prepares them.

In: the loader's videos (index columns), its clip and video samplers, seed, epoch, rank.
Out: an :class:`~fastvid.reader.planning.epoch.EpochPlan` (a ``Sequence[ClipRequest]``) and
the tasks a worker prepares together. Pure NumPy over the index: nothing here decodes or
imports the decoding, workers or loader rooms.

================  ===========================================================================
``frames``        a clip in seconds → the frame indices PyTorchVideo would return; temporal
                  subsample; ``ClipRequest``; AVI B-frame output order
``epoch``         ``EpochPlanner``: the epoch's clips in PyTorchVideo's order, sharded by rank
``_video_order``  which videos, in which order, from the video sampler, per rank and epoch
``_vector_plan``  the same plan over columns (duration-only samplers once per distinct duration)
``_timing``       the per-video columns the planner reads
``_table``        ``EpochPlan``: the plan stored as columns, a ``ClipRequest`` made when read
``schedule``      ``group_clips``: a video's neighbouring clips go to one worker (``TaskPlan``)
================  ===========================================================================
"""
