"""Would the notebooks work in Colab? Setup cells run in a simulated Colab, badges, torch pins.

Colab cannot be reached from CI, so each notebook's setup cell (its first code cell) runs in a
fresh interpreter where ``google.colab`` is a fake module and ``subprocess.run`` records its
arguments instead of running them. What it would run must be: clone the repository named in
pyproject.toml's ``[project.urls] Repository``, then ``pip install -e`` that clone with Colab's
own interpreter and nothing that names torch, so that Colab's CUDA build of torch stays.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from autograder.course import (
    RELEASE_DIR,
    REPO_ROOT,
    SOLUTIONS_DIR,
    assignment_ids,
    repository_url,
)

#: The assignments of the curriculum (shared/curriculum.md), in course order: five, and the
#: optional sixth. The README may show a badge for one of these before its notebook exists, and
#: for nothing else.
CURRICULUM_IDS = (
    "01_mlp_backprop",
    "02_cnn_layers",
    "03_attention_networks",
    "04_transformers",
    "05_roof_type_exercise",
    "06_sequence_models",
)
#: Packages whose versions Colab ships matched to its CUDA: an upper bound or a pin on any of
#: them could make pip replace Colab's build.
TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
#: torch versions the requirements must accept as they are: this machine's, a recent Colab
#: build with a local version label, and a future major release.
TORCH_VERSIONS_TO_KEEP = ("2.8.0+cu126", "3.0.0", "9.1.0")

_NOTEBOOKS = sorted(
    [*(REPO_ROOT / SOLUTIONS_DIR).glob("*/*.ipynb"), *(REPO_ROOT / RELEASE_DIR).glob("*/*.ipynb")]
)

# Runs in a fresh interpreter: record subprocess.run calls, run the cell, print what happened.
_HARNESS = textwrap.dedent(
    """
    import json, subprocess, sys, types

    calls = []

    def fake_run(args, *rest, **kwargs):
        calls.append({"args": [str(a) for a in args]})
        return subprocess.CompletedProcess(args, 0, "", "")

    subprocess.run = fake_run
    if sys.argv[1] == "colab":
        colab = types.ModuleType("google.colab")
        google = sys.modules.setdefault("google", types.ModuleType("google"))
        google.colab = colab
        sys.modules["google.colab"] = colab
    path_before = list(sys.path)
    cell = sys.stdin.read()
    exec(compile(cell, "<setup cell>", "exec"), {"__name__": "__main__"})
    print(json.dumps({
        "calls": calls,
        "executable": sys.executable,
        "path_added": [p for p in sys.path if p not in path_before],
    }))
    """
)


def _setup_cell(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


def _run_setup_cell(source: str, mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _HARNESS, mode],
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, f"the setup cell failed ({mode}):\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO_ROOT)) for p in paths]


def test_there_are_notebooks_to_check():
    """Does the course have notebooks at all (else the parametrised tests below would vanish)?"""
    assert _NOTEBOOKS, "no notebooks under solutions/ or notebooks/"
    assert {p.parent.name for p in _NOTEBOOKS} == set(assignment_ids())


@pytest.mark.parametrize("path", _NOTEBOOKS, ids=_ids(_NOTEBOOKS))
def test_setup_cell_in_colab_clones_and_installs_the_course(path: Path):
    """In Colab, the setup cell clones the course repository and pip-installs it, naming no torch."""
    cell = _setup_cell(path)
    assert cell.metadata.get("nbgrader", {}).get("grade_id") == "setup", (
        "the first code cell must be the locked setup cell (grade_id 'setup')"
    )
    outcome = _run_setup_cell(cell.source, "colab")
    calls = [c["args"] for c in outcome["calls"]]
    assert len(calls) == 2, f"expected a git clone and a pip install, got {calls}"
    clone, install = calls

    assert clone[:2] == ["git", "clone"], clone
    assert repository_url() in clone, f"clones {clone}, not {repository_url()}"
    destination = clone[-1]
    assert destination != repository_url() and destination.startswith("/"), clone

    # Colab's own interpreter runs pip, so the course lands where the notebook's kernel looks.
    assert install[:3] == [outcome["executable"], "-m", "pip"], install
    assert install[3] == "install" and "-e" in install, install
    assert install[install.index("-e") + 1] == destination, "pip must install the clone"
    assert not [a for a in install if "torch" in a.lower()], f"names torch: {install}"
    upgrades = {"-U", "--upgrade", "--force-reinstall", "-I", "--ignore-installed"}
    assert not upgrades & set(install), (
        f"pip options that would touch installed packages: {install}"
    )
    assert destination in outcome["path_added"], "the clone must be importable right away"


@pytest.mark.parametrize("path", _NOTEBOOKS, ids=_ids(_NOTEBOOKS))
def test_setup_cell_outside_colab_does_nothing(path: Path):
    """Outside Colab, the setup cell runs no command and leaves sys.path alone."""
    outcome = _run_setup_cell(_setup_cell(path).source, "local")
    assert outcome["calls"] == []
    assert outcome["path_added"] == []


def test_harness_notices_a_cell_that_installs_torch():
    """Would a setup cell that reinstalls torch be caught? (The check above is not vacuous.)"""
    bad = (
        "import subprocess, sys\n"
        "if 'google.colab' in sys.modules:\n"
        "    subprocess.run(['pip', 'install', 'torch==2.2.0'], check=True)\n"
    )
    outcome = _run_setup_cell(bad, "colab")
    assert outcome["calls"][0]["args"] == ["pip", "install", "torch==2.2.0"]
    assert _run_setup_cell(bad, "local")["calls"] == []


def _readme_badges() -> list[tuple[str, str]]:
    """(owner/repo, path) of every Colab link in README.md."""
    text = (REPO_ROOT / "README.md").read_text()
    return re.findall(
        r"https://colab\.research\.google\.com/github/([^/\s]+/[^/\s]+)/([^)\s\"]+)", text
    )


def test_readme_colab_badges_point_at_the_notebooks():
    """Every assignment has a Colab badge at github/<owner>/<repo>/blob/main/notebooks/<id>/<id>.ipynb."""
    owner_repo = repository_url().removeprefix("https://github.com/").removesuffix(".git")
    badges = _readme_badges()
    assert badges, "README.md has no Colab badge"
    linked = set()
    for repo, rest in badges:
        assert repo == owner_repo, f"badge points at {repo}, the repository is {owner_repo}"
        match = re.fullmatch(rf"blob/main/{RELEASE_DIR}/([^/]+)/([^/]+)\.ipynb", rest)
        assert match and match[1] == match[2], f"badge path {rest} is not notebooks/<id>/<id>.ipynb"
        linked.add(match[1])
        if not (REPO_ROOT / RELEASE_DIR / match[1] / f"{match[1]}.ipynb").is_file():
            assert match[1] in CURRICULUM_IDS, f"badge for {match[1]}, which is no assignment"
    missing = set(assignment_ids()) - linked
    assert not missing, f"assignments without a Colab badge in README.md: {sorted(missing)}"
    assert len(badges) == len(linked), "a notebook has two badges"


def _torch_requirements() -> dict[str, list[Requirement]]:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    sources = {
        "pyproject.toml": pyproject["project"]["dependencies"],
        "requirements.txt": [ln.split("#")[0].strip() for ln in lines],
    }
    return {
        name: [
            req
            for line in requirements
            if line and not line.startswith("-")
            for req in [Requirement(line)]
            if req.name.lower() in TORCH_FAMILY
        ]
        for name, requirements in sources.items()
    }


def test_requirements_never_downgrade_torch():
    """torch (and torchvision) are required with lower bounds only, so Colab's build satisfies them."""
    found = _torch_requirements()
    assert "torch" in [r.name for r in found["pyproject.toml"]], "pyproject.toml must require torch"
    keep = [Version(metadata.version("torch")), *map(Version, TORCH_VERSIONS_TO_KEEP)]
    for source, requirements in found.items():
        for req in requirements:
            operators = {spec.operator for spec in req.specifier}
            assert operators <= {">=", ">"}, f"{source}: {req} has an upper bound or a pin"
            if req.name == "torch":
                rejected = [str(v) for v in keep if not req.specifier.contains(v, prereleases=True)]
                assert not rejected, f"{source}: {req} would replace torch {rejected}"
