"""Tests for course_utils/training.py: fit, evaluate, predict and History."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from course_utils import training
from course_utils.training import History, evaluate, fit, predict

REPO = Path(__file__).resolve().parents[2]
CPU = torch.device("cpu")
NUM_CLASSES, DIM = 3, 8


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated Gaussian clusters: float64 X (n, DIM), int64 y (n,)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(scale=4.0, size=(NUM_CLASSES, DIM))
    y = rng.integers(0, NUM_CLASSES, size=n)
    return centres[y] + rng.normal(size=(n, DIM)), y


@pytest.fixture
def data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return blobs(480, seed=0), blobs(200, seed=1)


def mlp(seed: int = 0, out: int = NUM_CLASSES) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(DIM, 32), nn.ReLU(), nn.Linear(32, out))


class PairDataset(Dataset):
    """A map-style Dataset that is not a TensorDataset, so fit must use a DataLoader."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y = X.astype(np.float32), y

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.X[i], int(self.y[i])


def test_fit_learns_a_separable_problem_and_history_has_one_entry_per_epoch(data):
    """fit reaches >= 95 % train and val accuracy on separable blobs; every list has 8 entries."""
    train, val = data
    history = fit(mlp(), train, val, num_epochs=8, device="cpu", progress=False)
    assert isinstance(history, History) and len(history) == 8
    assert history.epoch == list(range(1, 9))
    for name, values in history.to_dict().items():
        assert len(values) == 8, name
    assert history.train_acc[-1] >= 0.95 and history.val_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert all(s > 0 for s in history.seconds) and all(r > 0 for r in history.samples_per_sec)
    assert set(history.last()) == set(history.to_dict())
    assert "8 epochs" in repr(history) and "val_acc=" in repr(history)


def test_history_without_validation_keeps_val_lists_empty(data):
    """Without val_data, val_loss/val_acc are empty lists (not NaN-padded) and last() omits them."""
    history = fit(mlp(), data[0], num_epochs=2, device="cpu", progress=False)
    assert len(history) == 2 and len(history.train_loss) == 2
    assert history.val_loss == [] and history.val_acc == []
    assert "val_loss" not in history.last() and "val_" not in repr(history)
    assert repr(History()) == "History(0 epochs)"


@pytest.mark.parametrize(
    "kind", ["numpy tuple", "tensor tuple", "TensorDataset", "Dataset", "DataLoader"]
)
def test_fit_accepts_tuples_datasets_and_dataloaders(data, kind):
    """Every accepted kind of training data trains the model to >= 95 % validation accuracy."""
    (X, y), val = data
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    train = {
        "numpy tuple": (X, y),
        "tensor tuple": (Xt, yt),
        "TensorDataset": TensorDataset(Xt, yt),
        "Dataset": PairDataset(X, y),
        "DataLoader": DataLoader(TensorDataset(Xt, yt), batch_size=32, shuffle=True),
    }[kind]
    history = fit(mlp(), train, val, num_epochs=6, device="cpu", progress=False)
    assert history.val_acc[-1] >= 0.95, history


def test_int32_labels_and_float64_inputs_are_converted(data):
    """float64 X with int32 y trains exactly like float32 X with int64 y (cast on the device)."""
    (X, y), _ = data
    options = {"num_epochs": 2, "seed": 0, "device": "cpu", "progress": False}
    as_numpy = fit(mlp(), (X, y.astype(np.int32)), **options)
    as_torch = fit(mlp(), (X.astype(np.float32), y.astype(np.int64)), **options)
    assert as_numpy.train_loss == as_torch.train_loss
    assert as_numpy.train_loss[-1] < as_numpy.train_loss[0]


class HalvesTheBatch(nn.Module):
    """The classic bug: x.view(-1, 2 * DIM) silently merges pairs of samples."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2 * DIM, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.view(-1, 2 * DIM))


class Unflattened(nn.Module):
    """Returns (N, K, 1) instead of (N, K)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(DIM, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).unsqueeze(-1)


