"""Plausible student mistakes in notebook 04 (transformers); each must lose its test cell's points.

Every mistake is the reference answer with one misconception edited in (see ``variant``), so
each entry differs from a correct answer by exactly the error it names.
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake, variant

ASSIGNMENT = "04_transformers"


# --- reference answers (the solution notebook's answer cells, docstrings left out) -----------

SDPA = """\
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
"""

MHA = """\
class MultiHeadAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None, return_attention=False):
        B, N, dim = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        out = out.transpose(1, 2).reshape(B, N, dim)
        out = self.proj(out)
        return (out, weights) if return_attention else out
"""

LAYER_NORM = """\
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta
"""

SINUSOIDAL = """\
def sinusoidal_positional_encoding(num_positions, dim):
    position = torch.arange(num_positions, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)
    angle = position / 10000 ** (two_i / dim)
    pe = torch.zeros(num_positions, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : dim // 2])
    return pe.float()
"""

BLOCK = """\
class TransformerBlock(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))
"""

PATCH_EMBED = """\
class PatchEmbed(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, dim):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        x = self.proj(x)
        return x.flatten(2).transpose(1, 2)
"""

VIT = """\
class VisionTransformer(nn.Module):
    def __init__(self, img_size=28, patch_size=7, in_chans=1, num_classes=10, dim=64, depth=4,
                 num_heads=4, mlp_ratio=2.0):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, dim)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, num_patches + 1, dim))
        self.blocks = nn.Sequential(*[TransformerBlock(dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(len(x), -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        x = self.blocks(x)
        return self.head(self.norm(x[:, 0]))
"""


def _mistakes(answer_cell: str, cases: list[tuple[str, str]]) -> list[Mistake]:
    return [
        Mistake(answer_cell=answer_cell, test_cell=f"test_{answer_cell}", source=source, why=why)
        for why, source in cases
    ]


MISTAKES = [
    *_mistakes(
        "scaled_dot_product_attention",
        [
            (
                "no 1/sqrt(d) scale",
                variant(SDPA, (" / math.sqrt(q.shape[-1])", "")),
            ),
            (
                "scale by d instead of sqrt(d)",
                variant(SDPA, ("math.sqrt(q.shape[-1])", "q.shape[-1]")),
            ),
            (
                "scale by sqrt of the value size dv",
                variant(SDPA, ("math.sqrt(q.shape[-1])", "math.sqrt(v.shape[-1])")),
            ),
            (
                "softmax over the queries",
                variant(SDPA, ("torch.softmax(scores, dim=-1)", "torch.softmax(scores, dim=-2)")),
            ),
            (
                "mask convention flipped (True = hide)",
                variant(SDPA, ("masked_fill(~mask,", "masked_fill(mask,")),
            ),
            (
                "mask applied after the softmax without renormalising",
                variant(
                    SDPA,
                    (
                        '        scores = scores.masked_fill(~mask, float("-inf"))\n',
                        "        pass\n",
                    ),
                    (
                        "    return weights @ v, weights\n",
                        "    if mask is not None:\n"
                        "        weights = weights * mask\n"
                        "    return weights @ v, weights\n",
                    ),
                ),
            ),
            (
                "softmax without subtracting the maximum",
                variant(
                    SDPA,
                    (
                        "torch.softmax(scores, dim=-1)",
                        "scores.exp() / scores.exp().sum(dim=-1, keepdim=True)",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "MultiHeadAttention",
        [
            (
                "heads interleaved feature by feature",
                variant(
                    MHA,
                    (
                        "reshape(B, N, 3, self.num_heads, self.head_dim)",
                        "reshape(B, N, 3, self.head_dim, self.num_heads)",
                    ),
                    ("qkv.permute(2, 0, 3, 1, 4)", "qkv.permute(2, 0, 4, 1, 3)"),
                ),
            ),
            (
                "q, k, v interleaved per head",
                variant(
                    MHA,
                    (
                        "reshape(B, N, 3, self.num_heads, self.head_dim)",
                        "reshape(B, N, self.num_heads, 3, self.head_dim)",
                    ),
                    ("qkv.permute(2, 0, 3, 1, 4)", "qkv.permute(3, 0, 2, 1, 4)"),
                ),
            ),
            (
                "heads merged by reshape without transpose",
                variant(MHA, ("out.transpose(1, 2).reshape(B, N, dim)", "out.reshape(B, N, dim)")),
            ),
            (
                "no output projection",
                variant(MHA, ("        out = self.proj(out)\n", "")),
            ),
            (
                "scale by sqrt(dim) instead of sqrt(head_dim)",
                variant(
                    MHA,
                    (
                        "scaled_dot_product_attention(q, k, v, mask)",
                        "scaled_dot_product_attention(q * math.sqrt(self.head_dim / dim), k, v, mask)",
                    ),
                ),
            ),
            (
                "nn.MultiheadAttention's mask convention (True = hide)",
                variant(
                    MHA,
                    (
                        "scaled_dot_product_attention(q, k, v, mask)",
                        "scaled_dot_product_attention(q, k, v, None if mask is None else ~mask)",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "layer_norm",
        [
            (
                "unbiased variance (divide by D - 1)",
                variant(
                    LAYER_NORM,
                    (
                        "((x - mean) ** 2).mean(dim=-1, keepdim=True)",
                        "x.var(dim=-1, keepdim=True)",
                    ),
                ),
            ),
            (
                "normalised over the batch axis",
                variant(
                    LAYER_NORM,
                    ("x.mean(dim=-1, keepdim=True)", "x.mean(dim=0, keepdim=True)"),
                    (
                        "mean(dim=-1, keepdim=True)\n    return",
                        "mean(dim=0, keepdim=True)\n    return",
                    ),
                ),
            ),
            (
                "eps added to the standard deviation",
                variant(LAYER_NORM, ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)")),
            ),
            (
                "eps left out",
                variant(LAYER_NORM, ("torch.sqrt(var + eps)", "torch.sqrt(var)")),
            ),
            (
                "gamma and beta swapped",
                variant(LAYER_NORM, ("* gamma + beta", "* beta + gamma")),
            ),
        ],
    ),
    *_mistakes(
        "sinusoidal_positional_encoding",
        [
            (
                "exponent j / dim with the column index j",
                variant(
                    SINUSOIDAL,
                    ("    pe[:, 0::2] = torch.sin(angle)\n", ""),
                    ("    pe[:, 1::2] = torch.cos(angle[:, : dim // 2])\n", ""),
                    (
                        "    pe = torch.zeros(num_positions, dim, dtype=torch.float64)\n",
                        "    j = torch.arange(dim, dtype=torch.float64)\n"
                        "    column_angle = position / 10000 ** (j / dim)\n"
                        "    pe = torch.where(j % 2 == 0, torch.sin(column_angle), torch.cos(column_angle))\n",
                    ),
                ),
            ),
            (
                "sin and cos swapped",
                variant(
                    SINUSOIDAL,
                    ("pe[:, 0::2] = torch.sin(angle)", "pe[:, 0::2] = torch.cos(angle)"),
                    (
                        "pe[:, 1::2] = torch.cos(angle[:, : dim // 2])",
                        "pe[:, 1::2] = torch.sin(angle[:, : dim // 2])",
                    ),
                ),
            ),
            (
                "sines and cosines in two halves, not interleaved",
                variant(
                    SINUSOIDAL,
                    (
                        "pe[:, 0::2] = torch.sin(angle)",
                        "pe[:, : (dim + 1) // 2] = torch.sin(angle)",
                    ),
                    (
                        "pe[:, 1::2] = torch.cos(angle[:, : dim // 2])",
                        "pe[:, (dim + 1) // 2 :] = torch.cos(angle[:, : dim // 2])",
                    ),
                ),
            ),
            (
                "frequencies multiplied instead of divided",
                variant(SINUSOIDAL, ("position / 10000 **", "position * 10000 **")),
            ),
        ],
    ),
    *_mistakes(
        "TransformerBlock",
        [
            (
                "post-norm instead of pre-norm",
                variant(
                    BLOCK,
                    ("x = x + self.attn(self.norm1(x))", "x = self.norm1(x + self.attn(x))"),
                    ("return x + self.mlp(self.norm2(x))", "return self.norm2(x + self.mlp(x))"),
                ),
            ),
            (
                "no residual connection around the MLP",
                variant(
                    BLOCK, ("return x + self.mlp(self.norm2(x))", "return self.mlp(self.norm2(x))")
                ),
            ),
            (
                "ReLU instead of GELU",
                variant(BLOCK, ("nn.GELU()", "nn.ReLU()")),
            ),
            (
                "norm1 used before both branches",
                variant(BLOCK, ("self.mlp(self.norm2(x))", "self.mlp(self.norm1(x))")),
            ),
            (
                "mlp_ratio ignored (always 4 * dim)",
                variant(BLOCK, ("hidden = int(dim * mlp_ratio)", "hidden = 4 * dim")),
            ),
        ],
    ),
    *_mistakes(
        "PatchEmbed",
        [
            (
                "patches in column-major order",
                variant(PATCH_EMBED, ("x.flatten(2)", "x.transpose(2, 3).flatten(2)")),
            ),
            (
                "reshape instead of transpose to put dim last",
                variant(
                    PATCH_EMBED,
                    (
                        "x.flatten(2).transpose(1, 2)",
                        "x.flatten(2).reshape(len(x), -1, x.shape[1])",
                    ),
                ),
            ),
            (
                "num_patches not squared",
                variant(PATCH_EMBED, ("(img_size // patch_size) ** 2", "img_size // patch_size")),
            ),
            (
                "overlapping patches (stride 1)",
                variant(PATCH_EMBED, (", stride=patch_size)", ")")),
            ),
        ],
    ),
    *_mistakes(
        "VisionTransformer",
        [
            (
                "average of all tokens instead of the class token",
                variant(VIT, ("self.norm(x[:, 0])", "self.norm(x.mean(dim=1))")),
            ),
            (
                "no final layer norm",
                variant(VIT, ("self.head(self.norm(x[:, 0]))", "self.head(x[:, 0])")),
            ),
            (
                "no position embedding for the class token",
                variant(
                    VIT,
                    (
                        "x = torch.cat([cls, x], dim=1) + self.pos_embed",
                        "x = torch.cat([cls, x + self.pos_embed[:, 1:]], dim=1)",
                    ),
                ),
            ),
            (
                "class token appended last",
                variant(
                    VIT,
                    ("torch.cat([cls, x], dim=1)", "torch.cat([x, cls], dim=1)"),
                    ("self.norm(x[:, 0])", "self.norm(x[:, -1])"),
                ),
            ),
            (
                "position embeddings never added",
                variant(VIT, (" + self.pos_embed\n", "\n")),
            ),
            (
                "blocks kept in a plain Python list",
                variant(
                    VIT,
                    ("nn.Sequential(*[", "["),
                    ("for _ in range(depth)])", "for _ in range(depth)]"),
                    (
                        "        x = self.blocks(x)\n",
                        "        for block in self.blocks:\n            x = block(x)\n",
                    ),
                ),
            ),
        ],
    ),
    # Promises of the docstrings: inputs never modified, every mask shape, learned positions.
    *_mistakes(
        "scaled_dot_product_attention",
        [
            (
                "scales the queries in place, changing the caller's q",
                variant(
                    SDPA,
                    (
                        "    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n",
                        "    q /= math.sqrt(q.shape[-1])\n    scores = q @ k.transpose(-2, -1)\n",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "MultiHeadAttention",
        [
            (
                "adds two axes to every mask: only (N, N) masks work, not padding masks",
                variant(
                    MHA,
                    (
                        "scaled_dot_product_attention(q, k, v, mask)",
                        "scaled_dot_product_attention(\n"
                        "            q, k, v, None if mask is None else mask[None, None]\n"
                        "        )",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "layer_norm",
        [
            (
                "centres x in place, changing the caller's tensor",
                variant(
                    LAYER_NORM,
                    (
                        "    mean = x.mean(dim=-1, keepdim=True)\n",
                        "    x -= x.mean(dim=-1, keepdim=True)\n    mean = 0.0\n",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "VisionTransformer",
        [
            (
                "position embeddings in a buffer: fixed, not learned",
                variant(
                    VIT,
                    (
                        "self.pos_embed = nn.Parameter(0.02 * torch.randn(1, num_patches + 1, dim))",
                        'self.register_buffer("pos_embed", 0.02 * torch.randn(1, num_patches + 1, dim))',
                    ),
                ),
            ),
        ],
    ),
    *[
        Mistake(
            answer_cell="transformer_quiz_answer",
            test_cell="test_transformer_quiz_answer",
            source=f'transformer_quiz_answer = "{letter}"\n',
            why=why,
            hidden_only=letter != "C",  # an upper-case letter fails the visible format check
        )
        for letter, why in (
            ("a", "thinks attention is local"),
            ("b", "thinks attention memory is linear"),
            ("d", "thinks transformers need less data"),
            ("C", "right letter, upper case"),
        )
    ],
]
