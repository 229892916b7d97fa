"""Correct answers to notebook 03 in other styles; each must keep every point."""

from __future__ import annotations

from tests.notebooks.styles import Style

__all__ = ["ASSIGNMENT", "STYLES"]

ASSIGNMENT = "03_attention_networks"

STYLES = [
    Style(
        "channel_attention",
        """def channel_attention(x, eps=1e-12):
    import warnings

    warnings.warn("a library's FutureWarning, printed to stderr", FutureWarning, stacklevel=1)
    return F.normalize(x, p=2, dim=1, eps=eps)
""",
        "F.normalize, with a library warning on stderr",
    ),
    Style(
        "spatial_attention",
        """def spatial_attention(x, eps=1e-5):
    var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    return torch.sigmoid((x - mean) * torch.rsqrt(var + eps))
""",
        "torch.var_mean and rsqrt",
    ),
    Style(
        "MaskBranch",
        """class MaskBranch(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.out = nn.Conv2d(channels, channels, kernel_size=1)
        self.residual = ResidualUnit(channels)
        self.down = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.up = nn.Upsample(mode="bilinear", align_corners=False)

    def forward(self, x):
        self.up.size = tuple(x.shape[-2:])
        return self.out(self.up(self.residual(self.down(x)))).sigmoid()
""",
        "an nn.Upsample layer, attributes registered in another order",
    ),
]
