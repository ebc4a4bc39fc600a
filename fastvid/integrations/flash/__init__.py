"""Lightning Flash 0.8's video-classification surface, over fastvid's loader.

In: Flash's arguments (folders, files, data frames, CSV, tensors, Label Studio, FiftyOne,
WebDataset shards; ``InputTransform`` s, target formatters). Out: ``VideoClassificationData``'s
loaders (each a :class:`~fastvid.reader.ClipLoader`), Flash's per-stage inputs and, for
``Trainer.predict(output=...)``, Flash's outputs. Flash's module paths (``fastvid.core.*``,
``fastvid.video.*``) re-export from here.

=======================  =====================================================================
``datamodule``           ``VideoClassificationData`` (its ``from_*`` are the mixins below)
``_stages``              per-stage splits, Flash's shared arguments, ``val_split``
``_files``               ``from_folders`` / ``from_paths``, ``from_files``
``_tables``              ``from_data_frame``, ``from_csv``
``_memory``              ``from_tensors``
``_labelstudio``         ``from_labelstudio``
``_fiftyone``            ``from_fiftyone``
``_webdataset``          ``from_webdataset``
``_dataset_properties``  the ``*_dataset`` properties, training ``sampler``, ``pin_memory``
``input_transform``      ``InputTransform``, ``VideoClassificationInputTransform``,
                         ``ApplyToKeys``, ``InputTransformCollate``
``target_formatters``    Flash's target formatters
``inputs``               the per-stage inputs (Flash's ``Input`` class names)
``outputs``              the prediction outputs and their registry
``predict_outputs``      ``Trainer.predict(output=...)``'s wrapper (``FlashPredictions``)
=======================  =====================================================================
"""
