"""Plausible wrong answers for 01_mlp_backprop; each one must lose its test cell's points.

Every ``source`` replaces the whole answer cell, the ``def`` line included, as a student's
submission would. The reference answers live only in the solution notebook.
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake, quiz, variant

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "01_mlp_backprop"

_PERCEPTRON = [
    Mistake(
        answer_cell="perceptron_step",
        test_cell="test_perceptron_step",
        why="gradient with the wrong sign",
        source="""def perceptron_step(w, x, y, lr):
    y_hat = w @ x
    grad_w = 2.0 * (y - y_hat) * x
    return w - lr * grad_w, grad_w
""",
    ),
    Mistake(
        answer_cell="perceptron_step",
        test_cell="test_perceptron_step",
        why="forgets the factor 2 of the square's derivative",
        source="""def perceptron_step(w, x, y, lr):
    grad_w = -(y - w @ x) * x
    return w - lr * grad_w, grad_w
""",
    ),
    Mistake(
        answer_cell="perceptron_step",
        test_cell="test_perceptron_step",
        why="gradient ascent: adds the gradient",
        source="""def perceptron_step(w, x, y, lr):
    grad_w = -2.0 * (y - w @ x) * x
    return w + lr * grad_w, grad_w
""",
    ),
    Mistake(
        answer_cell="perceptron_step",
        test_cell="test_perceptron_step",
        why="updates w in place",
        source="""def perceptron_step(w, x, y, lr):
    grad_w = -2.0 * (y - w @ x) * x
    w -= lr * grad_w
    return w, grad_w
""",
    ),
]

_RELU = [
    Mistake(
        answer_cell="relu",
        test_cell="test_relu",
        why="zeroes the negatives of the input in place",
        source="""def relu(z):
    z[z < 0] = 0.0
    return z
""",
    ),
    Mistake(
        answer_cell="relu",
        test_cell="test_relu",
        why="np.max (a reduction) instead of np.maximum",
        source="""def relu(z):
    return np.max(z, 0)
""",
    ),
    Mistake(
        answer_cell="relu",
        test_cell="test_relu",
        why="Python's max does not work elementwise",
        source="""def relu(z):
    return max(0.0, z)
""",
    ),
    Mistake(
        answer_cell="relu",
        test_cell="test_relu",
        why="leaky ReLU instead of ReLU",
        source="""def relu(z):
    return np.where(z > 0, z, 0.01 * z)
""",
    ),
    Mistake(
        answer_cell="relu",
        test_cell="test_relu",
        why="keeps an integer input's dtype (the docstring promises floats)",
        source="""def relu(z):
    return np.maximum(z, 0)
""",
    ),
]

_RELU_GRAD = [
    Mistake(
        answer_cell="relu_grad",
        test_cell="test_relu_grad",
        why="derivative 1 at z = 0",
        source="""def relu_grad(z):
    return (np.asarray(z) >= 0).astype(float)
""",
    ),
    Mistake(
        answer_cell="relu_grad",
        test_cell="test_relu_grad",
        why="returns relu(z) instead of its derivative",
        source="""def relu_grad(z):
    return np.maximum(z, 0.0)
""",
    ),
    Mistake(
        answer_cell="relu_grad",
        test_cell="test_relu_grad",
        why="sign(z): -1 for negative inputs",
        source="""def relu_grad(z):
    return np.sign(z).astype(float)
""",
    ),
]

_SIGMOID = [
    Mistake(
        answer_cell="sigmoid",
        test_cell="test_sigmoid",
        why="1 / (1 + exp(z)): sign error",
        source="""def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z <= 0, 1.0 / (1.0 + e), e / (1.0 + e))
""",
    ),
    Mistake(
        answer_cell="sigmoid",
        test_cell="test_sigmoid",
        why="textbook formula overflows (and warns) for z = -1000",
        source="""def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
""",
    ),
    Mistake(
        answer_cell="sigmoid",
        test_cell="test_sigmoid",
        why="exp(z) / (1 + exp(z)) gives inf / inf = nan for z = 1000",
        source="""def sigmoid(z):
    return np.exp(z) / (1.0 + np.exp(z))
""",
    ),
    Mistake(
        answer_cell="sigmoid",
        test_cell="test_sigmoid",
        why="stable branches swapped",
        source="""def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
