"""Pictures more than one notebook needs: training curves, image grids, confusion matrices.

Every function returns a ``matplotlib.figure.Figure`` that is detached from pyplot's list of open
figures. A notebook shows it once when the call is the cell's last expression (or through
``display(fig)``); no ``plt.show()`` is needed, and figures never pile up in pyplot's state.
"""

from __future__ import annotations

from course_utils.plotting.attention import (
    plot_attention_maps,
    plot_position_similarity,
)
from course_utils.plotting.convolution import (
    plot_conv_windows,
    plot_feature_maps,
)
from course_utils.plotting.images import show_filters, show_images
from course_utils.plotting.metrics import confusion_matrix, plot_confusion_matrix, plot_history

__all__ = [
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_conv_windows",
    "plot_attention_maps",
    "plot_feature_maps",
    "plot_history",
    "plot_position_similarity",
    "show_filters",
    "show_images",
]
