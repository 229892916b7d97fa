"""Tests for the course_utils.plotting package: curves, image grids, confusion matrices, feature and attention maps."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's first import

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils.plotting import (  # noqa: E402
    confusion_matrix,
    plot_confusion_matrix,
    plot_history,
    show_images,
)
from course_utils.training import History  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def history(with_val: bool) -> History:
    h = History(epoch=[1, 2, 3], train_loss=[1.0, 0.6, 0.4], train_acc=[0.6, 0.8, 0.9])
    h.seconds, h.samples_per_sec = [1.0] * 3, [100.0] * 3
    if with_val:
        h.val_loss, h.val_acc = [1.1, 0.7, 0.5], [0.55, 0.75, 0.85]
    return h


@pytest.mark.parametrize("with_val", [True, False])
def test_plot_history_draws_loss_and_accuracy_side_by_side(with_val):
    """Two axes, loss then accuracy, with a train line and (if present) a val line each."""
    fig = plot_history(history(with_val))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    expected = ["train", "val"] if with_val else ["train"]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == expected
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_ydata(), [1.0, 0.6, 0.4])
    np.testing.assert_array_equal(acc_ax.get_lines()[0].get_xdata(), [1, 2, 3])


def test_plot_history_names_test_data_as_such():
    """Evaluation on the test split is labelled "test", not "val"."""
    fig = plot_history(history(True), val_label="test")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train", "test"]


def test_plot_history_accepts_a_plain_dict():
    """A dict with train_loss/train_acc lists (no epoch key) is plotted against 1..N."""
    fig = plot_history({"train_loss": [0.9, 0.5], "train_acc": [0.5, 0.7]})
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2])


@pytest.mark.parametrize(
    ("shape", "shown"),
    [
        ((5, 1, 6, 7), (6, 7)),
        ((5, 3, 6, 7), (6, 7, 3)),
        ((5, 6, 7), (6, 7)),
        ((5, 6, 7, 3), (6, 7, 3)),
        ((5, 36), (6, 6)),
    ],
)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_show_images_accepts_every_layout(shape, shown, as_tensor):
    """Each layout, NumPy or torch, gives one axes per image, showing an (H, W[, 3]) array."""
    images = np.random.default_rng(0).random(shape, dtype=np.float32)
    fig = show_images(torch.from_numpy(images) if as_tensor else images, ncols=4)
    assert len(fig.axes) == 5  # 2 rows of 4, the 3 unused frames removed
    assert fig.axes[0].get_images()[0].get_array().shape == shown


def test_show_images_titles_wrong_predictions_in_red():
    """Titles read "prediction (label)" with class names; exactly the wrong ones are red."""
    images = np.zeros((4, 1, 5, 5), dtype=np.float32)
    labels = np.array([0, 1, 2, 1])
    predictions = np.array([0, 2, 2, 0])
    fig = show_images(images, labels, predictions, class_names=["flat", "gabled", "hipped"])
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == [
        "flat (flat)",
        "hipped (gabled)",
        "hipped (hipped)",
        "flat (gabled)",
    ]
    red = [mcolors.same_color(t.get_color(), "tab:red") for t in titles]
    assert red == [False, True, False, True]
    assert fig.get_suptitle() == "prediction (true label); red: wrong"


def test_show_images_takes_logits_as_predictions_and_labels_alone():
    """(N, K) scores are reduced by argmax; labels alone become plain titles."""
    images = np.zeros((3, 4, 4))
    logits = torch.tensor([[0.1, 2.0], [3.0, 0.0], [0.0, 1.0]])
    fig = show_images(images, labels=[1, 1, 1], predictions=logits)
    assert [ax.get_title() for ax in fig.axes] == ["1 (1)", "0 (1)", "1 (1)"]
    fig = show_images(images, labels=[0, 1, 0])
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "0"]


@pytest.mark.parametrize("shape", [(4, 2, 5, 5), (4, 5), (5,), (4, 5, 5, 4)])
def test_show_images_rejects_other_shapes(shape):
    """Two channels, non-square flat images, a 1-D array or 4 trailing channels: ValueError."""
    with pytest.raises(ValueError, match="cannot show|expected"):
        show_images(np.zeros(shape))


def test_confusion_matrix_by_hand():
    """Rows are true classes: y_true=[0,0,1,2,2,2], y_pred=[0,1,1,2,0,2] counts as worked out."""
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], np.array([0, 1, 1, 2, 0, 2]))
    expected = np.array(
        [
            [1, 1, 0],  # class 0: one right, one taken for 1
            [0, 1, 0],  # class 1: right
            [1, 0, 2],  # class 2: two right, one taken for 0
        ]
    )
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64
    padded = confusion_matrix(torch.tensor([0, 1]), torch.tensor([1, 1]), num_classes=4)
    np.testing.assert_array_equal(padded, [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])


def test_confusion_matrix_agrees_with_a_counting_loop_and_takes_logits():
    """On random labels the matrix equals a plain double loop; (N, K) scores are argmax-ed."""
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, 300)
    logits = rng.normal(size=(300, 5))
    y_pred = logits.argmax(1)
    loop = np.zeros((5, 5), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        loop[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), loop)
    np.testing.assert_array_equal(confusion_matrix(y_true, logits), loop)
    assert confusion_matrix(y_true, y_pred).sum() == 300


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "match"),
    [
        ([0, 1], [0, 1, 1], {}, "2 entries but y_pred has 3"),
        ([0.0, 1.0], [0.0, 1.0], {}, "integers"),
        ([0, 3], [0, 1], {"num_classes": 3}, r"0\.\.2"),
        ([0, -1], [0, 1], {}, r"must lie in"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, kwargs, match):
    """Length mismatches, float labels and labels outside 0..K-1 raise ValueError."""
    with pytest.raises(ValueError, match=match):
        confusion_matrix(np.array(y_true), np.array(y_pred), **kwargs)


def _cell_texts(fig: Figure) -> dict[tuple[int, int], str]:
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
        for t in fig.axes[0].texts
    }


def test_plot_confusion_matrix_writes_every_count_in_its_cell():
    """One axes, K*K texts, and the text in row i, column j is the count cm[i, j]."""
    y_true, y_pred = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2]
    fig = plot_confusion_matrix(y_true, y_pred, class_names=["flat", "gabled", "hipped"])
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    cm = confusion_matrix(y_true, y_pred)
    texts = _cell_texts(fig)
    assert len(fig.axes[0].texts) == 9
    assert texts == {(i, j): str(cm[i, j]) for i in range(3) for j in range(3)}
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["flat", "gabled", "hipped"]
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    assert ax.get_title() == "accuracy 0.667"


def test_plot_confusion_matrix_normalized_rows_sum_to_one():
    """normalize=True writes each row as fractions of its true class."""
    fig = plot_confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], normalize=True)
    texts = _cell_texts(fig)
    assert [texts[(2, j)] for j in range(3)] == ["0.33", "0.00", "0.67"]
    assert [texts[(0, j)] for j in range(3)] == ["0.50", "0.50", "0.00"]


def test_plot_confusion_matrix_class_names_fix_k_for_missing_classes():
    """With 4 class names the matrix is 4x4 even if class 3 never occurs."""
    fig = plot_confusion_matrix([0, 1], [1, 1], class_names=list("abcd"))
    assert len(fig.axes[0].texts) == 16


def test_figures_are_returned_not_left_open_in_pyplot():
    """No function leaves a figure in pyplot's list (so notebooks do not draw it twice)."""
    before = plt.get_fignums()
    plot_history(history(True))
    show_images(np.zeros((2, 3, 3)))
    plot_confusion_matrix([0, 1], [0, 1])
    assert plt.get_fignums() == before


