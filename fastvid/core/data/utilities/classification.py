"""``flash.core.data.utilities.classification``: Flash's target formatters."""

# flash-datamodule (issue 20 item 4, `target_formatter=`) adds Flash's target formatters
# (``TargetFormatter``, ``SingleLabelTargetFormatter``, ``MultiBinaryTargetFormatter``, ...);
#
# re-export them here once that branch is merged:
# from fastvid.integrations.target_formatters import TargetFormatter, ...
# (its __all__)

__all__: list[str] = []
