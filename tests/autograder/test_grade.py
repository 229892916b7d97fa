"""Tests for autograder/grade.py: nbgrader grading under the evidence protocol, end to end."""

from __future__ import annotations

import csv
import functools
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main
from autograder.course import REPO_ROOT
from autograder.demo import DEMO_SOURCE, make_demo_course, solved
from autograder.export import GRADE_FIELDS, SCORE_FIELDS, write_feedback
from autograder.grade import grade
from autograder.preparation import Course, time_limits
from autograder.sandbox import CELL_FACTOR, CELL_FLOOR, Limits, isolation_problem
from autograder.submissions import GradingError, Outcome

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def graded(tiny_course: Path, grade_tiny, tmp_path_factory: pytest.TempPathFactory):
    """A simulated class of the tiny assignment, graded once."""
    subs = tmp_path_factory.mktemp("submissions")
    released = tiny_course / "notebooks" / "tiny" / "tiny.ipynb"
    wrong_softmax = (
        "def softmax(Z):\n    E = np.exp(Z)\n    return E / E.sum(axis=1, keepdims=True)"
    )
    cheat = (
        "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
        "import course_utils.checks as ck\nck.check_close = lambda *a, **k: None\n"
        "from IPython import get_ipython\nget_ipython().showtraceback = lambda *a, **k: None\n"
        "def softmax(Z):\n    return np.ones_like(Z) / Z.shape[1]"
    )
    torch_square = (
        "import torch\n\n\ndef square(x):\n    return torch.nn.Linear(3, 4)(torch.zeros(2, 5))"
    )
    class_ = {
        "perfect": solved(tiny_course, "tiny"),
        # a raw error from inside torch, and a failed check_close
        "tracebacks": solved(
            tiny_course, "tiny", square=torch_square, softmax="def softmax(Z):\n    return Z"
        ),
        "untouched": nbformat.read(released, as_version=4),
        "wrong": solved(tiny_course, "tiny", softmax=wrong_softmax),
        "cheat": solved(tiny_course, "tiny", softmax=cheat),
    }
    for student, nb in class_.items():
        (subs / student).mkdir()
        nbformat.write(nb, subs / student / "tiny.ipynb")
    (subs / "broken").mkdir()
    (subs / "broken" / "tiny.ipynb").write_text("{ not json")
    (subs / "absent").mkdir()
    before = sorted((p.relative_to(subs), p.stat().st_mtime_ns) for p in subs.rglob("*"))
    out = tmp_path_factory.mktemp("out")
    outcomes = {o.student_id: o for o in grade_tiny(subs, out)}
    after = sorted((p.relative_to(subs), p.stat().st_mtime_ns) for p in subs.rglob("*"))
    return outcomes, out, before == after


def _cell_scores(outcome):
    return {c["grade_id"]: c["score"] for c in outcome.cells}


def test_solution_scores_every_autograded_point(graded):
    """The reference solution earns all 6 autograded points; the written answer awaits a human."""
    outcomes, _, _ = graded
    perfect = outcomes["perfect"]
    assert perfect.status == "graded"
    assert _cell_scores(perfect) == {
        "test_square": 2.0,
        "test_softmax": 3.0,
        "test_quiz": 1.0,
        "explain": 0.0,
    }
    assert perfect.max_score == 8.0 and "2 point(s) await manual grading" in perfect.message
    explain = next(c for c in perfect.cells if c["grade_id"] == "explain")
    assert explain["message"] == "awaiting manual grading"  # not a silent 0 in scores.csv


def test_untouched_release_scores_zero(graded):
    """The released notebook handed in as is earns nothing, with status graded."""
    outcomes, _, _ = graded
    assert outcomes["untouched"].status == "graded" and outcomes["untouched"].score == 0.0


def test_one_wrong_function_loses_exactly_its_points(graded):
    """softmax without max-subtraction loses test_softmax's 3 points and nothing else."""
    outcomes, _, _ = graded
    assert _cell_scores(outcomes["wrong"]) == {
        "test_square": 2.0,
        "test_softmax": 0.0,
        "test_quiz": 1.0,
        "explain": 0.0,
    }


