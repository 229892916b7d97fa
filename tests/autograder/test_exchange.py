"""The JupyterHub route, end to end: nbgrader's exchange takes an assignment out to two students
and brings their work back, ``python -m autograder grade`` grades what ``nbgrader collect``
gathered, and the feedback goes back through the exchange to each student alone.

Every step is the command README.md gives (``INSTRUCTOR`` and ``STUDENT`` below), run as a
subprocess on a temporary exchange folder, with no network.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import COURSE_ID, REPO_ROOT
from autograder.demo import solved
from autograder.evidence import grade_id, nbgrader_meta
from autograder.merge import merge
from autograder.sandbox import isolation_problem

pytestmark = pytest.mark.grading

ASSIGNMENT = "01_mlp_backprop"
# The instructor's commands, run from the repository root, in order. EXCHANGE is the folder every
# user's server shares (nbgrader's default is /srv/nbgrader/exchange), COURSE where collect puts
# the work, OUT the grading output.
INSTRUCTOR = [
    "mkdir -p COURSE",  # collect's gradebook cannot be created in a folder that does not exist
    "nbgrader release_assignment 01_mlp_backprop --NbGrader.config_file=autograder/nbgrader_config"
    " --Exchange.root=EXCHANGE",
    "nbgrader collect 01_mlp_backprop --NbGrader.config_file=autograder/nbgrader_config"
    " --Exchange.root=EXCHANGE --course-dir=COURSE",
    "python -m autograder grade COURSE/submitted --out OUT",
    "nbgrader release_feedback 01_mlp_backprop --NbGrader.config_file=autograder/nbgrader_config"
    " --Exchange.root=EXCHANGE --course-dir=OUT/course",
]
# A student's commands, in their server's home folder; on a hub whose exchange is nbgrader's
# default, --Exchange.root can go.
STUDENT = {
    "fetch": f"nbgrader fetch_assignment 01_mlp_backprop --course {COURSE_ID} --Exchange.root=EXCHANGE",
    "submit": f"nbgrader submit 01_mlp_backprop --course {COURSE_ID} --Exchange.root=EXCHANGE",
    "feedback": f"nbgrader fetch_feedback 01_mlp_backprop --course {COURSE_ID} --Exchange.root=EXCHANGE",
}
# How a hub tells its users apart, which is how nbgrader names a submission: by the account a
# server runs as (nbgrader reads it from the password database; USER and LOGNAME do not count),
# or, for the account "jovyan" of JupyterHub's Docker images, by JUPYTERHUB_USER.
# student id -> (account, JUPYTERHUB_USER)
STUDENTS = {"alice": ("alice", None), "bob": ("jovyan", "bob")}
_UID = 1000


def _environment(**extra: str) -> dict[str, str]:
    """This environment with the Python's scripts first on PATH and no Jupyter folder set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return {**env, **extra}


def _command(template: str, env: dict[str, str], **paths: Path) -> list[str]:
    """A documented command with its folders filled in and its program found on env's PATH."""
    for name, path in paths.items():
        template = template.replace(name.upper(), str(path))
    argv = shlex.split(template)
    program = sys.executable if argv[0] == "python" else shutil.which(argv[0], path=env["PATH"])
    assert program, f"{argv[0]} is not installed"
    return [program, *argv[1:]]


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{shlex.join(argv)} exited {result.returncode}:\n{output}"
    return output


def _as_student(tmp: Path, student: str) -> tuple[list[str], Path, dict[str, str]]:
    """The bwrap prefix, home folder and environment of a student's server on the hub.

    A user namespace maps this process's uid to 1000 and a password file names that account, so
    nbgrader sees the login a hub would give the student; the rest of the machine is as it is.
    """
    account, hub_user = STUDENTS[student]
    home = tmp / "home" / student
    home.mkdir(parents=True)
    etc = tmp / "etc" / student
    etc.mkdir(parents=True)
    (etc / "passwd").write_text(
        f"root:x:0:0::/root:/bin/sh\n{account}:x:{_UID}:{_UID}::{home}:/bin/sh\n"
    )
    (etc / "group").write_text(f"root:x:0:\nusers:x:{_UID}:\n")
    prefix = ["bwrap", "--unshare-user", "--uid", str(_UID), "--gid", str(_UID), "--die-with-parent",
              "--bind", "/", "/", "--ro-bind", str(etc / "passwd"), "/etc/passwd",
              "--ro-bind", str(etc / "group"), "/etc/group", "--"]  # fmt: skip
    env = _environment(HOME=str(home), USER=account, LOGNAME=account)
    if hub_user:
        env["JUPYTERHUB_USER"] = hub_user
    return prefix, home, env


def _student_runs(tmp: Path, exchange: Path, student: str):
    prefix, home, env = _as_student(tmp, student)

    def run(step: str, *more: str) -> str:
        return _run([*prefix, *_command(STUDENT[step], env, exchange=exchange), *more], home, env)

    return run, home


def _answer(notebook: Path) -> None:
    """Writes the solution's answer into each answer cell of ``notebook``, by grade_id."""
    answers = {
        grade_id(c): c.source
        for c in solved(REPO_ROOT, ASSIGNMENT).cells
        if nbgrader_meta(c).get("solution")
    }
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = answers[grade_id(cell)]
    nbformat.write(nb, notebook)


