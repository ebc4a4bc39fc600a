"""Decoding: a file and the frames a plan asks for in, frames (or GOP cuts) and audio out.

In: a video (path or remote file) and frame positions from :mod:`fastvid.reader.planning`.
Out: RGB frames (PyAV), stream-copied GOP ranges for DALI's decoder, a clip's audio, and the
decoder each file is routed to. Runs in the worker processes (and in the calling process for
:mod:`fastvid.reader.inline`); never imports the workers or the loader.

================  ===========================================================================
``_container``    ``OpenContainer``: a video as a PyAV container, local or remote
``pyav_source``   ``PyAVFrameReader`` / ``decode_frames``: frame-selective PyAV decoding
``_pyav_stream``  one open video and its decoder, kept where the last request left it
``_pyav_convert`` decoded frames to RGB outputs (one swscale call per size)
``gop``           ``GopCutter``: GOP-range cuts (stream copy) for DALI's decoder
``audio``         ``AudioReader``: a clip's audio as PyTorchVideo's PyAV decoder returns it
``routing``       ``route_videos``: NVDEC, DALI CPU or PyAV per file, from capability tables
``nvdec``         NVDEC proved on the GPU before files are routed to it
================  ===========================================================================
"""