""",
    ),
]

_SIGMOID_GRAD = [
    Mistake(
        answer_cell="sigmoid_grad",
        test_cell="test_sigmoid_grad",
        why="s * (1 - s) evaluated on z instead of s = sigmoid(z)",
        source="""def sigmoid_grad(z):
    return z * (1.0 - z)
""",
    ),
    Mistake(
        answer_cell="sigmoid_grad",
        test_cell="test_sigmoid_grad",
        why="tanh's derivative 1 - s**2",
        source="""def sigmoid_grad(z):
    s = sigmoid(z)
    return 1.0 - s**2
""",
    ),
    Mistake(
        answer_cell="sigmoid_grad",
        test_cell="test_sigmoid_grad",
        why="exp(-z) / (1 + exp(-z))**2 overflows for z = -1000",
        source="""def sigmoid_grad(z):
    return np.exp(-z) / (1.0 + np.exp(-z)) ** 2
""",
    ),
]

_TANH = [
    Mistake(
        answer_cell="tanh",
        test_cell="test_tanh",
        why="textbook formula: inf / inf = nan at |z| = 1000",
        source="""def tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
""",
    ),
    Mistake(
        answer_cell="tanh",
        test_cell="test_tanh",
        why="stable form but the sign of z is lost",
        source="""def tanh(z):
    e = np.exp(-2.0 * np.abs(z))
    return (1.0 - e) / (1.0 + e)
""",
    ),
    Mistake(
        answer_cell="tanh",
        test_cell="test_tanh",
        why="2 * sigmoid(z) - 1 is tanh(z / 2)",
        source="""def tanh(z):
    return 2.0 * sigmoid(z) - 1.0
""",
    ),
    Mistake(
        answer_cell="tanh",
        test_cell="test_tanh",
        why="(1 - exp(-2z)) / (1 + exp(-2z)) overflows for z = -1000",
        source="""def tanh(z):
    e = np.exp(-2.0 * z)
    return (1.0 - e) / (1.0 + e)
""",
    ),
]

_TANH_GRAD = [
    Mistake(
        answer_cell="tanh_grad",
        test_cell="test_tanh_grad",
        why="forgets to square: 1 - tanh(z)",
        source="""def tanh_grad(z):
    return 1.0 - tanh(z)
""",
    ),
    Mistake(
        answer_cell="tanh_grad",
        test_cell="test_tanh_grad",
        why="1 - z**2: the formula applied to the input instead of the output",
        source="""def tanh_grad(z):
    return 1.0 - np.asarray(z, dtype=float) ** 2
""",
    ),
    Mistake(
        answer_cell="tanh_grad",
        test_cell="test_tanh_grad",
        why="1 / cosh(z)**2 overflows (and warns) at |z| = 1000",
        source="""def tanh_grad(z):
    return 1.0 / np.cosh(z) ** 2
""",
    ),
    Mistake(
        answer_cell="tanh_grad",
        test_cell="test_tanh_grad",
        why="the sigmoid's t * (1 - t)",
        source="""def tanh_grad(z):
    t = tanh(z)
    return t * (1.0 - t)
""",
    ),
]

_SOFTMAX = [
    Mistake(
        answer_cell="softmax",
        test_cell="test_softmax",
        why="no max-subtraction: overflows for logits of size 1000",
        source="""def softmax(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
""",
    ),
    Mistake(
        answer_cell="softmax",
        test_cell="test_softmax",
        why="normalises over the wrong axis (columns)",
        source="""def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
""",
    ),
    Mistake(
        answer_cell="softmax",
        test_cell="test_softmax",
        why="subtracts the global max: rows far below it underflow to 0 / 0",
        source="""def softmax(Z):
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)
""",
    ),
    Mistake(
        answer_cell="softmax",
        test_cell="test_softmax",
        why="forgets keepdims, so the row maxima broadcast along the wrong axis",
        source="""def softmax(Z):
    E = np.exp(Z - Z.max(axis=1))
    return E / E.sum(axis=1)
""",
    ),
    Mistake(
        answer_cell="softmax",
        test_cell="test_softmax",
        why="shifts Z in place",
        source="""def softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
""",
    ),
]

_CROSS_ENTROPY = [
    Mistake(
        answer_cell="cross_entropy",
        test_cell="test_cross_entropy",
        why="sums over the batch instead of averaging",
        source="""def cross_entropy(Z, y):
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].sum())
""",
    ),
    Mistake(
        answer_cell="cross_entropy",
        test_cell="test_cross_entropy",
        why="log of the softmax probabilities: log(0) for extreme logits",
        source="""def cross_entropy(Z, y):
    P = softmax(Z)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))
