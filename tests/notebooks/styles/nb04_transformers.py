"""Correct answers to notebook 04 in other styles; each must keep every point."""

from __future__ import annotations

from tests.notebooks.styles import Style

__all__ = ["ASSIGNMENT", "STYLES"]

ASSIGNMENT = "04_transformers"

STYLES = [
    Style(
        "scaled_dot_product_attention",
        """def scaled_dot_product_attention(q, k, v, mask=None):
    d = q.size(-1)
    scores = torch.einsum("...qd,...kd->...qk", q, k) / d**0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, -1e9))
    weights = F.softmax(scores, dim=-1)
    weights = torch.where(mask, weights, torch.zeros_like(weights)) if mask is not None else weights
    return torch.einsum("...qk,...kd->...qd", weights, v), weights
""",
        "the Annotated Transformer's -1e9 fill, with einsum",
    ),
    Style(
        "MultiHeadAttention",
        """class MultiHeadAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        assert dim % num_heads == 0
        self.h, self.d_k = num_heads, dim // num_heads
        self.proj = nn.Linear(dim, dim)
        self.qkv = nn.Linear(dim, dim * 3)
        nn.init.xavier_uniform_(self.qkv.weight)

    def forward(self, x, mask=None, return_attention=False):
        B, N, C = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(B, N, self.h, self.d_k).transpose(1, 2) for t in (q, k, v))
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        out = self.proj(out.transpose(1, 2).contiguous().view(B, N, C))
        if return_attention:
            return out, weights
        return out
""",
        "chunk and view (timm-style), Xavier init, registered proj first",
    ),
    Style(
        "TransformerBlock",
        """class TransformerBlock(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = MultiHeadAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, dim), nn.Dropout(0.0)
        )
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x
""",
        "timm's Block: eps 1e-6, dropout layers at 0, Xavier MLP",
    ),
    Style(
        "VisionTransformer",
        """class VisionTransformer(nn.Module):
    def __init__(self, img_size=28, patch_size=7, in_chans=1, num_classes=10, dim=64, depth=4,
                 num_heads=4, mlp_ratio=2.0):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, dim)
        self.pos_embed = nn.Parameter(torch.randn(1, self.patch_embed.num_patches + 1, dim) * 0.02)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.blocks = nn.Sequential(*(TransformerBlock(dim, num_heads, mlp_ratio) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        nn.init.zeros_(self.head.weight)

    def forward(self, x):
        tokens = self.patch_embed(x)
        cls = self.cls_token.repeat(tokens.shape[0], 1, 1)
        tokens = torch.cat((cls, tokens), dim=1)
        tokens = tokens + self.pos_embed
        return self.head(self.norm(self.blocks(tokens))[:, 0])
""",
        "random class token, zero head, pos_embed registered first, norm before slicing",
    ),
]
