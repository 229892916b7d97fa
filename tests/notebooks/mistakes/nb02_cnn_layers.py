"""Plausible wrong answers for 02_cnn_layers; each one must lose its test cell's points.

Every mistake is built with :func:`~tests.notebooks.mistakes.mistake`: the reference answer read
out of the solution notebook with the misconception edited in as ``(old, new)`` texts, so no copy
of an answer lives here. The two slips of a loop implementation (conv2d's window start and input
channels) edit the correct loop style of ``tests/notebooks/styles/nb02_cnn_layers.py`` instead.
Some mistakes pass every visible check and are caught only by the hidden records (a LeNet with
tanh, without its last ReLU or with a softmax at the end; dropout keeping ``u >= p``; a wrong quiz
letter; ``build_cnn`` rounding pooled sizes up, which fails only on the hidden odd sizes).
"""

from __future__ import annotations

from tests.notebooks.mistakes import mistake, quiz
from tests.notebooks.styles.nb02_cnn_layers import STYLES

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "02_cnn_layers"


# A loop implementation, as most students write it; two conv2d mistakes change one line of it.
_CONV2D_LOOP = next(style.source for style in STYLES if style.answer_cell == "conv2d")

_LENET_RELUS = (
    "nn.Conv2d(1, 6, kernel_size=5, padding=2)",
    "nn.Conv2d(6, 16, kernel_size=5)",
    "nn.Linear(16 * 5 * 5, 120)",
    "nn.Linear(120, 84)",
)

