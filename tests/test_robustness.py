"""Does one class with every kind of bad submission grade correctly, in parallel, in bounded time?

The demo assignment (tests/conftest.py) has test cells test_square (2 points), test_softmax (3),
test_quiz (1) and a hand-graded written answer (2). Each student below is one kind of
submission from the grader issue; the assertions are their expected outcomes.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import nbformat
import pytest

from autograder.demo import simulated_class, solved
from autograder.grade import grade
from autograder.sandbox import Limits, isolation_available

pytestmark = pytest.mark.grading

# The demo notebook needs about 0.25 GiB; CI machines commit fresh pages at about 0.4 GiB/s, so
# a cell needs a few seconds to reach the memory limit before the cell time limit stops it.
LIMITS = Limits(
    cell_seconds=8, notebook_seconds=60, memory_bytes=int(0.75 * 2**30), output_bytes=2**20
)
FULL = {"test_square": 2.0, "test_softmax": 3.0, "test_quiz": 1.0, "explain": 0.0}


def _by_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def _students(course: Path, other_submission: Path, secrets: list[Path]) -> dict[str, object]:
    """Every kind of submission, keyed by student id; values are notebooks or raw file contents."""
    s = simulated_class(course)
    ignore_interrupts = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    print('spam ' * 200)"
    segfault = "import ctypes\nctypes.string_at(0)"
    memory_hog = (
        'blocks = []\nwhile True:\n    blocks.append(b"x" * (50 * 2**20))  # touched, so resident'
    )
    always_equal = (
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n\n\n"
        "def softmax(Z):\n    return Anything()"
    )
    transformer = (
        "from IPython import get_ipython\n\n\n"
        "def skip_tests(lines):\n    return ['pass\\n'] if lines and 'check' in ''.join(lines) else lines\n\n\n"
        "get_ipython().input_transformers_post.append(skip_tests)\n\n\n"
        "def softmax(Z):\n    return Z"
    )
    paths = ", ".join(repr(str(p)) for p in [*secrets, other_submission])
    snoop = (
        "import os\n"
        f"found = [p for p in [{paths}] if os.path.exists(p)]\n"
        "open('snooped.json', 'w').write(__import__('json').dumps(found))\n\n\n"
        "def square(x):\n    return x * x"
    )
    reordered = solved(course, "tiny")
    reordered.cells = reordered.cells[:3] + list(reversed(reordered.cells[3:]))
    duplicated = solved(course, "tiny")
    duplicated.cells = duplicated.cells + duplicated.cells[3:7]
    deleted = solved(course, "tiny")
    deleted.cells = [c for c in deleted.cells if _by_id(deleted).get("test_square") is not c]
    metadata = solved(course, "tiny")
    meta = _by_id(metadata)
    meta["test_softmax"].metadata["nbgrader"].update(points=50, locked=False)
    meta["test_quiz"].metadata["nbgrader"]["grade_id"] = "test_square"
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    return {
        **s,
        "k05_ignores_interrupts": solved(course, "tiny", square=ignore_interrupts),
        "k06_segfault": solved(course, "tiny", quiz=segfault),
        "k07_memory": solved(course, "tiny", quiz=memory_hog),
        "k09_deleted": deleted,
        "k09_duplicated": duplicated,
        "k09_reordered": reordered,
        "k10_metadata": metadata,
        "k11_malformed": b'{"cells": [',
        "k11_empty": b"",
        "k11_v3": json.dumps(v3).encode(),
        "k13_always_equal": solved(course, "tiny", softmax=always_equal),
        "k13_transformer": solved(course, "tiny", softmax=transformer),
        "k14_snoop": solved(course, "tiny", square=snoop),
    }


@pytest.fixture(scope="module")
def result(tiny_course: Path, tmp_path_factory: pytest.TempPathFactory):
    subs = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("graded")
    other = subs / "s01_perfect" / "tiny.ipynb"
    secrets = [
        tiny_course / "solutions" / "tiny" / "tiny.ipynb",
        out / "gradebook.db",
        out / "reference",
    ]
    for student_id, content in _students(tiny_course, other, secrets).items():
        folder = subs / student_id
        folder.mkdir()
        target = folder / "tiny.ipynb"
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            nbformat.write(content, target)
    (subs / "k11_wrong_name").mkdir()
    nbformat.write(solved(tiny_course, "tiny"), subs / "k11_wrong_name" / "tiny (1).ipynb")
    # k12: extra files, a fake course_utils and a data file beside a wrong answer
    extra = subs / "k12_extra_files"
    extra.mkdir()
    nbformat.write(
        solved(tiny_course, "tiny", softmax="def softmax(Z):\n    return Z"), extra / "tiny.ipynb"
    )
    (extra / "course_utils").mkdir()
    (extra / "course_utils" / "__init__.py").write_text("raise SystemExit('fake helpers')")
    (extra / "course_utils" / "checks.py").write_text("def record(*a, **k): pass")
    (extra / "numpy.py").write_text("raise SystemExit('shadowed numpy')")
    (extra / "notes.txt").write_text("hello")
    before = sorted(
        (p.relative_to(subs).as_posix(), p.read_bytes()) for p in subs.rglob("*") if p.is_file()
    )
    start = time.monotonic()
    outcomes = {o.student_id: o for o in grade(subs, out, root=tiny_course, jobs=2, limits=LIMITS)}
    seconds = time.monotonic() - start
    after = sorted(
        (p.relative_to(subs).as_posix(), p.read_bytes()) for p in subs.rglob("*") if p.is_file()
    )
    return {"outcomes": outcomes, "out": out, "seconds": seconds, "untouched": before == after}


def cells(outcome) -> dict[str, float]:
    return {c["grade_id"]: c["score"] for c in outcome.cells}


def test_1_2_untouched_and_perfect(result):
    """(1) the untouched release scores 0, status graded; (2) the solution scores full marks."""
    o = result["outcomes"]
    assert o["s02_empty"].status == "graded" and o["s02_empty"].score == 0
    assert o["s01_perfect"].status == "graded" and cells(o["s01_perfect"]) == FULL


def test_3_one_wrong_function(result):
    """(3) a wrong softmax loses test_softmax's points only, and the message names it."""
    o = result["outcomes"]["s03_partly_wrong"]
    assert cells(o) == {**FULL, "test_softmax": 0.0}
    assert "test_softmax" in o.message


