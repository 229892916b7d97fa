"""Plausible student mistakes in notebook 04 (transformers); each must lose its test cell's points.

Each is ``mistake(ASSIGNMENT, answer_cell, test_cell, why, *edits)``: the solution notebook's
reference answer (docstring and comments kept) with the ``(old, new)`` edits of one
misconception, so no hand copy of an answer can drift from it. The last ones break promises the
docstrings make (inputs left unmodified, every mask shape, learned positions); the quiz's wrong
letters go through ``quiz``.
"""

from __future__ import annotations

from tests.notebooks.mistakes import mistake, quiz

ASSIGNMENT = "04_transformers"

MISTAKES = [
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "no 1/sqrt(d) scale",
        (" / math.sqrt(q.shape[-1])", ""),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "scale by d instead of sqrt(d)",
        ("math.sqrt(q.shape[-1])", "q.shape[-1]"),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "scale by sqrt of the value size dv",
        ("math.sqrt(q.shape[-1])", "math.sqrt(v.shape[-1])"),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "softmax over the queries",
        ("torch.softmax(scores, dim=-1)  # over the keys", "torch.softmax(scores, dim=-2)"),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "mask convention flipped (True = hide)",
        ("masked_fill(~mask,", "masked_fill(mask,"),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "mask applied after the softmax without renormalising",
        ('scores = scores.masked_fill(~mask, float("-inf"))', "pass"),
        (
            "    return weights @ v, weights\n",
            "    if mask is not None:\n"
            "        weights = weights * mask\n"
            "    return weights @ v, weights\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "softmax without subtracting the maximum",
        ("torch.softmax(scores, dim=-1)", "scores.exp() / scores.exp().sum(dim=-1, keepdim=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "heads interleaved feature by feature",
        (
            "reshape(B, N, 3, self.num_heads, self.head_dim)",
            "reshape(B, N, 3, self.head_dim, self.num_heads)",
        ),
        ("qkv.permute(2, 0, 3, 1, 4)", "qkv.permute(2, 0, 4, 1, 3)"),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "q, k, v interleaved per head",
        (
            "reshape(B, N, 3, self.num_heads, self.head_dim)",
            "reshape(B, N, self.num_heads, 3, self.head_dim)",
        ),
        ("qkv.permute(2, 0, 3, 1, 4)", "qkv.permute(3, 0, 2, 1, 4)"),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "heads merged by reshape without transpose",
        ("out.transpose(1, 2).reshape(B, N, dim)", "out.reshape(B, N, dim)"),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "no output projection",
        ("        out = self.proj(out)\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "scale by sqrt(dim) instead of sqrt(head_dim)",
        (
            "scaled_dot_product_attention(q, k, v, mask)",
            "scaled_dot_product_attention(q * math.sqrt(self.head_dim / dim), k, v, mask)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "nn.MultiheadAttention's mask convention (True = hide)",
        (
            "scaled_dot_product_attention(q, k, v, mask)",
            "scaled_dot_product_attention(q, k, v, None if mask is None else ~mask)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "unbiased variance (divide by D - 1)",
        (
            "((x - mean) ** 2).mean(dim=-1, keepdim=True)  # population variance, as F.layer_norm",
            "x.var(dim=-1, keepdim=True)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "normalised over the batch axis",
        ("x.mean(dim=-1, keepdim=True)", "x.mean(dim=0, keepdim=True)"),
        ("** 2).mean(dim=-1, keepdim=True)", "** 2).mean(dim=0, keepdim=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "eps added to the standard deviation",
        ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "eps left out",
        ("torch.sqrt(var + eps)", "torch.sqrt(var)"),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "gamma and beta swapped",
        ("* gamma + beta", "* beta + gamma"),
    ),
    mistake(
        ASSIGNMENT,
        "sinusoidal_positional_encoding",
        "test_sinusoidal_positional_encoding",
        "exponent j / dim with the column index j",
        ("    pe[:, 0::2] = torch.sin(angle)\n", ""),
        (
            "    pe[:, 1::2] = torch.cos(angle[:, : dim // 2])"
            "  # an odd D has one sine more than cosines\n",
            "",
        ),
        (
            "    pe = torch.zeros(num_positions, dim, dtype=torch.float64)\n",
            "    j = torch.arange(dim, dtype=torch.float64)\n"
            "    column_angle = position / 10000 ** (j / dim)\n"
            "    pe = torch.where(j % 2 == 0, torch.sin(column_angle), torch.cos(column_angle))\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "sinusoidal_positional_encoding",
        "test_sinusoidal_positional_encoding",
        "sin and cos swapped",
        ("pe[:, 0::2] = torch.sin(angle)", "pe[:, 0::2] = torch.cos(angle)"),
        (
            "pe[:, 1::2] = torch.cos(angle[:, : dim // 2])",
            "pe[:, 1::2] = torch.sin(angle[:, : dim // 2])",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "sinusoidal_positional_encoding",
        "test_sinusoidal_positional_encoding",
        "sines and cosines in two halves, not interleaved",
        ("pe[:, 0::2] = torch.sin(angle)", "pe[:, : (dim + 1) // 2] = torch.sin(angle)"),
        (
            "pe[:, 1::2] = torch.cos(angle[:, : dim // 2])",
            "pe[:, (dim + 1) // 2 :] = torch.cos(angle[:, : dim // 2])",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "sinusoidal_positional_encoding",
        "test_sinusoidal_positional_encoding",
        "frequencies multiplied instead of divided",
        ("position / 10000 **", "position * 10000 **"),
    ),
    mistake(
        ASSIGNMENT,
        "TransformerBlock",
        "test_TransformerBlock",
        "post-norm instead of pre-norm",
        ("x = x + self.attn(self.norm1(x))", "x = self.norm1(x + self.attn(x))"),
        ("return x + self.mlp(self.norm2(x))", "return self.norm2(x + self.mlp(x))"),
    ),
    mistake(
        ASSIGNMENT,
        "TransformerBlock",
        "test_TransformerBlock",
        "no residual connection around the MLP",
        ("return x + self.mlp(self.norm2(x))", "return self.mlp(self.norm2(x))"),
    ),
    mistake(
        ASSIGNMENT,
        "TransformerBlock",
        "test_TransformerBlock",
        "ReLU instead of GELU",
        (
            "self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU()",
            "self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU()",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "TransformerBlock",
        "test_TransformerBlock",
        "norm1 used before both branches",
        ("self.mlp(self.norm2(x))", "self.mlp(self.norm1(x))"),
    ),
    mistake(
        ASSIGNMENT,
        "TransformerBlock",
        "test_TransformerBlock",
        "mlp_ratio ignored (always 4 * dim)",
        ("hidden = int(dim * mlp_ratio)\n", "hidden = 4 * dim\n"),
    ),
    mistake(
        ASSIGNMENT,
        "PatchEmbed",
        "test_PatchEmbed",
        "patches in column-major order",
        ("x.flatten(2)", "x.transpose(2, 3).flatten(2)"),
    ),
    mistake(
        ASSIGNMENT,
        "PatchEmbed",
        "test_PatchEmbed",
        "reshape instead of transpose to put dim last",
        ("x.flatten(2).transpose(1, 2)", "x.flatten(2).reshape(len(x), -1, x.shape[1])"),
    ),
    mistake(
        ASSIGNMENT,
        "PatchEmbed",
        "test_PatchEmbed",
        "num_patches not squared",
        ("self.num_patches = self.grid_size**2", "self.num_patches = self.grid_size"),
    ),
    mistake(
        ASSIGNMENT,
        "PatchEmbed",
        "test_PatchEmbed",
        "overlapping patches (stride 1)",
        ("kernel_size=patch_size, stride=patch_size)\n", "kernel_size=patch_size)\n"),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "average of all tokens instead of the class token",
        ("self.norm(x[:, 0]))  # classify from the class token", "self.norm(x.mean(dim=1)))"),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "no final layer norm",
        ("self.head(self.norm(x[:, 0]))", "self.head(x[:, 0])"),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "no position embedding for the class token",
        (
            "x = torch.cat([cls, x], dim=1) + self.pos_embed",
            "x = torch.cat([cls, x + self.pos_embed[:, 1:]], dim=1)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "class token appended last",
        ("torch.cat([cls, x], dim=1)", "torch.cat([x, cls], dim=1)"),
        ("self.norm(x[:, 0])", "self.norm(x[:, -1])"),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "position embeddings never added",
        (" + self.pos_embed  #", "  #"),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "blocks kept in a plain Python list",
        ("nn.Sequential(\n            *[", "["),
        ("for _ in range(depth)]\n        )", "for _ in range(depth)]"),
        (
            "        x = self.blocks(x)\n",
            "        for block in self.blocks:\n            x = block(x)\n",
        ),
    ),
    # Promises of the docstrings: inputs never modified, every mask shape, learned positions.
    mistake(
        ASSIGNMENT,
        "scaled_dot_product_attention",
        "test_scaled_dot_product_attention",
        "scales the queries in place, changing the caller's q",
        (
            "    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])",
            "    q /= math.sqrt(q.shape[-1])\n    scores = q @ k.transpose(-2, -1)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "MultiHeadAttention",
        "test_MultiHeadAttention",
        "adds two axes to every mask: only (N, N) masks work, not padding masks",
        (
            "scaled_dot_product_attention(q, k, v, mask)",
            "scaled_dot_product_attention(\n"
            "            q, k, v, None if mask is None else mask[None, None]\n"
            "        )",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "layer_norm",
        "test_layer_norm",
        "centres x in place, changing the caller's tensor",
        (
            "    mean = x.mean(dim=-1, keepdim=True)\n",
            "    x -= x.mean(dim=-1, keepdim=True)\n    mean = 0.0\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "VisionTransformer",
        "test_VisionTransformer",
        "position embeddings in a buffer: fixed, not learned",
        (
            "self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))",
            'self.register_buffer("pos_embed", torch.zeros(1, num_patches + 1, dim))',
        ),
    ),
    *quiz(
        [
            mistake(
                ASSIGNMENT,
                "transformer_quiz_answer",
                "test_transformer_quiz_answer",
                why,
                ('transformer_quiz_answer = "c"', f'transformer_quiz_answer = "{letter}"'),
            )
            for letter, why in (
                ("a", "thinks attention is local"),
                ("b", "thinks attention memory is linear"),
                ("d", "thinks transformers need less data"),
            )
        ]
    ),
    # Not hidden: an upper-case letter fails the visible format check.
    mistake(
        ASSIGNMENT,
        "transformer_quiz_answer",
        "test_transformer_quiz_answer",
        "right letter, upper case",
        ('transformer_quiz_answer = "c"', 'transformer_quiz_answer = "C"'),
    ),
]
