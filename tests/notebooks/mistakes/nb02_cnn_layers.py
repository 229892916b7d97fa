"""Plausible wrong answers for 02_cnn_layers; each one must lose its test cell's points.

Every ``source`` replaces the whole answer cell, the ``def`` (or ``class``) line included, as a
student's submission would. The reference answers live only in the solution notebook. Some
mistakes pass every visible check and are caught only by the hidden records (a LeNet with tanh,
without its last ReLU or with a softmax at the end; dropout keeping ``u >= p``; a wrong quiz
letter; ``build_cnn`` rounding pooled sizes up, which fails only on the hidden odd sizes).
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake, quiz, variant

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "02_cnn_layers"


def _mistakes(answer_cell: str, test_cell: str, cases: list[tuple[str, str]]) -> list[Mistake]:
    return [
        Mistake(answer_cell=answer_cell, test_cell=test_cell, why=why, source=source)
        for why, source in cases
    ]


_CONV_OUTPUT_SIZE = _mistakes(
    "conv_output_size",
    "test_conv_output_size",
    [
        (
            "adds the padding once instead of on both sides",
            """def conv_output_size(n, k, padding=0, stride=1):
    return (n + padding - k) // stride + 1
""",
        ),
        (
            "true division returns a float",
            """def conv_output_size(n, k, padding=0, stride=1):
    return (n + 2 * padding - k) / stride + 1
""",
        ),
        (
            "rounds up instead of down",
            """import math


def conv_output_size(n, k, padding=0, stride=1):
    return math.ceil((n + 2 * padding - k) / stride) + 1
""",
        ),
        (
            "forgets the + 1",
            """def conv_output_size(n, k, padding=0, stride=1):
    return (n + 2 * padding - k) // stride
""",
        ),
        (
            "rounds to the nearest integer",
            """def conv_output_size(n, k, padding=0, stride=1):
    return int(round((n + 2 * padding - k) / stride)) + 1
""",
        ),
    ],
)

# A loop implementation, as most students write it; each mistake changes one line of it.
_CONV2D_LOOP = """def conv2d(x, w, b=None, stride=1, padding=0):
    n_images, channels, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    x_pad = {pad}
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    out = np.zeros((n_images, n_filters, h_out, w_out))
    kernels = {kernels}
    for n in range(n_images):
        for f in range(n_filters):
            for i in range(h_out):
                for j in range(w_out):
                    window = x_pad[n, :, {rows}, {cols}]
                    out[n, f, i, j] = {dot}
    if {use_bias}:
        out += b.reshape(1, -1, 1, 1)
    return out
"""
_CONV2D_RIGHT = {
    "pad": "np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))",
    "kernels": "w",
    "rows": "i * stride : i * stride + kh",
    "cols": "j * stride : j * stride + kw",
    "dot": "np.sum(window * kernels[f])",
    "use_bias": "b is not None",
}


def _conv2d(**changes: str) -> str:
    return _CONV2D_LOOP.format(**{**_CONV2D_RIGHT, **changes})


_CONV2D = _mistakes(
    "conv2d",
    "test_conv2d",
    [
        ("flips the kernel (a true convolution)", _conv2d(kernels="w[:, :, ::-1, ::-1]")),
        ("never pads", _conv2d(pad="x")),
        (
            "pads only at the bottom and right",
            _conv2d(pad="np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))"),
        ),
        ("windows start at i, not i * stride", _conv2d(rows="i : i + kh", cols="j : j + kw")),
        ("uses only the first input channel", _conv2d(dot="np.sum(window[0] * kernels[f, 0])")),
        ("forgets the bias", _conv2d(use_bias="False")),
    ],
)

_MAX_POOL2D = _mistakes(
    "max_pool2d",
    "test_max_pool2d",
    [
        (
            "average pooling",
            """def max_pool2d(x, kernel_size=2, stride=None):
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    h_out, w_out = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1
    out = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size]
            out[:, :, i, j] = window.mean(axis=(2, 3))
    return out
""",
        ),
        (
            "stride defaults to 1",
            """def max_pool2d(x, kernel_size=2, stride=None):
    stride = 1 if stride is None else stride
    n, c, h, w = x.shape
    h_out, w_out = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1
    out = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out