def test_patching_the_checks_earns_nothing(graded):
    """Patched np.allclose, check helpers and traceback display do not rescue a wrong softmax."""
    outcomes, out, _ = graded
    assert _cell_scores(outcomes["cheat"])["test_softmax"] == 0.0
    nb = nbformat.read(
        out / "course" / "autograded" / "cheat" / "tiny" / "tiny.ipynb", as_version=4
    )
    (cell,) = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax"
    ]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "softmax/random" in errors[-1].evalue


def test_invalid_and_missing_submissions_are_reported(graded):
    """Unreadable JSON is invalid with a reason; a student without the notebook is missing."""
    outcomes, _, _ = graded
    assert (
        outcomes["broken"].status == "invalid"
        and "not a valid Jupyter notebook" in outcomes["broken"].message
    )
    assert outcomes["absent"].status == "missing"


def test_outputs_written_and_submissions_untouched(graded):
    """grades.csv, scores.csv and HTML feedback exist; the submissions folder is unchanged."""
    outcomes, out, unchanged = graded
    assert unchanged
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == GRADE_FIELDS and len(rows) == len(outcomes)
    with open(out / "scores.csv") as f:
        scores = list(csv.DictReader(f))
    assert tuple(scores[0]) == SCORE_FIELDS
    assert {(r["student_id"], r["grade_id"]) for r in scores} >= {
        ("wrong", "test_softmax"),
        ("perfect", "test_quiz"),
    }
    assert (out / "feedback" / "wrong" / "tiny.html").is_file()
    feedback = (out / "feedback" / "wrong" / "tiny.html").read_text()
    assert "HiddenTestFailed" in feedback  # the reasons, in words
    assert "default_rng" not in feedback  # but not the hidden tests' source


