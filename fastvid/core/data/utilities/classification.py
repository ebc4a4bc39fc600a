"""``flash.core.data.utilities.classification``: Flash's target formatters."""

# flash-datamodule (issue 20 item 4, `target_formatter=`) adds Flash's target formatters
# (``TargetFormatter``, ``SingleLabelTargetFormatter``, ``MultiBinaryTargetFormatter``, ...);
# re-export them here:
# from <its module> import ...

__all__: list[str] = []