def test_4_infinite_loop_times_out_and_the_rest_is_graded(result):
    """(4) the looping cell is interrupted at the cell limit; later cells still earn points."""
    o = result["outcomes"]["s04_hanging"]
    assert o.status == "timeout" and "square" in o.message
    assert cells(o) == {**FULL, "test_square": 0.0}


def test_5_ignoring_interrupts_and_printing_forever(result):
    """(5) a cell that ignores SIGINT and prints forever is killed, its output capped, its status marked."""
    o = result["outcomes"]["k05_ignores_interrupts"]
    assert o.status == "timeout" and "ignored the interrupt" in o.message
    assert o.score == 0
    nb = nbformat.read(
        result["out"] / "work" / "k05_ignores_interrupts" / "tiny" / "executed.ipynb", as_version=4
    )
    assert len(json.dumps(nb)) < 3 * LIMITS.output_bytes


@pytest.mark.parametrize("student", ["s05_crashing", "k06_segfault"])
def test_6_kernel_death_keeps_earlier_results(result, student):
    """(6) os._exit or a segfault: status crashed, the cells graded before it keep their points."""
    o = result["outcomes"][student]
    assert o.status == "crashed", o.message
    assert cells(o) == {**FULL, "test_quiz": 0.0}


def test_7_memory_blowup_is_stopped(result):
    """(7) a submission allocating without bound is stopped at the limit; earlier cells keep their points."""
    o = result["outcomes"]["k07_memory"]
    assert o.status == "crashed" and "GiB of memory" in o.message
    assert cells(o) == {**FULL, "test_quiz": 0.0}


@pytest.mark.parametrize(
    "student", ["s06_tampered", "k09_deleted", "k09_duplicated", "k09_reordered", "k10_metadata"]
)
def test_8_9_10_edited_deleted_shuffled_cells_and_metadata(result, student):
    """(8-10) edited, emptied, deleted, duplicated, reordered test cells and tampered metadata grade as intact."""
    o = result["outcomes"][student]
    assert o.status == "graded" and cells(o) == FULL and o.max_score == 8.0, o


@pytest.mark.parametrize(
    ("student", "status", "reason"),
    [
        ("k11_malformed", "invalid", "not a valid Jupyter notebook"),
        ("k11_empty", "invalid", "the file is empty"),
        ("k11_v3", "invalid", "nbformat 3 is not supported"),
        ("k11_wrong_name", "missing", "found tiny (1).ipynb but not tiny.ipynb"),
    ],
)
def test_11_unreadable_or_misnamed(result, student, status, reason):
    """(11) bad files are invalid or missing, with the reason, and score 0."""
    o = result["outcomes"][student]
    assert o.status == status and reason in o.message and o.score == 0


def test_12_extra_files_are_ignored(result):
    """(12) a fake course_utils, a shadowing numpy.py and other files change nothing: only the notebook runs."""
    o = result["outcomes"]["k12_extra_files"]
    assert o.status == "graded" and cells(o) == {**FULL, "test_softmax": 0.0}


@pytest.mark.parametrize("student", ["s07_cheating", "k13_always_equal", "k13_transformer"])
def test_13_tampering_with_the_checks_earns_nothing(result, student):
    """(13) patched comparisons and helpers, always-equal objects, input transformers: no softmax points."""
    o = result["outcomes"][student]
    assert cells(o)["test_softmax"] == 0.0
    assert cells(o)["test_square"] == 2.0


@pytest.mark.skipif(not isolation_available(), reason="needs Linux user namespaces (unshare)")
def test_14_private_files_are_out_of_reach(result):
    """(14) solutions, the gradebook, reference evidence and other submissions do not exist for student code."""
    snooped = result["out"] / "work" / "k14_snoop" / "tiny" / "snooped.json"
    assert json.loads(snooped.read_text()) == []
    assert cells(result["outcomes"]["k14_snoop"])["test_square"] == 2.0


def test_class_is_bounded_and_submissions_untouched(result):
    """The class, hangs and blow-ups included, grades in bounded time and the submissions folder is unchanged."""
    assert result["untouched"]
    assert result["seconds"] < 300
    with open(result["out"] / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(result["outcomes"])