@pytest.mark.parametrize(
    ("model", "labels", "expected"),
    [
        (mlp, lambda y: y.reshape(-1, 1), ["(64, 3)", "(64, 1)", "reshape(-1)"]),
        (HalvesTheBatch, lambda y: y, ["(32, 3)", "(64,)", "batch size", "flatten(1)"]),
        (Unflattened, lambda y: y, ["(64, 3, 1)", "(N, K)", "Flatten"]),
        (lambda: mlp(out=1), lambda y: y, ["(64, 1)", "one output per class"]),
        (lambda: mlp(out=2), lambda y: y, ["labels go up to 2", "needs 3 outputs"]),
        (mlp, lambda y: np.eye(NUM_CLASSES, dtype=np.int64)[y], ["(64, 3)", "argmax(1)"]),
    ],
    ids=["labels-column", "batch-merged", "logits-3d", "one-logit", "too-few-logits", "one-hot"],
)
def test_mismatched_output_and_labels_raise_before_any_update(data, model, labels, expected):
    """fit raises ValueError naming both shapes and the fix, before changing any weight."""
    (X, y), _ = data
    net = model()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(ValueError) as info:
        fit(net, (X, labels(y)), num_epochs=1, device="cpu", progress=False, shuffle=False)
    for text in expected:
        assert text in str(info.value), str(info.value)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_regression_targets_train_with_nan_accuracy():
    """Float targets with MSELoss train; accuracy is NaN; an (N,) target for (N, 1) outputs fails."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 1)).astype(np.float32)
    y = np.sin(3 * X)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    history = fit(
        net,
        (X, y),
        num_epochs=30,
        batch_size=16,
        lr=1e-2,
        loss_fn=nn.MSELoss(),
        device="cpu",
        progress=False,
    )
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
    assert math.isnan(history.train_acc[-1])
    with pytest.raises(ValueError, match=r"\(64, 1\).*\(64,\)"):
        fit(net, (X, y[:, 0]), num_epochs=1, loss_fn=nn.MSELoss(), device="cpu", progress=False)


@pytest.mark.parametrize("was_training", [True, False])
def test_evaluate_matches_a_hand_computed_loss_and_restores_mode(data, was_training):
    """evaluate's loss and accuracy equal cross-entropy and argmax over all samples at once."""
    (X, y), _ = data
    net = mlp()
    net.train(was_training)
    result = evaluate(net, (X, y), batch_size=100)  # 480 samples: a partial last batch
    assert net.training is was_training
    with torch.no_grad():
        logits = net.eval()(torch.tensor(X, dtype=torch.float32))
    expected_loss = nn.functional.cross_entropy(logits, torch.tensor(y)).item()
    expected_acc = (logits.argmax(1).numpy() == y).mean()
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert result["accuracy"] == pytest.approx(expected_acc, abs=1e-9)


@pytest.mark.parametrize("was_training", [True, False])
def test_predict_returns_cpu_logits_in_input_order_and_restores_mode(data, was_training):
    """predict equals model(X) row for row, for X alone, a tuple and a DataLoader."""
    (X, y), _ = data
    X, y = X[:103], y[:103]  # 103 = 10 batches of 10 and one of 3
    net = mlp()
    net.train(was_training)
    with torch.no_grad():
        expected = net(torch.tensor(X, dtype=torch.float32))
    loader = DataLoader(TensorDataset(torch.tensor(X, dtype=torch.float32)), batch_size=10)
    for source in (X, (X, y), loader):
        logits = predict(net, source, batch_size=10)
        assert logits.shape == (103, NUM_CLASSES) and logits.device == CPU
        assert logits.dtype == torch.float32
        torch.testing.assert_close(logits, expected)
        assert net.training is was_training
    logits[0, 0] = 0.0  # an ordinary tensor: editable, not an inference-mode tensor


def test_cpu_training_uses_no_autocast_or_grad_scaler(data, monkeypatch):
    """On the CPU fit never enters torch.autocast nor builds a GradScaler; activations are fp32."""

    def forbidden(*args, **kwargs):
        raise AssertionError("autocast/GradScaler used on the CPU")

    monkeypatch.setattr(torch, "autocast", forbidden)
    monkeypatch.setattr(torch.amp, "GradScaler", forbidden)
    net = mlp()
    dtypes = set()
    net[0].register_forward_hook(lambda module, inputs, output: dtypes.add(output.dtype))
    fit(net, data[0], data[1], num_epochs=1, device="cpu", progress=False)
    evaluate(net, data[1])
    predict(net, data[1][0])
    assert dtypes == {torch.float32}