""",
    ),
    Mistake(
        answer_cell="cross_entropy",
        test_cell="test_cross_entropy",
        why="uses the raw logit of the true class (no softmax)",
        source="""def cross_entropy(Z, y):
    return float(-np.mean(Z[np.arange(len(y)), y]))
""",
    ),
    Mistake(
        answer_cell="cross_entropy",
        test_cell="test_cross_entropy",
        why="indexes with [:, y], averaging over every pair of rows and labels",
        source="""def cross_entropy(Z, y):
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[:, y].mean())
""",
    ),
    Mistake(
        answer_cell="cross_entropy",
        test_cell="test_cross_entropy",
        why="drops the minus sign",
        source="""def cross_entropy(Z, y):
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(log_probs[np.arange(len(y)), y].mean())
""",
    ),
]

_LINEAR_FORWARD = [
    Mistake(
        answer_cell="linear_forward",
        test_cell="test_linear_forward",
        why="forgets the bias",
        source="""def linear_forward(X, W, b):
    return X @ W, (X, W, b)
""",
    ),
    Mistake(
        answer_cell="linear_forward",
        test_cell="test_linear_forward",
        why="nn.Linear's layout: multiplies by W transposed",
        source="""def linear_forward(X, W, b):
    return X @ W.T + b, (X, W, b)
""",
    ),
    Mistake(
        answer_cell="linear_forward",
        test_cell="test_linear_forward",
        why="returns only out, without the cache",
        source="""def linear_forward(X, W, b):
    return X @ W + b
""",
    ),
    Mistake(
        answer_cell="linear_forward",
        test_cell="test_linear_forward",
        why="column-vector convention W x + b: returns out as (M, N)",
        source="""def linear_forward(X, W, b):
    return W.T @ X.T + b[:, None], (X, W, b)
""",
    ),
]

_NUMERICAL_GRADIENT = [
    Mistake(
        answer_cell="numerical_gradient",
        test_cell="test_numerical_gradient",
        why="forward differences (f(x + h) - f(x)) / h",
        source="""def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    f0 = f()
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        grad[index] = (f() - f0) / h
        x[index] = old
    return grad
""",
    ),
    Mistake(
        answer_cell="numerical_gradient",
        test_cell="test_numerical_gradient",
        why="does not restore x: every entry is left at x - h",
        source="""def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += h
        f_plus = f()
        x[index] -= 2 * h
        f_minus = f()
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
""",
    ),
    Mistake(
        answer_cell="numerical_gradient",
        test_cell="test_numerical_gradient",
        why="divides the central difference by h instead of 2h",
        source="""def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = f()
        x[index] = old - h
        f_minus = f()
        x[index] = old
        grad[index] = (f_plus - f_minus) / h
    return grad
""",
    ),
    Mistake(
        answer_cell="numerical_gradient",
        test_cell="test_numerical_gradient",
        why="perturbs a flattened copy, which f never sees",
        source="""def numerical_gradient(f, x, h=1e-5):
    flat = x.flatten()
    grad = np.zeros(flat.shape)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)
""",
    ),
    Mistake(
        answer_cell="numerical_gradient",
        test_cell="test_numerical_gradient",
        why="ignores the step h it is given",
        source="""def numerical_gradient(f, x, h=1e-5):
    step = 1e-5
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + step
        f_plus = f()
        x[index] = old - step
        f_minus = f()
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * step)
    return grad
""",
    ),
]

_LINEAR_BACKWARD = [
    Mistake(
        answer_cell="linear_backward",
        test_cell="test_linear_backward",
        why="db not summed over the batch",
        source="""def linear_backward(dout, cache):
    X, W, b = cache
    return dout @ W.T, X.T @ dout, dout
""",
    ),
    Mistake(
        answer_cell="linear_backward",
        test_cell="test_linear_backward",
        why="dW transposed: dout.T @ X",
        source="""def linear_backward(dout, cache):
    X, W, b = cache
    return dout @ W.T, dout.T @ X, dout.sum(axis=0)
""",
    ),
    Mistake(
        answer_cell="linear_backward",
        test_cell="test_linear_backward",
        why="averages db over the batch instead of summing",
        source="""def linear_backward(dout, cache):
    X, W, b = cache
    return dout @ W.T, X.T @ dout, dout.mean(axis=0)