def _manual_points() -> float:
    """The points of the assignment's written answers, which a person grades."""
    nb = nbformat.read(REPO_ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return sum(
        float(nbgrader_meta(c)["points"])
        for c in nb.cells
        if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")
    )


# bubblewrap gives each simulated student an account of their own, and sandboxes the grading.
@pytest.mark.skipif(isolation_problem() is not None, reason=str(isolation_problem()))
def test_release_fetch_submit_collect_grade_and_feedback_through_the_exchange(
    tmp_path: Path, reference_cache: Path
):
    """Two students fetch the released notebook and submit it, one answered and one untouched;
    the grader scores what collect gathered, and each student fetches their own feedback, which
    names their score, and never the other's."""
    exchange, course, out = tmp_path / "exchange", tmp_path / "course", tmp_path / "out"
    folders = {"exchange": exchange, "course": course, "out": out}
    env = _environment(AUTOGRADER_REFERENCE_CACHE=str(reference_cache))
    mkdir, release, collect, grade, release_feedback = (
        _command(step, env, **folders) for step in INSTRUCTOR
    )
    students = {s: _student_runs(tmp_path, exchange, s) for s in STUDENTS}
    released = REPO_ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    _run(mkdir, REPO_ROOT, env)
    _run(release, REPO_ROOT, env)
    for student, (run, home) in students.items():
        run("fetch")
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.read_bytes() == released.read_bytes(), student
        if student == "alice":
            _answer(fetched)  # bob hands in the notebook as he fetched it
        run("submit")

    _run(collect, REPO_ROOT, env)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(STUDENTS)
    _run(grade, REPO_ROOT, env, timeout=1800)
    with open(out / "grades.csv", newline="") as f:
        grades = {row["student_id"]: row for row in csv.DictReader(f)}
    assert sorted(grades) == sorted(STUDENTS)
    assert {g["status"] for g in grades.values()} == {"graded"}, grades
    max_score, manual = float(grades["alice"]["max_score"]), _manual_points()
    # every autograded point; the written answers wait for a person (formgrader)
    assert float(grades["alice"]["score"]) == pytest.approx(max_score - manual), grades["alice"]
    assert not manual or f"{manual:g} point(s) await manual grading" in grades["alice"]["message"]
    assert float(grades["bob"]["score"]) == 0.0, grades["bob"]

    _run(release_feedback, REPO_ROOT, env)
    outbound = exchange / COURSE_ID / "feedback"
    # nbgrader names each page after the student's submission secret; nobody else may list them
    assert stat.S_IMODE(outbound.stat().st_mode) & 0o044 == 0
    assert len(list(outbound.glob("*.html"))) == len(STUDENTS)
    pages = {}
    for student, (run, home) in students.items():
        run("feedback")
        fetched = list((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(fetched) == 1, (student, fetched)
        pages[student] = fetched[0].read_text()
        assert pages[student] == (out / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        score = round(float(grades[student]["score"]), 2)
        assert f"(Score: {score} / {round(max_score, 2)}" in pages[student], student
        assert "HIDDEN TESTS" not in pages[student]
    assert pages["alice"] != pages["bob"]

    # Claiming another student's id fetches nothing of theirs: the page is found by the secret
    # that only the submitting student's own cache holds.
    run, home = students["bob"]
    run("feedback", "--student", "alice")
    fetched = list((home / ASSIGNMENT / "feedback").rglob("*.html"))
    assert [p.read_text() for p in fetched] == [pages["bob"]]


def test_grading_and_merging_keep_what_submit_wrote_for_release_feedback(
    tiny_course: Path, grade_tiny, tmp_path: Path
):
    """The course folder of a grading run, and of a merge of its shards, keeps each student's
    submission time and secret beside the feedback, and release_feedback names the page after
    that secret, as fetch_feedback looks for it."""
    handed_in = tmp_path / "class" / "submitted" / "n1" / "tiny"
    handed_in.mkdir(parents=True)
    nbformat.write(solved(tiny_course, "tiny"), handed_in / "tiny.ipynb")
    stamp, secret = "2026-11-01 12:00:00.000000 UTC", "a1b2" * 32
    (handed_in / "timestamp.txt").write_text(stamp)
    (handed_in / "submission_secret.txt").write_text(secret)
    grade_tiny(tmp_path / "class", tmp_path / "shard", shard=(1, 1))
    merge([tmp_path / "shard"], tmp_path / "merged", root=tiny_course)
    env = _environment()
    for out in (tmp_path / "shard", tmp_path / "merged"):
        feedback = out / "course" / "feedback" / "n1" / "tiny"
        assert (feedback / "timestamp.txt").read_text() == stamp
        assert (feedback / "submission_secret.txt").read_text() == secret
        exchange = tmp_path / f"exchange-{out.name}"
        exchange.mkdir()  # release_assignment made it, on the hub
        release_feedback = _command(INSTRUCTOR[-1].replace("01_mlp_backprop", "tiny"), env,
                                    exchange=exchange, out=out)  # fmt: skip
        _run(release_feedback, REPO_ROOT, env)
        page = hashlib.md5((secret + "tiny").encode()).hexdigest()  # nbgrader.utils.notebook_hash
        released = exchange / COURSE_ID / "feedback" / f"{page}.html"
        assert released.read_bytes() == (feedback / "tiny.html").read_bytes()


def test_readme_gives_exactly_these_commands():
    """README.md shows the instructor's and the students' commands this file runs, word for word."""
    readme = (REPO_ROOT / "README.md").read_text()
    for command in [*INSTRUCTOR, *STUDENT.values()]:
        assert command in readme, f"README.md lacks: {command}"