def _page_text(path: Path) -> str:
    """An HTML page's text, as a reader sees it (no tags, no entities)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_feedback_shows_the_students_lines_and_no_grading_machine(graded, tiny_course):
    """A raw torch error and a failed check reach scores.csv and the HTML feedback with the
    student's lines and the reason: no torch or course_utils frame, no path of the grader, no
    line of the hidden tests."""
    outcomes, out, _ = graded
    assert _cell_scores(outcomes["tracebacks"])["test_square"] == 0.0
    feedback = _page_text(out / "feedback" / "tracebacks" / "tiny.html")
    with open(out / "scores.csv") as f:
        messages = {
            r["grade_id"]: r["message"]
            for r in csv.DictReader(f)
            if r["student_id"] == "tracebacks"
        }
    assert messages["test_square"].startswith("RuntimeError: mat1 and mat2 shapes cannot be")
    assert messages["test_softmax"].startswith("CheckFailed: softmax: 2 of 2 value(s) differ")
    assert "return torch.nn.Linear(3, 4)(torch.zeros(2, 5))" in feedback  # the student's line
    assert "largest error 0.5 at index (0, 0)" in feedback
    for text in (feedback, "\n".join(messages.values())):
        for leak in ("site-packages", "module.py", "checks.py", "default_rng", "HIDDEN TESTS"):
            assert leak not in text, leak
        for path in (out, tiny_course, REPO_ROOT, Path.home()):
            assert str(path.resolve()) not in text and str(path) not in text, path


def test_a_written_answer_awaits_grading_in_the_feedback(graded):
    """An ungraded written answer reads 'awaiting grading' in the HTML, not a score of 0."""
    _, out, _ = graded
    feedback = (out / "feedback" / "perfect" / "tiny.html").read_text()
    assert "Written response</a> (awaiting grading, out of 2.0)" in feedback
    assert "2.0 points awaiting grading" in feedback
    assert "0.0 / 2.0" not in feedback  # every other cell of this student scored in full


def test_cli_reports_instructor_errors(tmp_path, capsys):
    """Unknown assignments and missing folders exit 2 with a message saying what to fix."""
    assert main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    assert (
        main(
            [
                "grade",
                str(tmp_path / "subs"),
                "--out",
                str(tmp_path / "out"),
                "--assignment",
                "nope",
            ]
        )
        == 2
    )
    assert "unknown assignment 'nope'" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("not a folder")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "a_file" / "out")]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err


def _write_class(folder: Path, course: Path, students: dict[str, dict[str, str]]) -> Path:
    for student, answers in students.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(solved(course, "tiny", **answers), folder / student / "tiny.ipynb")
    return folder


def _grades(out: Path) -> dict[str, tuple[str, str]]:
    with open(out / "grades.csv") as f:
        return {r["student_id"]: (r["score"], r["status"]) for r in csv.DictReader(f)}


def test_regrading_is_stable_and_keeps_manual_grades(tiny_course, grade_tiny, tmp_path):
    """Grading twice gives the same grades, and a hand-entered score survives the re-grade."""
    from nbgrader.api import Gradebook

    subs = _write_class(
        tmp_path / "subs", tiny_course, {"a": {}, "b": {"softmax": "def softmax(Z):\n    return Z"}}
    )
    out = tmp_path / "out"
    grade_tiny(subs, out, jobs=2)
    first = _grades(out)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        gb.find_grade("explain", "tiny", "tiny", "a").manual_score = 1.5
        gb.db.commit()
    regraded = {o.student_id: o for o in grade_tiny(subs, out, jobs=2)}
    assert "await manual grading" not in regraded["a"].message
    assert _grades(out) == {"a": ("7.5", "graded"), "b": first["b"]}
    assert first["a"] == ("6.0", "graded")
    feedback = (out / "feedback" / "a" / "tiny.html").read_text()
    assert "awaiting grading" not in feedback and "Score: 1.5 / 2.0" in feedback  # graded now


def test_shards_partition_the_class_and_merge_back(tiny_course, grade_tiny, tmp_path):
    """--shard K/N splits students deterministically; merge gives the grades of one whole run."""
    from autograder.merge import merge
    from autograder.submissions import in_shard

    students = {
        f"s{i:02d}": {} if i % 2 else {"softmax": "def softmax(Z):\n    return Z"} for i in range(6)
    }
    subs = _write_class(tmp_path / "subs", tiny_course, students)
    shares = [{s for s in students if in_shard(s, (k, 2))} for k in (1, 2)]
    assert shares[0] | shares[1] == set(students) and not shares[0] & shares[1]
    outs = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, out in enumerate(outs, start=1):
        graded = grade_tiny(subs, out, jobs=2, shard=(k, 2))
        assert {o.student_id for o in graded} == shares[k - 1]
    merged = merge(outs, tmp_path / "merged", root=tiny_course)
    assert {o.student_id for o in merged} == set(students)
    assert all(o.score == (6.0 if int(o.student_id[1:]) % 2 else 3.0) for o in merged)
    assert (tmp_path / "merged" / "feedback" / "s00" / "tiny.html").is_file()
    assert len(_grades(tmp_path / "merged")) == 6


def test_zip_and_nbgrader_layouts(tiny_course, grade_tiny, tmp_path):
    """A zip of the class folder and nbgrader's submitted/<student>/<assignment>/ layout both grade."""
    import zipfile

    subs = _write_class(tmp_path / "class", tiny_course, {"z1": {}})
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as zf:
        zf.write(subs / "z1" / "tiny.ipynb", "class/z1/tiny.ipynb")
        # one student's unsafe member makes that student invalid, not the class ungraded
        # (ZipInfo keeps the name as given; zf.write would normalise it)
        notebook = (subs / "z1" / "tiny.ipynb").read_bytes()
        for name in (
            "class/z2/../../x.ipynb",
            "class/z3/tiny.ipynb",
            "class/z3/../../../escaped.ipynb",
        ):
            zf.writestr(zipfile.ZipInfo(name), notebook)
    outcomes = {o.student_id: o for o in grade_tiny(tmp_path / "class.zip", tmp_path / "out_zip")}
    assert outcomes["z1"].score == 6.0 and outcomes["z1"].status == "graded"
    for student, member in [("z2", "class/z2/../../x.ipynb"), ("z3", "escaped.ipynb")]:
        assert outcomes[student].status == "invalid" and "unsafe path" in outcomes[student].message
        assert member in outcomes[student].message
    assert (
        not list(tmp_path.rglob("escaped.ipynb"))
        and not (tmp_path / "out_zip" / "x.ipynb").exists()
    )
    layout = tmp_path / "course" / "submitted" / "n1" / "tiny"
    layout.mkdir(parents=True)
    nbformat.write(solved(tiny_course, "tiny"), layout / "tiny.ipynb")
    (layout / "timestamp.txt").write_text("2026-11-01 12:00:00.000000 UTC")
    assert _grades_of(grade_tiny(tmp_path / "course", tmp_path / "out_nb")) == {"n1": 6.0}


