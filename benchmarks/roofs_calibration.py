"""Is the synthetic roof task calibrated? Notebook 05's three models on its CPU budget.

The capstone needs the generator's default difficulty to separate the architectures: trained as
in notebook 05's reference solution (the same models, augmentation, optimiser, schedule and
epochs, with ``course_utils.training.fit``), a plain MLP on pixels must stay clearly below the
CNN and the transformer (targets: MLP <= 0.75, CNN >= 0.92, transformer >= 0.85 test accuracy).
The models, the transforms and the epochs and learning rates are read out of the solution
notebook (``reference_solution``), so the benchmark always measures what the notebook trains.
Prints each model's accuracy on the notebook's test split and on roofs from an unseen seed (what
the grader uses), its training time and whether the target is met.

    python benchmarks/roofs_calibration.py                            # the default generator
    python benchmarks/roofs_calibration.py --set max_trees=0 ambient=(0.1,0.3)
    python benchmarks/roofs_calibration.py --models cnn --epochs 10
"""

from __future__ import annotations

import argparse
import ast
import time
from typing import Any

import nbformat
import numpy as np
import torch
from torch import nn

from autograder.course import source_notebook
from course_utils.device import seed_everything
from course_utils.roofs import RenderConfig, RoofDataset, generate_roofs, load_roofs
from course_utils.training import fit, predict

TARGETS = {"mlp": ("<=", 0.75), "cnn": (">=", 0.92), "transformer": (">=", 0.85)}

# What the benchmark takes from the solution notebook, besides its imports, functions and classes.
SOLUTION_NAMES = {
    "train_transform",
    "eval_transform",
    "cnn_epochs",
    "cnn_lr",
    "transformer_epochs",
    "transformer_lr",
}


def reference_solution() -> dict[str, Any]:
    """Notebook 05's reference solution without its experiments, so no copy of it can drift.

    Runs the solution notebook's imports, function and class definitions and its assignments of
    ``SOLUTION_NAMES``, cell by cell in one namespace; nothing else runs, nothing is trained.
    Adds ``mlp_epochs`` and ``mlp_lr``: the keywords of the baseline cell's ``fit`` call.
    """
    namespace: dict[str, Any] = {}
    for cell in nbformat.read(source_notebook("05_roof_type_exercise"), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        tree.body = [node for node in tree.body if _is_definition(node)]
        exec(compile(tree, cell.metadata["nbgrader"]["grade_id"], "exec"), namespace)
        if cell.metadata["nbgrader"]["grade_id"] == "mlp_baseline":
            (call,) = (
                node
                for node in ast.walk(ast.parse(cell.source))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fit"
            )
            keywords = {k.arg: k.value for k in call.keywords}
            namespace["mlp_epochs"] = ast.literal_eval(keywords["num_epochs"])
            namespace["mlp_lr"] = ast.literal_eval(keywords["lr"])
    return namespace


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return names <= SOLUTION_NAMES
    return isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, transform: Any) -> float:
    predicted = predict(model, RoofDataset(images, labels, transform=transform)).argmax(1).numpy()
    return float((predicted == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default=",".join(TARGETS))
    parser.add_argument("--epochs", type=int, default=0, help="0: each model's notebook epochs")
    parser.add_argument("--held-out-seed", type=int, default=2027)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="RenderConfig overrides"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = RenderConfig().replace(
        **{k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in args.set)}
    )

    solution = reference_solution()
    # name: (build, epochs, peak learning rate, augment and schedule), the notebook's own: the
    # baseline MLP trains with fit's default Adam on plain images; the CNN and the transformer
    # as its training cells do, with AdamW, a one-cycle schedule and train_transform.
    recipes = {
        "mlp": (solution["build_pixel_mlp"], solution["mlp_epochs"], solution["mlp_lr"], False),
        "cnn": (solution["build_roof_cnn"], solution["cnn_epochs"], solution["cnn_lr"], True),
        "transformer": (
            solution["build_roof_transformer"],
            solution["transformer_epochs"],
            solution["transformer_lr"],
            True,
        ),
    }
    eval_transform = solution["eval_transform"]

    start = time.perf_counter()
    train, val, test = load_roofs(as_dataset=True, config=config)
    held_out = generate_roofs(600, args.held_out_seed, split="test", config=config)
    print(
        f"rendered {len(train)} + {len(val)} + {len(test)} + 600 roofs (64x64) in "
        f"{time.perf_counter() - start:.1f} s; {args.threads} thread(s), torch {torch.__version__}"
    )
    for name in args.models.split(","):
        build, epochs, lr, recipe = recipes[name]
        epochs = args.epochs or epochs
        seed_everything(0)
        model = build()
        quiet = {"device": "cpu", "progress": False}
        if recipe:
            optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=lr, total_steps=epochs, pct_start=0.2
            )
            history = fit(
                model,
                train.with_transform(solution["train_transform"]),
                val.with_transform(eval_transform),
                num_epochs=epochs,
                optimizer=optimizer,
                scheduler=scheduler,
                **quiet,
            )
        else:
            history = fit(model, train.arrays(), val.arrays(), num_epochs=epochs, lr=lr, **quiet)
        test_acc = accuracy(model, test.images, test.labels, eval_transform)
        held_acc = accuracy(model, *held_out, eval_transform)
        op, target = TARGETS[name]
        met = test_acc <= target if op == "<=" else test_acc >= target
        print(
            f"{name:11s} test accuracy {test_acc:.3f}, unseen seed {held_acc:.3f} "
            f"(target {op} {target}: {'met' if met else 'MISSED'}); {epochs} epochs in "
            f"{sum(history.seconds):.0f} s; {sum(p.numel() for p in model.parameters()):,} "
            "parameters",
            flush=True,
        )


if __name__ == "__main__":
    main()
