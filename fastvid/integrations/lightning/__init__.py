"""Lightning's side: callbacks, and the Lightning 1.x ``Trainer`` arguments Flash users pass.

In: a running Lightning ``Trainer`` (callbacks) or ``Trainer`` keyword arguments. Out: logged
skip counts; Lightning 2 arguments.

================  ===========================================================================
``callbacks``     ``SkippedVideosLogger``: what the loaders skipped, to Lightning's loggers
``trainer_args``  ``translate_trainer_kwargs``: Lightning 1.x arguments → Lightning 2
================  ===========================================================================
"""
