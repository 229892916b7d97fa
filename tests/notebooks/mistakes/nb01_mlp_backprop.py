"""Plausible wrong answers for 01_mlp_backprop; each one must lose its test cell's points.

Every mistake is built with ``mistake(ASSIGNMENT, answer_cell, test_cell, why, *edits)``: the
reference answer read out of the solution notebook with ``(old, new)`` text edits that put the
misconception in, so no hand copy of an answer exists and each entry differs from the correct
answer by exactly the error its ``why`` names. The quiz's wrong letters go through ``quiz``.
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake, mistake, quiz

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "01_mlp_backprop"

# The training mistakes caught by the accuracy cell train for two epochs, not twenty, to stay cheap.
_TWO_EPOCHS = ("num_epochs: int = 20", "num_epochs: int = 2")

MISTAKES: list[Mistake] = [
    # --- perceptron_step (the first mistake is test_course_grading's "one wrong function") ---
    mistake(
        ASSIGNMENT,
        "perceptron_step",
        "test_perceptron_step",
        "gradient with the wrong sign",
        ("grad_w = -2.0", "grad_w = 2.0"),
    ),
    mistake(
        ASSIGNMENT,
        "perceptron_step",
        "test_perceptron_step",
        "forgets the factor 2 of the square's derivative",
        ("-2.0 * (y - y_hat)", "-(y - y_hat)"),
    ),
    mistake(
        ASSIGNMENT,
        "perceptron_step",
        "test_perceptron_step",
        "gradient ascent: adds the gradient",
        ("w_new = w - lr", "w_new = w + lr"),
    ),
    mistake(
        ASSIGNMENT,
        "perceptron_step",
        "test_perceptron_step",
        "updates w in place",
        (
            "    w_new = w - lr * grad_w\n    return w_new, grad_w",
            "    w -= lr * grad_w\n    return w, grad_w",
        ),
    ),
    # --- relu ------------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "relu",
        "test_relu",
        "zeroes the negatives of the input in place",
        (
            "    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)",
            "    z = np.asarray(z, dtype=np.float64)\n    z[z < 0] = 0.0\n    return z",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "relu",
        "test_relu",
        "np.max (a reduction) instead of np.maximum",
        (
            "np.maximum(np.asarray(z, dtype=np.float64), 0.0)",
            "np.max(np.asarray(z, dtype=np.float64), 0)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "relu",
        "test_relu",
        "Python's max does not work elementwise",
        ("np.maximum(", "max("),
    ),
    mistake(
        ASSIGNMENT,
        "relu",
        "test_relu",
        "leaky ReLU instead of ReLU",
        ("0.0)", "0.01 * z)"),
    ),
    mistake(
        ASSIGNMENT,
        "relu",
        "test_relu",
        "keeps an integer input's dtype (the docstring promises floats)",
        ("np.maximum(np.asarray(z, dtype=np.float64), 0.0)", "np.maximum(z, 0)"),
    ),
    # --- relu_grad -------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "relu_grad",
        "test_relu_grad",
        "derivative 1 at z = 0",
        ("np.asarray(z) > 0", "np.asarray(z) >= 0"),
    ),
    mistake(
        ASSIGNMENT,
        "relu_grad",
        "test_relu_grad",
        "returns relu(z) instead of its derivative",
        ("(np.asarray(z) > 0).astype(np.float64)", "relu(z)"),
    ),
    mistake(
        ASSIGNMENT,
        "relu_grad",
        "test_relu_grad",
        "sign(z): -1 for negative inputs",
        ("(np.asarray(z) > 0)", "np.sign(z)"),
    ),
    # --- sigmoid ---------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "sigmoid",
        "test_sigmoid",
        "1 / (1 + exp(z)): sign error",
        ("z >= 0", "z <= 0"),
    ),
    mistake(
        ASSIGNMENT,
        "sigmoid",
        "test_sigmoid",
        "textbook formula overflows (and warns) for z = -1000",
        ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "1.0 / (1.0 + np.exp(-z))"),
    ),
    mistake(
        ASSIGNMENT,
        "sigmoid",
        "test_sigmoid",
        "exp(z) / (1 + exp(z)) gives inf / inf = nan for z = 1000",
        ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "np.exp(z) / (1.0 + np.exp(z))"),
    ),
    mistake(
        ASSIGNMENT,
        "sigmoid",
        "test_sigmoid",
        "stable branches swapped",
        ("1.0 / (1.0 + e), e / (1.0 + e)", "e / (1.0 + e), 1.0 / (1.0 + e)"),
    ),
    # --- sigmoid_grad ----------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "sigmoid_grad",
        "test_sigmoid_grad",
        "s * (1 - s) evaluated on z instead of s = sigmoid(z)",
        ("s * (1.0 - s)", "z * (1.0 - z)"),
    ),
    mistake(
        ASSIGNMENT,
        "sigmoid_grad",
        "test_sigmoid_grad",
        "tanh's derivative 1 - s**2",
        ("s * (1.0 - s)", "1.0 - s**2"),
    ),
    mistake(
        ASSIGNMENT,
        "sigmoid_grad",
        "test_sigmoid_grad",
        "exp(-z) / (1 + exp(-z))**2 overflows for z = -1000",
        ("s * (1.0 - s)", "np.exp(-z) / (1.0 + np.exp(-z)) ** 2"),
    ),
    # --- tanh ------------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "tanh",
        "test_tanh",
        "textbook formula: inf / inf = nan at |z| = 1000",
        (
            "np.sign(z) * (1.0 - e) / (1.0 + e)",
            "(np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "tanh",
        "test_tanh",
        "stable form but the sign of z is lost",
        ("np.sign(z) * ", ""),
    ),
    mistake(
        ASSIGNMENT,
        "tanh",
        "test_tanh",
        "2 * sigmoid(z) - 1 is tanh(z / 2)",
        ("np.sign(z) * (1.0 - e) / (1.0 + e)", "2.0 * sigmoid(z) - 1.0"),
    ),
    mistake(
        ASSIGNMENT,
        "tanh",
        "test_tanh",
        "(1 - exp(-2z)) / (1 + exp(-2z)) overflows for z = -1000",
        ("np.exp(-2.0 * np.abs(z))", "np.exp(-2.0 * z)"),
        ("np.sign(z) * ", ""),
    ),
    # --- tanh_grad -------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "tanh_grad",
        "test_tanh_grad",
        "forgets to square: 1 - tanh(z)",
        ("1.0 - t * t", "1.0 - t"),
    ),
    mistake(
        ASSIGNMENT,
        "tanh_grad",
        "test_tanh_grad",
        "1 - z**2: the formula applied to the input instead of the output",
        ("1.0 - t * t", "1.0 - z * z"),
    ),
    mistake(
        ASSIGNMENT,
        "tanh_grad",
        "test_tanh_grad",
        "1 / cosh(z)**2 overflows (and warns) at |z| = 1000",
        ("1.0 - t * t", "1.0 / np.cosh(z) ** 2"),
    ),
    mistake(
        ASSIGNMENT,
        "tanh_grad",
        "test_tanh_grad",
        "the sigmoid's t * (1 - t)",
        ("1.0 - t * t", "t * (1.0 - t)"),
    ),
    # --- softmax ---------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "softmax",
        "test_softmax",
        "no max-subtraction: overflows for logits of size 1000",
        ("np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z)"),
    ),
    mistake(
        ASSIGNMENT,
        "softmax",
        "test_softmax",
        "normalises over the wrong axis (columns)",
        ("Z.max(axis=1", "Z.max(axis=0"),
        ("E.sum(axis=1", "E.sum(axis=0"),
    ),
    mistake(
        ASSIGNMENT,
        "softmax",
        "test_softmax",
        "subtracts the global max: rows far below it underflow to 0 / 0",
        ("Z.max(axis=1, keepdims=True)", "Z.max()"),
    ),
    mistake(
        ASSIGNMENT,
        "softmax",
        "test_softmax",
        "forgets keepdims, so the row maxima broadcast along the wrong axis",
        ("Z.max(axis=1, keepdims=True)", "Z.max(axis=1)"),
        ("E.sum(axis=1, keepdims=True)", "E.sum(axis=1)"),
    ),
    mistake(
        ASSIGNMENT,
        "softmax",
        "test_softmax",
        "shifts Z in place",
        (
            "E = np.exp(Z - Z.max(axis=1, keepdims=True))",
            "Z -= Z.max(axis=1, keepdims=True)\n    E = np.exp(Z)",
        ),
    ),
    # --- cross_entropy ---------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "cross_entropy",
        "test_cross_entropy",
        "sums over the batch instead of averaging",
        ("y].mean()", "y].sum()"),
    ),
    mistake(
        ASSIGNMENT,
        "cross_entropy",
        "test_cross_entropy",
        "log of the softmax probabilities: log(0) for extreme logits",
        ("shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))", "np.log(softmax(Z))"),
    ),
    mistake(
        ASSIGNMENT,
        "cross_entropy",
        "test_cross_entropy",
        "uses the raw logit of the true class (no softmax)",
        ("-log_probs[", "-Z["),
    ),
    mistake(
        ASSIGNMENT,
        "cross_entropy",
        "test_cross_entropy",
        "indexes with [:, y], averaging over every pair of rows and labels",
        ("[np.arange(Z.shape[0]), y]", "[:, y]"),
    ),
    mistake(
        ASSIGNMENT,
        "cross_entropy",
        "test_cross_entropy",
        "drops the minus sign",
        ("float(-log_probs", "float(log_probs"),
    ),
    # --- linear_forward --------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "linear_forward",
        "test_linear_forward",
        "forgets the bias",
        ("    out = X @ W + b", "    out = X @ W"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_forward",
        "test_linear_forward",
        "nn.Linear's layout: multiplies by W transposed",
        ("    out = X @ W + b", "    out = X @ W.T + b"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_forward",
        "test_linear_forward",
        "returns only out, without the cache",
        ("return out, cache", "return out"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_forward",
        "test_linear_forward",
        "column-vector convention W x + b: returns out as (M, N)",
        ("    out = X @ W + b", "    out = W.T @ X.T + b[:, None]"),
    ),
    # --- numerical_gradient ----------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "numerical_gradient",
        "test_numerical_gradient",
        "forward differences (f(x + h) - f(x)) / h",
        ("x[index] = old - h", "x[index] = old"),
        ("(2.0 * h)", "h"),
    ),
    mistake(
        ASSIGNMENT,
        "numerical_gradient",
        "test_numerical_gradient",
        "does not restore x: every entry is left at x - h",
        (
            "        x[index] = old  # restore exactly: old + h - h need not equal old in floating point\n",
            "",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "numerical_gradient",
        "test_numerical_gradient",
        "divides the central difference by h instead of 2h",
        ("(2.0 * h)", "h"),
    ),
    mistake(
        ASSIGNMENT,
        "numerical_gradient",
        "test_numerical_gradient",
        "perturbs a flattened copy, which f never sees",
        ("    grad = np.zeros(", "    shape, x = x.shape, x.flatten()\n    grad = np.zeros("),
        ("return grad", "return grad.reshape(shape)"),
    ),
    mistake(
        ASSIGNMENT,
        "numerical_gradient",
        "test_numerical_gradient",
        "ignores the step h it is given",
        ("    grad = np.zeros(", "    h = 1e-5\n    grad = np.zeros("),
    ),
    # --- linear_backward -------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "linear_backward",
        "test_linear_backward",
        "db not summed over the batch",
        ("db = dout.sum(axis=0)", "db = dout"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_backward",
        "test_linear_backward",
        "dW transposed: dout.T @ X",
        ("dW = X.T @ dout", "dW = dout.T @ X"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_backward",
        "test_linear_backward",
        "averages db over the batch instead of summing",
        ("dout.sum(axis=0)", "dout.mean(axis=0)"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_backward",
        "test_linear_backward",
        "divides dW by the batch size a second time",
        ("dW = X.T @ dout", "dW = X.T @ dout / X.shape[0]"),
    ),
    mistake(
        ASSIGNMENT,
        "linear_backward",
        "test_linear_backward",
        "returns the gradients in the wrong order",
        ("return dX, dW, db", "return dW, dX, db"),
    ),
    # --- mlp_forward_backward --------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "mlp_forward_backward",
        "test_mlp_forward_backward",
        "forgets to divide the output error by N although the loss is a mean",
        ("    delta_Z /= N  # the loss is a mean over the batch\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "mlp_forward_backward",
        "test_mlp_forward_backward",
        "skips the ReLU's derivative on the way back",
        ("delta_A = dH * relu_grad(A)", "delta_A = dH"),
    ),
    mistake(
        ASSIGNMENT,
        "mlp_forward_backward",
        "test_mlp_forward_backward",
        "output error softmax(Z) without subtracting the one-hot labels",
        ("    delta_Z[np.arange(N), y] -= 1.0\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "mlp_forward_backward",
        "test_mlp_forward_backward",
        "applies softmax twice: cross_entropy of the probabilities",
        ("cross_entropy(Z, y)", "cross_entropy(softmax(Z), y)"),
    ),
    mistake(
        ASSIGNMENT,
        "mlp_forward_backward",
        "test_mlp_forward_backward",
        "takes the biases' gradients from the wrong layers",
        ('"b1": db1, "W2": dW2, "b2": db2', '"b1": db2, "W2": dW2, "b2": db1'),
    ),
    # --- lr_quiz_answer --------------------------------------------------------------------
    *quiz(
        [
            mistake(
                ASSIGNMENT,
                "lr_quiz_answer",
                "test_lr_quiz_answer",
                f"picks the true statement {letter!r}",
                ('= "c"', f'= "{letter}"'),
            )
            for letter in ("a", "b", "d")
        ]
    ),
    mistake(
        ASSIGNMENT,
        "lr_quiz_answer",
        "test_lr_quiz_answer",
        "answers with an upper-case letter",
        ('= "c"', '= "C"'),
    ),
    # --- train_mlp_numpy: the first two train (two epochs, then fail the accuracy cell); the
    # others fail the cheap checks on 10 examples, in the cell before it. --------------------
    mistake(
        ASSIGNMENT,
        "train_mlp_numpy",
        "test_train_mlp_numpy_accuracy",
        "a learning rate so large that training diverges",
        _TWO_EPOCHS,
        ("lr: float = 0.1", "lr: float = 50.0"),
        ("batch_size: int = 64", "batch_size: int = 256"),
    ),
    mistake(
        ASSIGNMENT,
        "train_mlp_numpy",
        "test_train_mlp_numpy_accuracy",
        "rebinds the loop variable, so the updates are never stored",
        _TWO_EPOCHS,
        (
            "            params = {key: params[key] - lr * grads[key] for key in params}\n",
            "            for key, value in params.items():\n"
            "                value = value - lr * grads[key]\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "train_mlp_numpy",
        "test_train_mlp_numpy",
        "makes the generator inside the epoch loop, so every epoch has the same order",
        ("    rng = np.random.default_rng(seed)\n", ""),
        ("rng.permutation(N)", "np.random.default_rng(seed).permutation(N)"),
    ),
    mistake(
        ASSIGNMENT,
        "train_mlp_numpy",
        "test_train_mlp_numpy",
        "drops the last, smaller batch of every epoch",
        ("range(0, N, batch_size)", "range(0, N - batch_size + 1, batch_size)"),
    ),
    mistake(
        ASSIGNMENT,
        "train_mlp_numpy",
        "test_train_mlp_numpy",
        "shuffles from an unseeded generator, so equal calls give different models",
        ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()"),
    ),
    # --- TorchMLP --------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "TorchMLP",
        "test_TorchMLP",
        "no ReLU between the layers",
        ("self.fc2(torch.relu(self.fc1(x.flatten(1))))", "self.fc2(self.fc1(x.flatten(1)))"),
    ),
    mistake(
        ASSIGNMENT,
        "TorchMLP",
        "test_TorchMLP",
        "returns probabilities (softmax) instead of logits",
        (
            "return self.fc2(torch.relu(self.fc1(x.flatten(1))))",
            "return torch.softmax(self.fc2(torch.relu(self.fc1(x.flatten(1)))), dim=1)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "TorchMLP",
        "test_TorchMLP",
        "nn.Linear's arguments swapped",
        ("nn.Linear(in_features, hidden_size)", "nn.Linear(hidden_size, in_features)"),
        ("nn.Linear(hidden_size, num_classes)", "nn.Linear(num_classes, hidden_size)"),
    ),
    mistake(
        ASSIGNMENT,
        "TorchMLP",
        "test_TorchMLP",
        "sigmoid instead of ReLU",
        ("torch.relu", "torch.sigmoid"),
    ),
    mistake(
        ASSIGNMENT,
        "TorchMLP",
        "test_TorchMLP",
        "does not flatten, so image batches (N, 1, H, W) fail",
        ("x.flatten(1)", "x"),
    ),
]