def test_import_has_no_side_effects():
    """Importing the module neither imports pyplot (which picks a backend) nor touches rcParams."""
    code = textwrap.dedent(
        """
        import sys
        import matplotlib
        # dict.items reads the raw values: rcParams["backend"] itself would import pyplot
        params = dict(dict.items(matplotlib.rcParams))
        import course_utils.plotting
        assert "matplotlib.pyplot" not in sys.modules, "the import loaded pyplot"
        assert dict(dict.items(matplotlib.rcParams)) == params, "the import changed rcParams"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# --- notebook 04: transformers ---

from course_utils.plotting import (  # noqa: E402
    plot_attention_maps,
    plot_position_similarity,
    show_filters,
)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_plot_attention_maps_takes_a_dict_of_map_sets_titled_by_its_keys(as_tensor):
    """A dict of two map sets over five images: a column per set, titled with its key."""
    images = np.random.default_rng(0).random((5, 1, 28, 28))
    maps = {"layer 4": np.ones((5, 4, 4)), "rollout": np.random.default_rng(1).random((5, 4, 4))}
    if as_tensor:
        images, maps = torch.from_numpy(images), {k: torch.from_numpy(v) for k, v in maps.items()}
    fig = plot_attention_maps(images, maps, labels=[3, 1, 4, 1, 5])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 15
    assert [fig.axes[3 * r].get_title() for r in range(2)] == ["3", "1"]
    assert [fig.axes[1].get_title(), fig.axes[2].get_title()] == ["layer 4", "rollout"]
    with pytest.raises(ValueError, match="leave out stage_names"):
        plot_attention_maps(images, maps, stage_names=["a", "b"])


def test_plot_attention_maps_can_keep_one_flat_cell_per_patch():
    """interpolation="nearest": a 4 x 4 map covers the 28 x 28 image in 7 x 7 blocks."""
    attention = np.zeros((1, 4, 4))
    attention[0, 1, 2] = 0.25
    fig = plot_attention_maps(np.zeros((1, 28, 28)), attention, interpolation="nearest")
    overlay = fig.axes[1].get_images()[-1]
    assert overlay.get_extent() == [-0.5, 27.5, 27.5, -0.5]
    assert overlay.get_interpolation() == "nearest"
    assert overlay.get_clim() == (0.0, 0.25)  # stretched to this image's own range


def test_plot_position_similarity_by_hand():
    """Panel i shows cosine similarities of embedding i with every position, on the grid."""
    pos = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [1.0, 1.0]])  # a 2 x 2 grid
    fig = plot_position_similarity(torch.from_numpy(pos)[None])  # (1, N, D) is accepted
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 4
    expected = np.array([[1.0, 0.0], [-1.0, 1 / np.sqrt(2)]])
    np.testing.assert_allclose(np.asarray(panels[0].get_images()[0].get_array()), expected)
    np.testing.assert_allclose(panels[3].get_images()[0].get_array()[1, 1], 1.0)


def test_plot_position_similarity_needs_a_grid():
    """Positions that form no square grid need grid_shape, and it must hold all of them."""
    with pytest.raises(ValueError, match="not a square grid"):
        plot_position_similarity(np.ones((6, 3)))
    with pytest.raises(ValueError, match="holds 4 positions, not 6"):
        plot_position_similarity(np.ones((6, 3)), grid_shape=(2, 2))
    panels = [a for a in plot_position_similarity(np.eye(6), (2, 3)).axes if a.get_images()]
    assert [ax.get_title() for ax in panels] == [
        f"patch ({r}, {c})" for r in range(2) for c in range(3)
    ]


@pytest.mark.parametrize(
    ("shape", "rgb"), [((5, 7, 7), False), ((5, 1, 7, 7), False), ((5, 3, 7, 7), True)]
)
def test_show_filters_draws_one_axes_per_filter(shape, rgb):
    """Every layout gives one axes per filter; grey filters use a symmetric scale around 0."""
    filters = np.random.default_rng(0).normal(size=shape)
    fig = show_filters(filters, ncols=3, titles=list("abcde"), title="five filters")
    assert fig._suptitle.get_text() == "five filters"
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 5
    assert [ax.get_title() for ax in panels] == list("abcde")
    image = panels[0].get_images()[0]
    if rgb:
        assert np.asarray(image.get_array()).shape == (7, 7, 3)
        assert len(fig.axes) == 5  # colours are the filter's own: no scale to explain
    else:
        low, high = image.get_clim()
        assert low == -high == -np.abs(filters[0]).max()
        (bar,) = [ax for ax in fig.axes if ax not in panels]  # the colour bar says what red means
        assert [t.get_text() for t in bar.get_yticklabels()] == ["\u2212max", "0", "+max"]


def test_show_filters_rejects_other_shapes_and_titles():
    """Filters of an unknown layout, or titles that do not match them, are refused."""
    with pytest.raises(ValueError, match=r"expected \(F, h, w\)"):
        show_filters(np.zeros((2, 2, 7, 7)))
    with pytest.raises(ValueError, match="3 filters but 2 titles"):
        show_filters(np.zeros((3, 7, 7)), titles=["a", "b"])


def test_notebook_04_figures_are_not_left_open_in_pyplot():
    """The transformer plots also leave pyplot's list of figures as it was."""
    before = plt.get_fignums()
    plot_attention_maps(np.zeros((2, 8, 8)), np.ones((2, 2, 2)))
    plot_position_similarity(np.eye(4))
    show_filters(np.ones((2, 3, 3)))
    assert plt.get_fignums() == before


# --- notebook 02: convolution windows and feature maps ---

import re  # noqa: E402

from matplotlib.patches import Rectangle  # noqa: E402

from course_utils.plotting import plot_conv_windows, plot_feature_maps  # noqa: E402

SEED_IMAGE = np.zeros((8, 8))
SEED_IMAGE[2:5, 1:7] = 1.0


@pytest.mark.parametrize(
    ("padding", "stride", "out_shape"),
    [(0, 1, (6, 6)), (1, 1, (8, 8)), (1, 2, (4, 4)), (0, 2, (3, 3))],
)
def test_plot_conv_windows_sizes_the_output_by_the_formula(padding, stride, out_shape):
    """The left grid is the padded input, the right one floor((8 + 2p - 3) / s) + 1 per side."""
    fig = plot_conv_windows(SEED_IMAGE, 3, stride=stride, padding=padding, positions=[(0, 0)])
    ax_in, ax_out = fig.axes
    side = 8 + 2 * padding
    assert ax_in.get_images()[0].get_array().shape == (side, side)
    assert ax_out.get_images()[0].get_array().shape == out_shape
    assert ax_out.get_title() == f"output {out_shape[0]}x{out_shape[1]}"


def test_plot_conv_windows_outlines_each_window_where_the_stride_puts_it():
    """Output (r, c) is drawn as a k x k box at row r*s, column c*s of the padded input."""
    fig = plot_conv_windows(SEED_IMAGE, 3, stride=2, padding=1, positions=[(0, 0), (1, 2)])
    ax_in, ax_out = fig.axes
    boxes = [p for p in ax_in.patches if isinstance(p, Rectangle)]
    assert [(b.get_x(), b.get_y(), b.get_width()) for b in boxes] == [
        (-0.5, -0.5, 3),
        (3.5, 1.5, 3),
    ]
    cells = [p for p in ax_out.patches if isinstance(p, Rectangle)]
    assert [(c.get_x(), c.get_y()) for c in cells] == [(-0.5, -0.5), (1.5, 0.5)]
    # The same colour marks a window and the output value it produces.
    assert [mcolors.to_hex(b.get_edgecolor()) for b in boxes] == [
        mcolors.to_hex(c.get_facecolor()) for c in cells
    ]


def test_plot_conv_windows_greys_out_the_padding_and_writes_the_output():
    """Padding cells are shaded; given output values are written in the output cells."""
    output = np.arange(16.0).reshape(4, 4)
    fig = plot_conv_windows(SEED_IMAGE, 3, stride=2, padding=1, output=output)
    background = fig.axes[0].get_images()[0].get_array()
    assert background[0, 0] < 1.0 and background[1, 1] == 1.0  # padding vs. image
    texts = {t.get_text() for t in fig.axes[1].texts}
    assert {"0", "15"} <= texts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": np.zeros((2, 8, 8))}, "2-D"),
        ({"kernel_size": 9}, "does not fit"),
        ({"positions": [(6, 0)]}, "outside"),
        ({"output": np.zeros((5, 5))}, "expected (6, 6)"),
    ],
)
def test_plot_conv_windows_explains_bad_arguments(kwargs, message):
    """Wrong shapes or positions raise a ValueError that says what is wrong."""
    args = {"image": SEED_IMAGE, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_conv_windows(args.pop("image"), args.pop("kernel_size"), **args)


def test_plot_feature_maps_takes_a_dict_of_layers_capped_at_max_channels():
    """A dict of maps: rows in order, at most max_channels images each, labelled with shapes."""
    maps = {
        "conv1": torch.rand(1, 6, 28, 28),
        "pool1": np.random.default_rng(0).random((6, 14, 14)),
        "conv2": np.random.default_rng(1).random((16, 10, 10)),
        "fc": np.arange(3.0),
    }
    fig = plot_feature_maps(maps, max_channels=4, scale="panel")
    assert len(fig.axes) == 4 + 4 + 4 + 3  # the 3-unit row leaves its fourth place empty
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["conv1\n6x28x28", "pool1\n6x14x14", "conv2\n16x10x10", "fc\n3x1x1"]
    np.testing.assert_allclose(fig.axes[4].get_images()[0].get_array(), maps["pool1"][0])
    with_bars = plot_feature_maps(maps, max_channels=4)
    assert len(with_bars.axes) == 15 + 4  # scale="row": one colour bar per row


@pytest.mark.parametrize(
    ("maps", "match"),
    [
        ({"conv": np.zeros((2, 3, 4, 4))}, r"maps\['conv'\] of shape \(2, 3, 4, 4\)"),
        ({}, "empty dict"),
    ],
)
def test_plot_feature_maps_explains_a_bad_dict(maps, match):
    """A layer with a batch of several maps, or no layer at all, is refused by name."""
    with pytest.raises(ValueError, match=match):
        plot_feature_maps(maps)
    with pytest.raises(ValueError, match="leave out row_labels"):
        plot_feature_maps({"a": np.zeros((2, 3, 3))}, row_labels=["a"])


def test_notebook_02_figures_leave_pyplot_alone():
    """Like the other helpers, they return detached figures: pyplot has none open after."""
    plt.close("all")
    plot_conv_windows(SEED_IMAGE, 3)
    plot_feature_maps(np.zeros((2, 4, 4)))
    assert plt.get_fignums() == []


# --- notebook 03: attention networks ---


def _image_axes(fig: Figure) -> list:
    """The axes that show an image (colour bars excluded)."""
    return [ax for ax in fig.axes if ax.get_images() and ax.get_label() != "<colorbar>"]


@pytest.mark.parametrize("as_tensor", [False, True])
def test_plot_feature_maps_draws_one_panel_per_channel_and_row(as_tensor):
    """(R, C, H, W) maps give R x C panels, the labels in place and a colour bar per row."""
    maps = np.random.default_rng(0).normal(size=(3, 4, 7, 7)).astype(np.float32)
    fig = plot_feature_maps(
        torch.from_numpy(maps) if as_tensor else maps,
        row_labels=["trunk", "mask", "output"],
        col_labels=[f"ch {c}" for c in range(4)],
    )
    panels = _image_axes(fig)
    assert isinstance(fig, Figure) and len(panels) == 12
    assert len(fig.axes) == 12 + 3  # one colour bar per row
    assert [ax.get_ylabel() for ax in panels[::4]] == ["trunk", "mask", "output"]
    assert [ax.get_title() for ax in panels[:4]] == ["ch 0", "ch 1", "ch 2", "ch 3"]
    np.testing.assert_array_equal(panels[5].get_images()[0].get_array(), maps[1, 1])


def test_plot_feature_maps_shares_the_colour_scale_within_a_row():
    """scale="row" gives every panel of a row that row's min and max; "panel" each its own."""
    maps = np.stack([np.full((2, 3, 3), 1.0), np.full((2, 3, 3), 5.0)])
    maps[0, 1, 0, 0], maps[1, 0, 2, 2] = 3.0, -1.0
    row = _image_axes(plot_feature_maps(maps))
    assert [ax.get_images()[0].get_clim() for ax in row] == [(1.0, 3.0)] * 2 + [(-1.0, 5.0)] * 2
    panel = _image_axes(plot_feature_maps(maps, scale="panel"))
    assert panel[0].get_images()[0].get_clim() == (0.5, 1.5)  # a constant map: a range around it
    assert panel[1].get_images()[0].get_clim() == (1.0, 3.0)
    fixed = _image_axes(plot_feature_maps(maps, vmin=0.0, vmax=1.0))
    assert {ax.get_images()[0].get_clim() for ax in fixed} == {(0.0, 1.0)}


def test_plot_feature_maps_takes_a_single_row():
    """(C, H, W) maps are one row of C panels."""
    fig = plot_feature_maps(np.zeros((5, 4, 4)), scale="panel")
    assert len(_image_axes(fig)) == 5 and len(fig.axes) == 5


@pytest.mark.parametrize(
    ("maps", "kwargs", "match"),
    [
        (np.zeros((4, 4)), {}, "expected"),
        (np.zeros((2, 3, 4, 4)), {"row_labels": ["a"]}, "row labels"),
        (np.zeros((2, 3, 4, 4)), {"col_labels": ["a"]}, "column labels"),
        (np.zeros((3, 4, 4)), {"scale": "global"}, "scale"),
    ],
)
def test_plot_feature_maps_rejects_bad_input(maps, kwargs, match):
    """Wrong shapes, label counts or scale names raise a ValueError that says which."""
    with pytest.raises(ValueError, match=match):
        plot_feature_maps(maps, **kwargs)


def test_plot_attention_maps_overlays_every_stage_on_its_image():
    """N rows of 1 + stages panels; masks of any size are averaged over channels and stretched."""
    rng = np.random.default_rng(1)
    images = rng.random((2, 1, 28, 28)).astype(np.float32)
    stage1 = torch.rand(2, 4, 14, 14)
    stage2 = rng.random((2, 7, 7))
    fig = plot_attention_maps(images, [stage1, stage2], stage_names=["14x14", "7x7"])
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    first_mask = fig.axes[1].get_images()[1]  # the image below, the mask above it
    np.testing.assert_allclose(first_mask.get_array(), stage1[0].mean(0).numpy(), rtol=1e-6)
    assert first_mask.get_extent() == [-0.5, 27.5, 27.5, -0.5]  # covers all 28x28 pixels
    assert [fig.axes[i].get_title() for i in (1, 2)] == ["14x14", "7x7"]
    lo, hi = first_mask.get_clim()
    assert lo == pytest.approx(float(stage1[0].mean(0).min()))
    assert hi == pytest.approx(float(stage1[0].mean(0).max()))
    unstretched = plot_attention_maps(images, [stage2], normalize=False)
    assert unstretched.axes[1].get_images()[1].get_clim() == (0.0, 1.0)


def test_plot_attention_maps_titles_wrong_predictions_in_red():
    """With labels and predictions (or logits), a wrong prediction's title is red."""
    images = np.zeros((2, 8, 8))
    logits = np.array([[0.1, 0.9], [0.8, 0.2]])
    fig = plot_attention_maps(images, [np.ones((2, 4, 4))], labels=[1, 1], predictions=logits)
    right, wrong = fig.axes[0].title, fig.axes[2].title
    assert right.get_text() == "1 (1)" and wrong.get_text() == "0 (1)"
    assert mcolors.same_color(right.get_color(), "tab:green")
    assert mcolors.same_color(wrong.get_color(), "tab:red")


@pytest.mark.parametrize(
    ("masks", "kwargs", "match"),
    [
        ([], {}, "at least one set of maps"),
        ([np.ones((3, 4, 4))], {}, "stage 1"),
        ([np.ones((2, 4))], {}, "stage 1"),
        ([np.ones((2, 4, 4))], {"stage_names": ["a", "b"]}, "stage names"),
    ],
)
def test_plot_attention_maps_rejects_bad_input(masks, kwargs, match):
    """No stages, masks for another number of images, or a wrong name count raise ValueError."""
    with pytest.raises(ValueError, match=match):
        plot_attention_maps(np.zeros((2, 8, 8)), masks, **kwargs)