def _grades_of(outcomes) -> dict[str, float]:
    return {o.student_id: o.score for o in outcomes}


def test_cli_grade_merge_and_usage_errors(tmp_path, capsys):
    """Bad --shard values are usage errors; a missing shard folder exits 2 with a message."""
    with pytest.raises(SystemExit):
        main(["grade", "x", "--out", "y", "--shard", "3/2"])
    assert "K must lie between 1 and N" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "nope"), "--out", str(tmp_path / "m")]) == 2
    assert "no grades.csv" in capsys.readouterr().err


def test_links_out_of_the_submissions_folder_are_invalid(tiny_course, grade_tiny, tmp_path):
    """A hand-in that is a symbolic link (to the solution, say) is invalid; its classmates grade."""
    subs = _write_class(tmp_path / "subs", tiny_course, {"honest": {}})
    solution = tiny_course / "solutions" / "tiny" / "tiny.ipynb"
    (subs / "linked").mkdir()
    (subs / "linked" / "tiny.ipynb").symlink_to(solution)
    (subs / "linked_folder").symlink_to(solution.parent, target_is_directory=True)
    outcomes = {o.student_id: o for o in grade_tiny(subs, tmp_path / "out")}
    assert outcomes["honest"].score == 6.0
    for student in ("linked", "linked_folder"):
        assert outcomes[student].status == "invalid", outcomes[student]
        assert "symbolic link" in outcomes[student].message and outcomes[student].score == 0


