"""Workers: tasks in, decoded clips in shared memory out.

In: :class:`~fastvid.reader.workers.tasks.Task` s (a video's clips, planned by
:mod:`fastvid.reader.planning`). Out: ``TaskResult`` s pointing into shared-memory segments
(no pixels in the pipe); deaths and hangs reported as errors. The workers decode with
:mod:`fastvid.reader.decoding`.

==========  ================================================================================
``pool``    ``WorkerPool``: persistent spawned processes; submit, results, free, close
``worker``  the worker process: runs tasks, writes frames, cuts and audio into segments
``tasks``   the wire format: ``Task``, ``VideoWindow``, ``ClipJob`` out; ``TaskResult`` back
``shm``     shared-memory segments, reused across tasks
``budget``  how many workers and threads a loader uses, from the machine and the routes
==========  ================================================================================
"""
