"""Helpers the course notebooks import: devices, data, training, plotting, checks, hand-in.

Public names are re-exported lazily: ``from course_utils import fit`` imports
``course_utils.training`` (and torch) only then, so that light users such as the grader, which
needs ``course_utils.checks`` alone, start quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "device": (
        "amp_dtype",
        "describe_environment",
        "format_environment",
        "get_device",
        "in_colab",
        "seed_everything",
    ),
    "frontend": ("check_hand_in",),
    "data": ("DataError", "DownloadError", "MissingDataError", "load_mnist", "to_tensors"),
    "training": ("History", "evaluate", "fit", "predict"),
    "roofs": (
        "ROOF_CLASSES",
        "RoofDataset",
        "generate_roofs",
        "load_roof_folder",
        "load_roofs",
        "render_roof",
        "write_roof_imagefolder",
    ),
    "plotting": (
        "confusion_matrix",
        "plot_attention_maps",
        "plot_confusion_matrix",
        "plot_conv_windows",
        "plot_feature_maps",
        "plot_history",
        "plot_position_similarity",
        "show_attention_maps",
        "show_feature_maps",
        "show_filters",
        "show_images",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"course_utils.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