def test_refuses_to_run_student_code_without_a_sandbox(tiny_course, tmp_path, monkeypatch, capsys):
    """No bubblewrap: grade exits 2 saying how to get it, unless --no-sandbox is given."""
    import autograder.grade as grade_module

    monkeypatch.setattr(
        grade_module, "isolation_problem", lambda: "bubblewrap (bwrap) is not installed"
    )
    subs = _write_class(tmp_path / "subs", tiny_course, {"a": {}})
    with pytest.raises(grade_module.GradingError, match="apt-get install bubblewrap"):
        grade_module.grade(subs, tmp_path / "out", root=tiny_course)
    assert not (tmp_path / "out" / "grades.csv").exists()
    assert main(["grade", str(subs), "--out", str(tmp_path / "o"), "--assignment", "nope"]) == 2
    assert "unknown assignment" in capsys.readouterr().err  # instructor input is checked first
    assert main(["grade", str(subs), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "cannot be sandboxed here: bubblewrap (bwrap) is not installed" in err
    assert "--no-sandbox" in err
    unconfined = grade_module.grade(subs, tmp_path / "out", root=tiny_course, sandbox=False)
    assert [(o.student_id, o.score) for o in unconfined] == [("a", 6.0)]


def test_a_grader_failure_with_one_submission_is_only_its_row(
    tiny_course, grade_tiny, tmp_path, monkeypatch
):
    """An exception while running or scoring one submission makes its row crashed; the rest grade."""
    import autograder.execution as execution
    import autograder.scoring as scoring

    subs = _write_class(
        tmp_path / "subs", tiny_course, {"fine": {}, "run_fails": {}, "score_fails": {}}
    )
    canonicalize, score_one = execution.canonicalize, scoring.score_one

    def failing_canonicalize(nb, source):
        if "run_fails" in json.dumps(nb.metadata):
            raise RuntimeError("disk full")
        return canonicalize(nb, source)

    def failing_score_one(course, outcome, *args, **kwargs):
        if outcome.student_id == "score_fails":
            raise OSError("gradebook locked")
        return score_one(course, outcome, *args, **kwargs)

    for student in ("fine", "run_fails", "score_fails"):  # mark each notebook with its owner
        path = subs / student / "tiny.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.metadata["owner"] = student
        nbformat.write(nb, path)
    monkeypatch.setattr(execution, "canonicalize", failing_canonicalize)
    monkeypatch.setattr(scoring, "score_one", failing_score_one)
    outcomes = {o.student_id: o for o in grade_tiny(subs, tmp_path / "out", jobs=2)}
    assert outcomes["fine"].score == 6.0 and outcomes["fine"].status == "graded"
    assert outcomes["run_fails"].status == "crashed"
    assert "while running it (RuntimeError: disk full)" in outcomes["run_fails"].message
    assert outcomes["score_fails"].status == "crashed"
    assert "while scoring it (OSError: gradebook locked)" in outcomes["score_fails"].message
    assert len(_grades(tmp_path / "out")) == 3


def test_feedback_shows_the_hidden_tests_only_when_asked(tiny_course, grade_tiny, tmp_path):
    """--show-hidden-tests puts the hidden tests' source back into the HTML feedback."""
    subs = tmp_path / "subs"
    (subs / "s").mkdir(parents=True)
    nbformat.write(solved(tiny_course, "tiny"), subs / "s" / "tiny.ipynb")
    grade_tiny(subs, tmp_path / "out", show_hidden_tests=True)
    assert "default_rng" in (tmp_path / "out" / "feedback" / "s" / "tiny.html").read_text()


def test_feedback_that_nbgrader_cannot_write_is_reported(tmp_path: Path, monkeypatch, capsys):
    """The grades stand, but the instructor hears which student gets no HTML feedback, and why."""

    class FailingApi:
        def generate_feedback(self, assignment_id, student_id):
            return {"success": False, "error": "Traceback ...\nTemplateNotFound: in_words.html.j2"}

    course = Course(root=tmp_path, db_path=tmp_path / "gradebook.db", reference_dir=tmp_path)
    monkeypatch.setattr(Course, "api", lambda self, **kwargs: FailingApi())
    write_feedback(course, [Outcome("s01", "tiny", "graded")], tmp_path / "out")
    assert not (tmp_path / "out" / "feedback").exists()
    assert (
        "warning: no HTML feedback for s01 / tiny: TemplateNotFound: in_words.html.j2"
        in capsys.readouterr().err
    )


def _course_of_two(tmp_path: Path) -> Path:
    """The demo course with a second assignment, ``tiny2``, a copy of ``tiny``."""
    root = make_demo_course(tmp_path / "course")
    second = tmp_path / "tiny2.ipynb"
    shutil.copy(DEMO_SOURCE, second)
    return make_demo_course(root, second)


def test_only_what_the_class_handed_in_is_graded(tmp_path: Path):
    """No reference run and no rows for an assignment nobody handed in; "missing" only for the
    student who lacks one that classmates handed in; a second run reuses the reference cache."""
    course = _course_of_two(tmp_path)
    subs, cache = tmp_path / "subs", tmp_path / "cache"
    run = functools.partial(
        grade, subs, root=course, reference_dir=cache, sandbox=isolation_problem() is None
    )
    _write_class(subs, course, {"a": {}, "b": {}})
    outcomes = run(tmp_path / "out1")
    assert [(o.student_id, o.assignment_id, o.status) for o in outcomes] == [
        ("a", "tiny", "graded"),
        ("b", "tiny", "graded"),
    ]
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == ["tiny"]
    with open(tmp_path / "out1" / "grades.csv") as f:
        assert {r["assignment_id"] for r in csv.DictReader(f)} == {"tiny"}

    reference = cache / "tiny" / "tiny.json"
    built = reference.stat().st_mtime_ns
    nbformat.write(solved(course, "tiny2"), subs / "a" / "tiny2.ipynb")
    outcomes = run(tmp_path / "out2")
    assert [(o.student_id, o.assignment_id, o.status) for o in outcomes] == [
        ("a", "tiny", "graded"),
        ("a", "tiny2", "graded"),
        ("b", "tiny", "graded"),
        ("b", "tiny2", "missing"),
    ]
    assert reference.stat().st_mtime_ns == built  # a new OUT folder, the same reference run


def test_a_class_with_no_notebook_of_the_course_is_an_instructor_error(tmp_path: Path):
    """Misnamed notebooks everywhere: exit 2 naming what was found, no empty gradebook."""
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    (tmp_path / "subs" / "s1" / "tiny (1).ipynb").write_text("{}")
    with pytest.raises(GradingError, match=r"found s1/tiny \(1\)\.ipynb\. Rename"):
        grade(tmp_path / "subs", tmp_path / "out", root=make_demo_course(tmp_path / "c"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("return x * x", "return x + x"),
            "the reference solution of tiny cannot serve as the reference: cell 'test_square' "
            "raised CheckFailed: square: 2 of 2 value(s) differ. (and 1 more). Fix "
            "solutions/tiny/tiny.ipynb until it passes its own tests",
        ),
        (
            (
                '    """Elementwise square of an ndarray."""',
                '    """Elementwise square."""\n    import time\n\n    time.sleep(60)',
            ),
            "the reference solution of tiny ran past the 3 s cell limit in cell 'test_square': "
            "grade on a less busy machine or raise the limit with --timeout",
        ),
    ],
    ids=["fails its test", "hangs"],
)
def test_a_broken_reference_ends_the_run_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, change, expected
):
    """The CLI exits 2 with one line naming the assignment, the cell and what to do."""
    import autograder.commands.grade as command

    course = make_demo_course(tmp_path / "course")
    path = course / "solutions" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "square":
            assert change[0] in cell.source
            cell.source = cell.source.replace(*change)
    nbformat.write(nb, path)
    subs = _write_class(tmp_path / "subs", course, {"a": {}})
    monkeypatch.setattr(
        command, "grade", functools.partial(grade, root=course, sandbox=isolation_problem() is None)
    )
    out, cache = tmp_path / "out", tmp_path / "cache"
    argv = [
        "grade",
        str(subs),
        "--out",
        str(out),
        "--timeout",
        "3",
        "--reference-cache",
        str(cache),
    ]
    assert main(argv) == 2
    assert cache.is_dir() and not (out / "grades.csv").exists()  # the cache that was named
    err = capsys.readouterr().err
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1, err