""",
        ),
        (
            "reshape trick: needs sizes divisible by the kernel and ignores the stride",
            """def max_pool2d(x, kernel_size=2, stride=None):
    n, c, h, w = x.shape
    k = kernel_size
    return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))
""",
        ),
        (
            "running maximum starts at 0",
            """def max_pool2d(x, kernel_size=2, stride=None):
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    h_out, w_out = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1
    out = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            for a in range(kernel_size):
                for d in range(kernel_size):
                    value = x[:, :, i * stride + a, j * stride + d]
                    out[:, :, i, j] = np.maximum(out[:, :, i, j], value)
    return out
""",
        ),
    ],
)

_BATCHNORM = _mistakes(
    "batchnorm2d_forward",
    "test_batchnorm2d_forward",
    [
        (
            "statistics over the batch axis only",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
        n = x.shape[0]
        new_mean = (1 - momentum) * running_mean + momentum * mean.mean(axis=(0, 2, 3))
        new_var = (1 - momentum) * running_var + momentum * var.mean(axis=(0, 2, 3)) * n / (n - 1)
    else:
        mean, var = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
        (
            "running variance updated with the biased batch variance",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
        (
            "batch statistics at test time too",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    n = x.size // x.shape[1]
    if training:
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
        (
            "updates the running statistics in place",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        n = x.size // x.shape[1]
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), running_mean, running_var
""",
        ),
        (
            "momentum weights the old running value",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        n = x.size // x.shape[1]
        new_mean = momentum * running_mean + (1 - momentum) * mean
        new_var = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
        (
            "eps added to the standard deviation, outside the square root",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        n = x.size // x.shape[1]
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / (np.sqrt(var.reshape(1, -1, 1, 1)) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
    ],
)

_DROPOUT_REFERENCE = """def dropout(x, p, training, rng):
    if not training:
        return x.copy()
    keep = rng.random(x.shape) < 1 - p
    if p == 1:
        return np.zeros_like(x)
    return np.where(keep, x / (1 - p), 0.0)
"""
_DROPOUT = _mistakes(
    "dropout",
    "test_dropout",
    [
        (
            "forgets to rescale the kept values",
            """def dropout(x, p, training, rng):
    if not training:
        return x.copy()
    return x * (rng.random(x.shape) < 1 - p)
""",
        ),
        (
            "p used as the probability to keep",
            """def dropout(x, p, training, rng):
    if not training:
        return x.copy()
    keep = rng.random(x.shape) < p
    return np.where(keep, x / max(1 - p, 1e-12), 0.0)
""",
        ),
        (
            "drops at test time too",
            variant(_DROPOUT_REFERENCE, ("    if not training:\n        return x.copy()\n", "")),
        ),
        (
            "draws from np.random instead of rng",
            variant(_DROPOUT_REFERENCE, ("rng.random(x.shape)", "np.random.rand(*x.shape)")),
        ),
        (
            "old-style dropout: scales by 1 - p at test time",
            """def dropout(x, p, training, rng):
    if not training:
        return x * (1 - p)
    return x * (rng.random(x.shape) < 1 - p)
""",
        ),
        (
            "returns x itself at test time, not a copy",
            variant(_DROPOUT_REFERENCE, ("return x.copy()", "return x")),
        ),
        (
            "keeps where u > p (another book's convention; the course fixes u < 1 - p)",
            variant(_DROPOUT_REFERENCE, ("< 1 - p", "> p")),
        ),
        (
            "keeps where u >= p, not where u < 1 - p as specified",
            variant(_DROPOUT_REFERENCE, ("< 1 - p", ">= p")),
        ),
    ],
)

_LENET_LAYERS = """    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding={padding}),
        {act}(),
        {pool}(2),
        nn.Conv2d(6, 16, kernel_size=5),
        {act}(),
        {pool}(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        {act}(),
        nn.Linear(120, 84),{second_act}
        nn.Linear(84, 10),{head}
    )
"""
_LENET_RIGHT = {
    "padding": "2",
    "act": "nn.ReLU",
    "pool": "nn.MaxPool2d",
    "second_act": "\n        nn.ReLU(),",
    "head": "",
}


def _lenet(**changes: str) -> str:
    return "def build_lenet():\n" + _LENET_LAYERS.format(**{**_LENET_RIGHT, **changes})


_BUILD_LENET = _mistakes(
    "build_lenet",
    "test_build_lenet",
    [
        ("no padding in the first convolution", _lenet(padding="0")),
        ("average pooling, as in the 1998 paper", _lenet(pool="nn.AvgPool2d")),
        ("tanh instead of ReLU", _lenet(act="nn.Tanh")),
        ("no ReLU between the last two linear layers", _lenet(second_act="")),
        ("softmax at the end", _lenet(head="\n        nn.Softmax(dim=1),")),
    ],
)

_BUILD_CNN_BODY = """def build_cnn(spec, in_channels=3, input_size=30, num_classes=5):
    layers = []
    channels, size = in_channels, input_size
    for item in spec:
        if item == "pool":
            layers.append({pool})
            size = {pooled_size}
        else:
            layers += [nn.Conv2d(channels, item, kernel_size=3{conv_padding}){relu}]
            channels, size = item, size - {shrink}
    layers += [nn.Flatten(), nn.Linear({features}, num_classes)]
    return nn.Sequential(*layers)
"""
_BUILD_CNN_RIGHT = {
    "pool": "nn.MaxPool2d(2)",
    "pooled_size": "size // 2",
    "conv_padding": "",
    "relu": ", nn.ReLU()",
    "shrink": "2",
    "features": "channels * size * size",
}


def _build_cnn(**changes: str) -> str:
    return _BUILD_CNN_BODY.format(**{**_BUILD_CNN_RIGHT, **changes})


_BUILD_CNN = _mistakes(
    "build_cnn",
    "test_build_cnn",
    [
        ("padded convolutions keep the size", _build_cnn(conv_padding=", padding=1", shrink="0")),
        ("average pooling", _build_cnn(pool="nn.AvgPool2d(2)")),
        ("forgets the ReLU", _build_cnn(relu="")),
        ("pooled sizes rounded up", _build_cnn(pooled_size="(size + 1) // 2")),
        ("linear input size without the channels", _build_cnn(features="size * size")),
    ],
)

_RESIDUAL_INIT = """class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding={padding}, bias={bias})
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding={padding}, bias={bias})
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return {result}
"""
_RESIDUAL_RIGHT = {"padding": "1", "bias": "False", "result": "torch.relu(out + x)"}


def _residual(**changes: str) -> str:
    return _RESIDUAL_INIT.format(**{**_RESIDUAL_RIGHT, **changes})


_RESIDUAL_BLOCK = _mistakes(
    "ResidualBlock",
    "test_residual_block",
    [
        ("no shortcut", _residual(result="torch.relu(out)")),
        ("ReLU before the addition", _residual(result="torch.relu(out) + x")),
        ("no final ReLU", _residual(result="out + x")),
        ("convolutions with a bias", _residual(bias="True")),
        ("no padding: F(x) is smaller than x", _residual(padding="0")),
    ],
)

_QUIZ = quiz(
    _mistakes(
        "cnn_quiz_answer",
        "test_cnn_quiz_answer",
        [
            (f"quiz answer {letter!r}", f'cnn_quiz_answer = "{letter}"\n')
            for letter in ("a", "c", "d")
        ],
    )
)

# Promises of the docstrings (inputs never modified, eval mode, any shape), each with a check.
_PROMISES = _mistakes(
    "batchnorm2d_forward",
    "test_batchnorm2d_forward",
    [
        (
            "centres x in place, changing the caller's array",
            """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        n = x.size // x.shape[1]
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x -= mean.reshape(1, -1, 1, 1)
    x_hat = x / np.sqrt(var.reshape(1, -1, 1, 1) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1), new_mean, new_var
""",
        ),
    ],
)

MISTAKES = [
    *_CONV_OUTPUT_SIZE,
    *_CONV2D,
    *_MAX_POOL2D,
    *_BATCHNORM,
    *_DROPOUT,
    *_BUILD_LENET,
    *_BUILD_CNN,
    *_RESIDUAL_BLOCK,
    *_QUIZ,
    *_PROMISES,
]