def test_amp_true_on_cpu_warns_and_trains_in_float32(data):
    """Asking for mixed precision on the CPU warns that it has no effect."""
    with pytest.warns(UserWarning, match="no effect"):
        fit(mlp(), data[0], num_epochs=1, device="cpu", amp=True, progress=False)


def test_fit_reads_the_device_once_per_epoch_and_pass(data, monkeypatch):
    """No per-batch .item(): fit calls tolist once per epoch for training and once for validation.

    SGD is used because Adam itself reads its step counter with .item().
    """
    calls = {"item": 0, "tolist": 0}
    for name in calls:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    net = mlp()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    fit(net, data[0], data[1], num_epochs=3, optimizer=optimizer, device="cpu", progress=False)
    assert calls == {"item": 0, "tolist": 3 * 2}


def test_seed_makes_fit_repeat_exactly(data):
    """Two runs with the same seed and initial weights give identical losses; shuffling differs
    with another seed."""
    runs = [
        fit(mlp(), data[0], num_epochs=2, seed=s, device="cpu", progress=False) for s in (7, 7, 8)
    ]
    assert runs[0].train_loss == runs[1].train_loss
    assert runs[0].train_loss != runs[2].train_loss


def test_scheduler_steps_once_per_epoch(data):
    """A StepLR(step_size=1, gamma=0.5) halves the learning rate after each of 3 epochs."""
    net = mlp()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.8)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(
        net,
        data[0],
        num_epochs=3,
        optimizer=optimizer,
        scheduler=scheduler,
        device="cpu",
        progress=False,
    )
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)


@pytest.mark.parametrize("was_training", [True, False])
def test_fit_restores_the_previous_mode(data, was_training):
    """fit trains in train mode, validates in eval mode, and hands the model back as it was."""
    net = mlp()
    net.train(was_training)
    modes = []
    net.register_forward_pre_hook(lambda module, inputs: modes.append(module.training))
    fit(net, data[0], data[1], num_epochs=1, device="cpu", progress=False)
    assert net.training is was_training
    assert True in modes and False in modes