def test_time_limits_follow_the_reference_run():
    """Each cell gets CELL_FACTOR times its reference time, at least CELL_FLOOR; a student's own
    cell gets the longest cell's limit; --timeout and --notebook-timeout win."""
    cells = [nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": g}}) for g in "ab"]
    nb = nbformat.v4.new_notebook(cells=[*cells, nbformat.v4.new_code_cell("# a student's own")])
    seconds = {"a": 0.5, "b": 400.0}
    limits, cell_limits = time_limits(nb, seconds, Limits())
    assert cell_limits == [CELL_FLOOR, CELL_FACTOR * 400, CELL_FACTOR * 400]
    assert limits.notebook_seconds == 2003  # 5 x 400.5 s, rounded up
    limits, cell_limits = time_limits(nb, seconds, Limits(cell_seconds=7, notebook_seconds=70))
    assert cell_limits == [7, 7, 7] and limits.notebook_seconds == 70


def test_a_cell_far_slower_than_the_reference_times_out(
    tiny_course, grade_tiny, tmp_path, monkeypatch
):
    """With the floor lowered to 3 s, a cell that sleeps 30 s where the reference took
    milliseconds is stopped, named in the message, and the rest of the notebook is graded."""
    import autograder.preparation as preparation

    monkeypatch.setattr(preparation, "CELL_FLOOR", 3)
    slow = "import time\n\ntime.sleep(30)\n\n\ndef square(x):\n    return x * x"
    subs = _write_class(tmp_path / "subs", tiny_course, {"slow": {"square": slow}, "quick": {}})
    outcomes = {o.student_id: o for o in grade_tiny(subs, tmp_path / "out")}
    assert outcomes["quick"].status == "graded" and outcomes["quick"].score == 6.0
    slow_run = outcomes["slow"]
    assert slow_run.status == "timeout", slow_run
    assert "cell square ran longer than 3 s" in slow_run.message
    assert _cell_scores(slow_run)["test_softmax"] > 0  # the cells after it still ran
