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
from autograder.heldout import course_seed
from autograder.reference import fingerprint
from autograder.sandbox import Limits, isolation_problem

pytestmark = pytest.mark.grading

# The demo notebook needs about 0.25 GiB; CI machines commit fresh pages at about 0.4 GiB/s, so
# a cell needs a few seconds to reach the memory limit before the cell time limit stops it.
LIMITS = Limits(
    cell_seconds=8, notebook_seconds=60, memory_bytes=int(0.75 * 2**30), output_bytes=2**20
)
FULL = {"test_square": 2.0, "test_softmax": 3.0, "test_quiz": 1.0, "explain": 0.0}


def _by_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def _students(
    course: Path, other_submission: Path, secrets: list[Path], overwrite: list[Path]
) -> dict[str, object]:
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
        f"print('SNOOPED', [p for p in [{paths}] if os.path.exists(p)])\n\n\n"
        "def square(x):\n    return x * x"
    )
    # k15: a root-minded attacker. It unmounts what hides the private files, then reads the
    # solution, overwrites a classmate's notebook, the course's helpers and the reference
    # evidence, and leaves code in /tmp for whoever runs next. k16 plants a link to the reference
    # evidence where the grader reads the run's outputs, then kills the executor.
    targets = ", ".join(repr(str(p)) for p in [other_submission, *overwrite])
    escape = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"for p in [{paths}]:\n"
        "    libc.umount2(os.path.dirname(p).encode(), 2)\n"
        "    libc.mount(b'none', os.path.dirname(p).encode(), b'tmpfs', 0, None)\n"
        f"stolen = [p for p in [{paths}] if os.path.exists(p)]\nprint('STOLEN', stolen)\n"
        "for p in stolen[:1]:  # the solution: run its answers\n"
        "    for c in __import__('json').load(open(p))['cells']:\n"
        "        exec(''.join(c['source']).replace('### BEGIN SOLUTION', ''), globals())\n"
        f"for p in [{targets}, '/tmp/sitecustomize.py']:\n"
        "    try:\n        open(p, 'w').write('raise SystemExit(1)')\n"
        "    except OSError as exc:\n        print('REFUSED', p, type(exc).__name__)\n\n\n"
        "def square(x):\n    return x * x"
    )
    planted = (
        "import os, signal\n"
        f"os.symlink({str(secrets[2])!r}, 'link.tmp')\nos.replace('link.tmp', 'results.json')\n"
        "os.mkdir('outcome.json')\nos.kill(os.getppid(), signal.SIGKILL)"
    )
    blank = "# YOUR CODE HERE\nraise NotImplementedError()"
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
        "k15_escape": solved(course, "tiny", square=escape, softmax=blank, quiz=blank),
        "k16_planted_link": solved(course, "tiny", quiz=planted),
    }


@pytest.fixture(scope="module")
def result(tiny_course: Path, grade_tiny, tmp_path_factory: pytest.TempPathFactory):
    subs = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("graded")
    other = subs / "s01_perfect" / "tiny.ipynb"
    secrets = [
        tiny_course / "solutions" / "tiny" / "tiny.ipynb",
        out / "gradebook.db",
        grade_tiny.keywords["reference_dir"] / "tiny" / "tiny.json",
    ]
    import course_utils

    helpers = Path(course_utils.__file__).parent
    overwrite = [helpers / "checks.py", secrets[2], out / "grades.csv"]
    for student_id, content in _students(tiny_course, other, secrets, overwrite).items():
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
    seed = course_seed(grade_tiny.keywords["reference_dir"])
    fingerprint_before = fingerprint(tiny_course / "solutions" / "tiny" / "tiny.ipynb", seed)
    start = time.monotonic()
    outcomes = {o.student_id: o for o in grade_tiny(subs, out, jobs=2, limits=LIMITS)}
    seconds = time.monotonic() - start
    # The next grading run, reference included, meets the same helpers and evidence.
    fingerprint_after = fingerprint(tiny_course / "solutions" / "tiny" / "tiny.ipynb", seed)
    reference = json.loads(secrets[2].read_text())
    after = sorted(
        (p.relative_to(subs).as_posix(), p.read_bytes()) for p in subs.rglob("*") if p.is_file()
    )
    return {
        "outcomes": outcomes,
        "out": out,
        "seconds": seconds,
        "untouched": before == after,
        "course_unchanged": fingerprint_before == fingerprint_after == reference["fingerprint"],
    }


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


def _printed(result, student: str, tag: str) -> list[str]:
    """What a student's notebook printed after ``tag`` (a Python list's repr), one item per line."""
    nb = nbformat.read(result["out"] / "work" / student / "tiny" / "executed.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return [line[len(tag) + 1 :] for line in text.splitlines() if line.startswith(tag + " ")]


needs_sandbox = pytest.mark.skipif(
    isolation_problem() is not None, reason=f"no sandbox: {isolation_problem()}"
)


@needs_sandbox
def test_14_private_files_are_out_of_reach(result):
    """(14) solutions, the gradebook, reference evidence and other submissions do not exist for student code."""
    assert _printed(result, "k14_snoop", "SNOOPED") == ["[]"]
    assert cells(result["outcomes"]["k14_snoop"])["test_square"] == 2.0


@needs_sandbox
def test_15_unmounting_and_overwriting_gain_nothing(result):
    """(15) a root-minded attacker lifts no hide, writes nothing outside its folder, harms no one."""
    o = result["outcomes"]
    assert _printed(result, "k15_escape", "STOLEN") == ["[]"]
    refused = _printed(result, "k15_escape", "REFUSED")
    # Every write outside its folder is refused; /tmp is writable but its own, and gone after.
    assert len(refused) == 4, refused
    assert all(line.endswith(("OSError", "FileNotFoundError")) for line in refused), refused
    assert not Path("/tmp/sitecustomize.py").exists()
    assert cells(o["k15_escape"]) == {**FULL, "test_softmax": 0.0, "test_quiz": 0.0}
    assert cells(o["s01_perfect"]) == FULL  # the classmate it aimed at
    assert result["course_unchanged"]  # helpers, data and reference evidence as before


@needs_sandbox
def test_16_planted_link_where_the_grader_reads(result):
    """(16) a link planted as executed.ipynb makes only its own row crashed, and reads nothing."""
    o = result["outcomes"]["k16_planted_link"]
    assert o.status == "crashed" and o.score == 0, o
    state = result["out"] / "work" / "k16_planted_link" / "tiny"
    assert (state / "outcome.json").is_file() and not (state / "executed.ipynb").exists()
    assert not (result["out"] / ".sandbox").exists()  # scratch folders are gone


def test_class_is_bounded_and_submissions_untouched(result):
    """The class, hangs and blow-ups included, grades in bounded time and the submissions folder is unchanged."""
    assert result["untouched"]
    assert result["seconds"] < 300
    with open(result["out"] / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(result["outcomes"])