MISTAKES = [
    # --- conv_output_size --------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "conv_output_size",
        "test_conv_output_size",
        "adds the padding once instead of on both sides",
        ("return (n + 2 * padding - k)", "return (n + padding - k)"),
    ),
    mistake(
        ASSIGNMENT,
        "conv_output_size",
        "test_conv_output_size",
        "true division returns a float",
        ("// stride", "/ stride"),
    ),
    mistake(
        ASSIGNMENT,
        "conv_output_size",
        "test_conv_output_size",
        "rounds up instead of down",
        ("def conv_output_size", "import math\n\n\ndef conv_output_size"),
        (
            "return (n + 2 * padding - k) // stride",
            "return math.ceil((n + 2 * padding - k) / stride)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "conv_output_size",
        "test_conv_output_size",
        "forgets the + 1",
        ("// stride + 1", "// stride"),
    ),
    mistake(
        ASSIGNMENT,
        "conv_output_size",
        "test_conv_output_size",
        "rounds to the nearest integer",
        (
            "return (n + 2 * padding - k) // stride",
            "return int(round((n + 2 * padding - k) / stride))",
        ),
    ),
    # --- conv2d ------------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "flips the kernel (a true convolution)",
        ("windows, w, optimize=True", "windows, w[:, :, ::-1, ::-1], optimize=True"),
    ),
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "never pads",
        ("np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "x"),
    ),
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "pads only at the bottom and right",
        ("(padding, padding), (padding, padding)", "(0, 2 * padding), (0, 2 * padding)"),
    ),
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "windows start at i, not i * stride",
        ("i * stride : i * stride + kh, j * stride : j * stride + kw", "i : i + kh, j : j + kw"),
        base=_CONV2D_LOOP,
    ),
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "uses only the first input channel",
        ("np.sum(window * w[f])", "np.sum(window[0] * w[f, 0])"),
        base=_CONV2D_LOOP,
    ),
    mistake(
        ASSIGNMENT,
        "conv2d",
        "test_conv2d",
        "forgets the bias",
        ("    if b is not None:\n        out = out + b.reshape(1, -1, 1, 1)\n", ""),
    ),
    # --- max_pool2d --------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "max_pool2d",
        "test_max_pool2d",
        "average pooling",
        (".max(axis=(-2, -1))", ".mean(axis=(-2, -1))"),
    ),
    mistake(
        ASSIGNMENT,
        "max_pool2d",
        "test_max_pool2d",
        "stride defaults to 1",
        ("stride = kernel_size if", "stride = 1 if"),
    ),
    mistake(
        ASSIGNMENT,
        "max_pool2d",
        "test_max_pool2d",
        "reshape trick: needs sizes divisible by the kernel and ignores the stride",
        (
            "    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), "
            "axis=(2, 3))\n    return windows[:, :, ::stride, ::stride].max(axis=(-2, -1))\n",
            "    n, c, h, w = x.shape\n    k = kernel_size\n"
            "    return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "max_pool2d",
        "test_max_pool2d",
        "running maximum starts at 0",
        (".max(axis=(-2, -1))", ".max(axis=(-2, -1), initial=0)"),
    ),
    # --- batchnorm2d_forward -----------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "statistics over the batch axis only",
        ("x.mean(axis=(0, 2, 3))", "x.mean(axis=0)"),  # (C, H, W): one mean per position
        ("x.var(axis=(0, 2, 3))", "x.var(axis=0)"),
        # The running statistics stay (C,), averaged over the positions, and the statistics
        # broadcast against x as they are: (C, H, W) in training, (C, 1, 1) in evaluation.
        ("momentum * mean\n", "momentum * mean.mean(axis=(1, 2))\n"),
        ("momentum * var *", "momentum * var.mean(axis=(1, 2)) *"),
        (
            "mean, var = running_mean, running_var",
            "mean, var = running_mean[:, None, None], running_var[:, None, None]",
        ),
        (
            "(x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)",
            "(x - mean) / np.sqrt(var + eps)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "running variance updated with the biased batch variance",
        (" * n / (n - 1)", ""),
    ),
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "batch statistics at test time too",
        (
            "mean, var = running_mean, running_var",
            "mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "updates the running statistics in place",
        (
            "        new_mean = (1 - momentum) * running_mean + momentum * mean\n"
            "        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)\n",
            "        running_mean *= 1 - momentum\n"
            "        running_mean += momentum * mean\n"
            "        running_var *= 1 - momentum\n"
            "        running_var += momentum * var * n / (n - 1)\n"
            "        new_mean, new_var = running_mean, running_var\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "momentum weights the old running value",
        (
            "(1 - momentum) * running_mean + momentum * mean",
            "momentum * running_mean + (1 - momentum) * mean",
        ),
        (
            "(1 - momentum) * running_var + momentum * var",
            "momentum * running_var + (1 - momentum) * var",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "eps added to the standard deviation, outside the square root",
        ("np.sqrt(var.reshape(shape) + eps)", "(np.sqrt(var.reshape(shape)) + eps)"),
    ),
    # --- dropout -----------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "forgets to rescale the kept values",
        ("x / (1 - p)", "x"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "p used as the probability to keep",
        ("keep = rng.random(x.shape) < 1 - p", "keep = rng.random(x.shape) < p"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "drops at test time too",
        ("    if not training:\n        return x.copy()\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "draws from np.random instead of rng",
        ("keep = rng.random(x.shape)", "keep = np.random.rand(*x.shape)"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "old-style dropout: scales by 1 - p at test time",
        ("return x.copy()", "return x * (1 - p)"),
        ("x / (1 - p)", "x"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "returns x itself at test time, not a copy",
        ("return x.copy()", "return x"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "keeps where u > p (another book's convention; the course fixes u < 1 - p)",
        ("keep = rng.random(x.shape) < 1 - p", "keep = rng.random(x.shape) > p"),
    ),
    mistake(
        ASSIGNMENT,
        "dropout",
        "test_dropout",
        "keeps where u >= p, not where u < 1 - p as specified",
        ("keep = rng.random(x.shape) < 1 - p", "keep = rng.random(x.shape) >= p"),
    ),
    # --- build_lenet -------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "build_lenet",
        "test_build_lenet",
        "no padding in the first convolution",
        (", padding=2)", ")"),
    ),
    mistake(
        ASSIGNMENT,
        "build_lenet",
        "test_build_lenet",
        "average pooling, as in the 1998 paper",
        ("nn.MaxPool2d(2),\n        nn.Conv2d", "nn.AvgPool2d(2),\n        nn.Conv2d"),
        ("nn.MaxPool2d(2),\n        nn.Flatten", "nn.AvgPool2d(2),\n        nn.Flatten"),
    ),
    mistake(
        ASSIGNMENT,
        "build_lenet",
        "test_build_lenet",
        "tanh instead of ReLU",
        *[
            (f"{layer},\n        nn.ReLU()", f"{layer},\n        nn.Tanh()")
            for layer in _LENET_RELUS
        ],
    ),
    mistake(
        ASSIGNMENT,
        "build_lenet",
        "test_build_lenet",
        "no ReLU between the last two linear layers",
        ("nn.Linear(120, 84),\n        nn.ReLU(),\n", "nn.Linear(120, 84),\n"),
    ),
    mistake(
        ASSIGNMENT,
        "build_lenet",
        "test_build_lenet",
        "softmax at the end",
        ("nn.Linear(84, 10),\n", "nn.Linear(84, 10),\n        nn.Softmax(dim=1),\n"),
    ),
    # --- build_cnn ---------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "build_cnn",
        "test_build_cnn",
        "padded convolutions keep the size",
        (
            "nn.Conv2d(channels, item, kernel_size=3)",
            "nn.Conv2d(channels, item, kernel_size=3, padding=1)",
        ),
        ("conv_output_size(size, 3)", "size"),
    ),
    mistake(
        ASSIGNMENT,
        "build_cnn",
        "test_build_cnn",
        "average pooling",
        ("append(nn.MaxPool2d(2))", "append(nn.AvgPool2d(2))"),
    ),
    mistake(
        ASSIGNMENT,
        "build_cnn",
        "test_build_cnn",
        "forgets the ReLU",
        (", nn.ReLU()]", "]"),
    ),
    mistake(
        ASSIGNMENT,
        "build_cnn",
        "test_build_cnn",
        "pooled sizes rounded up",
        ("conv_output_size(size, 2, stride=2)", "(size + 1) // 2"),
    ),
    mistake(
        ASSIGNMENT,
        "build_cnn",
        "test_build_cnn",
        "linear input size without the channels",
        ("nn.Linear(channels * size * size", "nn.Linear(size * size"),
    ),
    # --- ResidualBlock -----------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "ResidualBlock",
        "test_residual_block",
        "no shortcut",
        ("return torch.relu(out + x)", "return torch.relu(out)"),
    ),
    mistake(
        ASSIGNMENT,
        "ResidualBlock",
        "test_residual_block",
        "ReLU before the addition",
        ("return torch.relu(out + x)", "return torch.relu(out) + x"),
    ),
    mistake(
        ASSIGNMENT,
        "ResidualBlock",
        "test_residual_block",
        "no final ReLU",
        ("return torch.relu(out + x)", "return out + x"),
    ),
    mistake(
        ASSIGNMENT,
        "ResidualBlock",
        "test_residual_block",
        "convolutions with a bias",
        ("bias=False)\n        self.bn1", "bias=True)\n        self.bn1"),
        ("bias=False)\n        self.bn2", "bias=True)\n        self.bn2"),
    ),
    mistake(
        ASSIGNMENT,
        "ResidualBlock",
        "test_residual_block",
        "no padding: F(x) is smaller than x",
        ("padding=1, bias=False)\n        self.bn1", "padding=0, bias=False)\n        self.bn1"),
        ("padding=1, bias=False)\n        self.bn2", "padding=0, bias=False)\n        self.bn2"),
    ),
    # --- quiz --------------------------------------------------------------------------------
    *quiz(
        [
            mistake(
                ASSIGNMENT,
                "cnn_quiz_answer",
                "test_cnn_quiz_answer",
                f"quiz answer {letter!r}",
                ('cnn_quiz_answer = "b"', f'cnn_quiz_answer = "{letter}"'),
            )
            for letter in ("a", "c", "d")
        ]
    ),
    # --- promises of the docstrings: inputs never modified -----------------------------------
    mistake(
        ASSIGNMENT,
        "batchnorm2d_forward",
        "test_batchnorm2d_forward",
        "centres x in place, changing the caller's array",
        (
            "    x_hat = (x - mean.reshape(shape)) / np.sqrt",
            "    x -= mean.reshape(shape)\n    x_hat = x / np.sqrt",
        ),
    ),
]
