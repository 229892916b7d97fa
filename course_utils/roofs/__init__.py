"""Synthetic aerial roof images (flat, gabled, hipped) and loaders for real roof folders.

The capstone classifies top-down aerial images of single buildings by roof type. The original
workshop downloaded a satellite dataset; this package renders a calibrated synthetic one instead
(offline, seconds to make) and still reads a real BRAILS-style folder when a user has one.

Typical use::

    from course_utils.roofs import load_roofs
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = load_roofs()          # synthetic
    train, val, test = load_roofs(as_dataset=True, train_transform=augment)     # Datasets
    train, val, test = load_roofs("~/data/roofs", as_dataset=True)              # real images

Lower level: ``render_roof`` (one image), ``generate_roofs`` (a reproducible batch),
``write_roof_imagefolder`` / ``load_roof_folder`` (ImageFolder trees on disk), ``RenderConfig``
(difficulty knobs; ``RenderConfig.clean()`` for the idealised look), and ``sample_scene`` /
``render_scene`` / ``roof_plane_map`` (the scene behind an image).

Modules: ``elements`` (what is drawn), ``scene`` (difficulty knobs and the random scene),
``raster`` (NumPy rasterisation), ``render`` (drawing), ``synthetic`` (reproducible batches),
``folder`` (files on disk), ``dataset`` (the Dataset and the loader, above the two).
"""

from .dataset import RoofDataset, load_roofs, to_chw_float
from .elements import RoofScene
from .folder import IMAGE_EXTENSIONS, SPLIT_ALIASES, load_roof_folder, write_roof_imagefolder
from .render import render_roof, render_scene, roof_plane_map
from .scene import ROOF_CLASSES, RenderConfig, sample_scene
from .synthetic import SPLITS, generate_roofs

__all__ = [
    "IMAGE_EXTENSIONS",
    "ROOF_CLASSES",
    "SPLITS",
    "SPLIT_ALIASES",
    "RenderConfig",
    "RoofDataset",
    "RoofScene",
    "generate_roofs",
    "load_roof_folder",
    "load_roofs",
    "render_roof",
    "render_scene",
    "roof_plane_map",
    "sample_scene",
    "to_chw_float",
    "write_roof_imagefolder",
]