""",
    ),
    Mistake(
        answer_cell="linear_backward",
        test_cell="test_linear_backward",
        why="divides dW by the batch size a second time",
        source="""def linear_backward(dout, cache):
    X, W, b = cache
    return dout @ W.T, X.T @ dout / X.shape[0], dout.sum(axis=0)
""",
    ),
    Mistake(
        answer_cell="linear_backward",
        test_cell="test_linear_backward",
        why="returns the gradients in the wrong order",
        source="""def linear_backward(dout, cache):
    X, W, b = cache
    return X.T @ dout, dout @ W.T, dout.sum(axis=0)
""",
    ),
]

_MLP = [
    Mistake(
        answer_cell="mlp_forward_backward",
        test_cell="test_mlp_forward_backward",
        why="forgets to divide the output error by N although the loss is a mean",
        source="""def mlp_forward_backward(params, X, y):
    A, cache1 = linear_forward(X, params["W1"], params["b1"])
    Z, cache2 = linear_forward(relu(A), params["W2"], params["b2"])
    loss = cross_entropy(Z, y)
    delta_Z = softmax(Z)
    delta_Z[np.arange(X.shape[0]), y] -= 1.0
    dH, dW2, db2 = linear_backward(delta_Z, cache2)
    _, dW1, db1 = linear_backward(dH * relu_grad(A), cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""",
    ),
    Mistake(
        answer_cell="mlp_forward_backward",
        test_cell="test_mlp_forward_backward",
        why="skips the ReLU's derivative on the way back",
        source="""def mlp_forward_backward(params, X, y):
    A, cache1 = linear_forward(X, params["W1"], params["b1"])
    Z, cache2 = linear_forward(relu(A), params["W2"], params["b2"])
    loss = cross_entropy(Z, y)
    N = X.shape[0]
    delta_Z = softmax(Z)
    delta_Z[np.arange(N), y] -= 1.0
    delta_Z /= N
    dH, dW2, db2 = linear_backward(delta_Z, cache2)
    _, dW1, db1 = linear_backward(dH, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""",
    ),
    Mistake(
        answer_cell="mlp_forward_backward",
        test_cell="test_mlp_forward_backward",
        why="output error softmax(Z) without subtracting the one-hot labels",
        source="""def mlp_forward_backward(params, X, y):
    A, cache1 = linear_forward(X, params["W1"], params["b1"])
    Z, cache2 = linear_forward(relu(A), params["W2"], params["b2"])
    loss = cross_entropy(Z, y)
    delta_Z = softmax(Z) / X.shape[0]
    dH, dW2, db2 = linear_backward(delta_Z, cache2)
    _, dW1, db1 = linear_backward(dH * relu_grad(A), cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""",
    ),
    Mistake(
        answer_cell="mlp_forward_backward",
        test_cell="test_mlp_forward_backward",
        why="applies softmax twice: cross_entropy of the probabilities",
        source="""def mlp_forward_backward(params, X, y):
    A, cache1 = linear_forward(X, params["W1"], params["b1"])
    Z, cache2 = linear_forward(relu(A), params["W2"], params["b2"])
    loss = cross_entropy(softmax(Z), y)
    N = X.shape[0]
    delta_Z = softmax(Z)
    delta_Z[np.arange(N), y] -= 1.0
    delta_Z /= N
    dH, dW2, db2 = linear_backward(delta_Z, cache2)
    _, dW1, db1 = linear_backward(dH * relu_grad(A), cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""",
    ),
    Mistake(
        answer_cell="mlp_forward_backward",
        test_cell="test_mlp_forward_backward",
        why="takes the biases' gradients from the wrong layers",
        source="""def mlp_forward_backward(params, X, y):
    A, cache1 = linear_forward(X, params["W1"], params["b1"])
    Z, cache2 = linear_forward(relu(A), params["W2"], params["b2"])
    loss = cross_entropy(Z, y)
    N = X.shape[0]
    delta_Z = softmax(Z)
    delta_Z[np.arange(N), y] -= 1.0
    delta_Z /= N
    dH, dW2, db2 = linear_backward(delta_Z, cache2)
    _, dW1, db1 = linear_backward(dH * relu_grad(A), cache1)
    return loss, {"W1": dW1, "b1": db2, "W2": dW2, "b2": db1}
""",
    ),
]

_QUIZ = quiz(
    [
        Mistake(
            answer_cell="lr_quiz_answer",
            test_cell="test_lr_quiz_answer",
            why=f"picks the true statement {letter!r}",
            source=f'lr_quiz_answer = "{letter}"\n',
        )
        for letter in ("a", "b", "d")
    ]
) + [
    Mistake(
        answer_cell="lr_quiz_answer",
        test_cell="test_lr_quiz_answer",
        why="answers with an upper-case letter",
        source='lr_quiz_answer = "C"\n',
    ),
]

# Training mistakes are the expensive ones: the first two train (two epochs, then fail the
# accuracy cell); the others fail the cheap checks on 10 examples, in the cell before it.
_TRAIN_REFERENCE = """def train_mlp_numpy(X_train, y_train, *, hidden_size=128, num_epochs=20, lr=0.1,
                    batch_size=64, seed=0, X_val=None, y_val=None, history=None):
    N, D = X_train.shape
    params = init_mlp_params(D, hidden_size, int(y_train.max()) + 1, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            _, grads = mlp_forward_backward(params, X_train[batch], y_train[batch])
            params = {key: params[key] - lr * grads[key] for key in params}
    return params
"""
_TWO_EPOCHS = ("num_epochs=20", "num_epochs=2")
_TRAIN = [
    Mistake(
        answer_cell="train_mlp_numpy",
        test_cell=test_cell,
        why=why,
        source=variant(_TRAIN_REFERENCE, *edits),
    )
    for test_cell, why, edits in (
        (
            "test_train_mlp_numpy_accuracy",
            "a learning rate so large that training diverges",
            [_TWO_EPOCHS, ("lr=0.1", "lr=50.0"), ("batch_size=64", "batch_size=256")],
        ),
        (
            "test_train_mlp_numpy_accuracy",
            "rebinds the loop variable, so the updates are never stored",
            [
                _TWO_EPOCHS,
                (
                    "            params = {key: params[key] - lr * grads[key] for key in params}\n",
                    "            for key, value in params.items():\n"
                    "                value = value - lr * grads[key]\n",
                ),
            ],
        ),
        (
            "test_train_mlp_numpy",
            "makes the generator inside the epoch loop, so every epoch has the same order",
            [
                ("    rng = np.random.default_rng(seed)\n", ""),
                ("rng.permutation(N)", "np.random.default_rng(seed).permutation(N)"),
            ],
        ),
        (
            "test_train_mlp_numpy",
            "drops the last, smaller batch of every epoch",
            [("range(0, N, batch_size)", "range(0, N - batch_size + 1, batch_size)")],
        ),
        (
            "test_train_mlp_numpy",
            "shuffles from an unseeded generator, so equal calls give different models",
            [("np.random.default_rng(seed)", "np.random.default_rng()")],
        ),
    )
]

_TORCH = [
    Mistake(
        answer_cell="TorchMLP",
        test_cell="test_TorchMLP",
        why="no ReLU between the layers",
        source="""class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(self.fc1(x.flatten(1)))
""",
    ),
    Mistake(
        answer_cell="TorchMLP",
        test_cell="test_TorchMLP",
        why="returns probabilities (softmax) instead of logits",
        source="""class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x.flatten(1)))), dim=1)
""",
    ),
    Mistake(
        answer_cell="TorchMLP",
        test_cell="test_TorchMLP",
        why="nn.Linear's arguments swapped",
        source="""class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(hidden_size, in_features)
        self.fc2 = nn.Linear(num_classes, hidden_size)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))
""",
    ),
    Mistake(
        answer_cell="TorchMLP",
        test_cell="test_TorchMLP",
        why="sigmoid instead of ReLU",
        source="""class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(torch.sigmoid(self.fc1(x.flatten(1))))
""",
    ),
    Mistake(
        answer_cell="TorchMLP",
        test_cell="test_TorchMLP",
        why="does not flatten, so image batches (N, 1, H, W) fail",
        source="""class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
""",
    ),
]

MISTAKES: list[Mistake] = [
    *_PERCEPTRON,
    *_RELU,
    *_RELU_GRAD,
    *_SIGMOID,
    *_SIGMOID_GRAD,
    *_TANH,
    *_TANH_GRAD,
    *_SOFTMAX,
    *_CROSS_ENTROPY,
    *_LINEAR_FORWARD,
    *_NUMERICAL_GRADIENT,
    *_LINEAR_BACKWARD,
    *_MLP,
    *_QUIZ,
    *_TRAIN,
    *_TORCH,
]