def test_progress_bar_shows_epoch_and_metrics(data, capsys):
    """progress=True writes a tqdm bar with the epoch and the loss; progress=False writes nothing."""
    fit(mlp(), data[0], data[1], num_epochs=2, device="cpu", progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "train_loss=" in err and "val_acc=" in err
    fit(mlp(), data[0], num_epochs=1, device="cpu", progress=False)
    assert capsys.readouterr().err == ""


def test_unsupported_data_and_length_mismatch_are_explained(data):
    """A dict is refused with TypeError; X and y of different lengths with ValueError."""
    (X, y), _ = data
    with pytest.raises(TypeError, match="tuple, a Dataset or a DataLoader"):
        fit(mlp(), {"X": X, "y": y}, num_epochs=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="480 samples but y has 479"):
        fit(mlp(), (X, y[:-1]), num_epochs=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="no targets"):
        fit(mlp(), X, num_epochs=1, device="cpu", progress=False)


# ---------------------------------------------------------------------------------------------
# Mixed precision and channels-last (the CUDA path; its branches also run on the CPU when forced)
# ---------------------------------------------------------------------------------------------

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


class TinyCNN(nn.Module):
    """Records the dtype of the conv output and whether its input arrived channels-last."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        # Two input channels: with one, a tensor is channels-last and contiguous at once.
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, NUM_CLASSES)
        self.seen: set[tuple[torch.dtype, bool]] = set()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        self.seen.add((h.dtype, x.is_contiguous(memory_format=torch.channels_last)))
        return self.fc(torch.relu(h).flatten(1))


def images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2, 8, 8) noise shifted by the class index: easy to separate."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, size=n)
    X = rng.normal(size=(n, 2, 8, 8)).astype(np.float32) + y[:, None, None, None]
    return X, y


def count_scaled_losses(monkeypatch) -> list[int]:
    """Counts GradScaler.scale calls (one per training step when the scaler is in use)."""
    calls: list[int] = []
    original = torch.amp.GradScaler.scale
    monkeypatch.setattr(
        torch.amp.GradScaler, "scale", lambda self, loss: calls.append(1) or original(self, loss)
    )
    return calls


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_mixed_precision_branch_autocasts_and_scales_only_float16(monkeypatch, dtype):
    """Where amp_dtype offers a dtype, activations use it; only float16 goes through GradScaler.

    Run on the CPU by pretending amp_dtype returns ``dtype``, so the branch is tested everywhere.
    """
    monkeypatch.setattr(training, "amp_dtype", lambda device: dtype)
    scaled = count_scaled_losses(monkeypatch)
    net = TinyCNN()
    options = {"num_epochs": 4, "lr": 1e-2, "device": "cpu", "progress": False}
    history = fit(net, images(256, 0), images(64, 1), channels_last=True, **options)
    assert net.seen == {(dtype, True)}
    assert len(scaled) == (4 * 4 if dtype == torch.float16 else 0)  # 256 / 64 = 4 steps an epoch
    assert history.val_acc[-1] >= 0.9


@pytest.mark.gpu
@needs_cuda
def test_cuda_fit_autocasts_to_amp_dtype_and_uses_channels_last():
    """On CUDA by default: conv activations in amp_dtype("cuda"), inputs channels-last."""
    net = TinyCNN()
    history = fit(
        net, images(256, 0), images(64, 1), num_epochs=4, lr=1e-2, device="cuda", progress=False
    )
    assert net.seen == {(training.amp_dtype("cuda"), True)}
    assert history.val_acc[-1] >= 0.9
    assert next(net.parameters()).device.type == "cuda"


@pytest.mark.gpu
@needs_cuda
def test_cuda_fit_with_amp_false_and_channels_last_false_is_plain(monkeypatch):
    """amp=False and channels_last=False give float32 activations, default layout, no scaler."""
    scaled = count_scaled_losses(monkeypatch)
    net = TinyCNN()
    options = {"num_epochs": 1, "device": "cuda", "progress": False}
    fit(net, images(256, 0), amp=False, channels_last=False, **options)
    assert net.seen == {(torch.float32, False)} and scaled == []


@pytest.mark.gpu
@needs_cuda
def test_cuda_float16_training_goes_through_a_grad_scaler(monkeypatch):
    """Where amp_dtype is float16 (pre-Ampere GPUs such as the T4), fit scales the loss."""
    monkeypatch.setattr(training, "amp_dtype", lambda device: torch.float16)
    scaled = count_scaled_losses(monkeypatch)
    net = TinyCNN()
    history = fit(
        net, images(256, 0), images(64, 1), num_epochs=4, lr=1e-2, device="cuda", progress=False
    )
    assert len(scaled) == 4 * 4
    assert net.seen == {(torch.float16, True)}
    assert history.val_acc[-1] >= 0.9


@pytest.mark.gpu
@needs_cuda
def test_cuda_predict_and_evaluate_follow_the_model_device(data):
    """After fit on CUDA, evaluate and predict run there and return CPU results."""
    net = mlp()
    fit(net, data[0], num_epochs=8, device="cuda", progress=False)
    logits = predict(net, data[1][0])
    assert logits.device == CPU and logits.dtype == torch.float32
    assert evaluate(net, data[1])["accuracy"] >= 0.95


def test_import_has_no_side_effects():
    """Importing the module seeds nothing, sets no flag and does not initialise CUDA."""
    code = textwrap.dedent(
        """
        import torch
        seed = torch.initial_seed()
        import course_utils.training
        assert torch.initial_seed() == seed, "the import seeded torch"
        assert not torch.backends.cudnn.benchmark
        assert not torch.are_deterministic_algorithms_enabled()
        assert not torch.cuda.is_initialized(), "the import initialised CUDA"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
