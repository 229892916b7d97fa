"""Correct answers to notebook 02 in other styles; each must keep every point."""

from __future__ import annotations

from tests.notebooks.styles import Style

__all__ = ["ASSIGNMENT", "STYLES"]

ASSIGNMENT = "02_cnn_layers"

STYLES = [
    Style(
        "conv_output_size",
        "def conv_output_size(n, k, padding=0, stride=1):\n"
        "    import math\n\n"
        "    return math.floor((n + 2 * padding - k) / stride) + 1\n",
        "math.floor of a true division",
    ),
    Style(
        "conv2d",
        """def conv2d(x, w, b=None, stride=1, padding=0):
    n_images, _, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    out = np.zeros((n_images, n_filters, h_out, w_out))
    for n in range(n_images):
        for f in range(n_filters):
            for i in range(h_out):
                for j in range(w_out):
                    window = x_pad[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    out[n, f, i, j] = np.sum(window * w[f])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out
""",
        "loops over images, filters and output positions (CS231n's conv_forward_naive)",
    ),
    Style(
        "dropout",
        """def dropout(x, p, training, rng):
    if not training:
        return np.array(x, copy=True)
    mask = (rng.uniform(size=x.shape) < 1 - p).astype(x.dtype)
    return x * mask / (1 - p) if p < 1 else x * 0.0
""",
        "a float mask from rng.uniform (CS231n)",
    ),
    Style(
        "ResidualBlock",
        """class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)
""",
        "torchvision's BasicBlock: another registration order, Kaiming init, in-place ReLU",
    ),
    Style(
        "build_cnn",
        """def build_cnn(spec, in_channels=3, input_size=30, num_classes=5):
    layers, channels = [], in_channels
    for item in spec:
        if item == "pool":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, item, 3), nn.ReLU()]
            channels = item
    features = nn.Sequential(*layers)
    with torch.no_grad():
        flat = features(torch.zeros(1, in_channels, input_size, input_size)).numel()
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, num_classes))
""",
        "the flattened size from a dummy forward pass",
    ),
]
