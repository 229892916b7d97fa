"""Tests for autograder/cluster.py: grading on Dask gives the thread path's grades, and loses no row."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import cluster
from autograder.cli import main
from autograder.demo import simulated_class, solved
from autograder.sandbox import Limits
from autograder.submissions import GradingError

pytest.importorskip(
    "distributed", reason="the cluster extra: pip install -r requirements-cluster.txt"
)
pytestmark = pytest.mark.grading


def _hand_in(folder: Path, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
    for student, nb in notebooks.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / student / "tiny.ipynb")
    return folder


def test_the_demo_class_grades_the_same_on_dask_as_on_threads(tiny_course, grade_tiny, tmp_path):
    """`--scheduler local:2` and `--jobs 2` write byte for byte the same grades.csv and scores.csv."""
    subs = _hand_in(tmp_path / "subs", simulated_class(tiny_course))
    limits = Limits(cell_seconds=5, notebook_seconds=60)  # as the demo: the hanging one stops soon
    threads = grade_tiny(subs, tmp_path / "threads", jobs=2, limits=limits)
    dask = grade_tiny(subs, tmp_path / "dask", scheduler="local:2", limits=limits)
    assert {o.status for o in dask} == {"graded", "timeout", "crashed"}  # every kind of run
    for name in ("grades.csv", "scores.csv"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "threads" / name).read_text()
    assert [o.score for o in dask] == [o.score for o in threads]
    executed = tmp_path / "dask" / "work" / "s01_perfect" / "tiny" / "executed.ipynb"
    assert executed.is_file()  # the executed notebook came back from the worker
    assert (tmp_path / "dask" / "feedback" / "s01_perfect" / "tiny.html").is_file()


def _kill_workers_running(students: dict[str, int], stop: threading.Event) -> None:
    """Kills the Dask worker process running a student's notebook, ``students[s]`` times each.

    A run is recognised by its sandbox's working folder, named after the student; the workers are
    this process's children (LocalCluster's nannies live here).
    """
    killed: set[int] = set()
    while not stop.is_set() and any(students.values()):
        for worker in psutil.Process().children():
            try:
                runs = [p for p in worker.children(recursive=True) if p.pid not in killed]
                for run in runs:
                    student = Path(run.cwd()).name.split("-")[0]
                    if students.get(student):
                        students[student] -= 1
                        killed.update(p.pid for p in worker.children(recursive=True))
                        worker.send_signal(signal.SIGKILL)
                        break
            except psutil.Error:  # a process that ended while we looked
                continue
        time.sleep(0.1)


@pytest.mark.skipif(sys.platform != "linux", reason="finds the runs through /proc")
def test_a_worker_killed_mid_run_loses_no_row(tiny_course, grade_tiny, tmp_path):
    """A submission whose worker dies runs again elsewhere; after a second death its row says why."""
    slow = "import time\n\ntime.sleep(6)\n\n\ndef square(x):\n    return x**2"
    subs = _hand_in(
        tmp_path / "subs",
        {
            "fine": solved(tiny_course, "tiny"),
            "unlucky": solved(tiny_course, "tiny", square=slow),  # its worker is killed once
            "doomed": solved(tiny_course, "tiny", square=slow),  # and this one's twice
            "later": solved(tiny_course, "tiny"),
        },
    )
    kills = {"unlucky": 1, "doomed": 2}
    stop = threading.Event()
    killer = threading.Thread(target=_kill_workers_running, args=(kills, stop), daemon=True)
    killer.start()
    try:
        outcomes = {
            o.student_id: o for o in grade_tiny(subs, tmp_path / "out", scheduler="local:2")
        }
    finally:
        stop.set()
        killer.join()
    assert kills == {"unlucky": 0, "doomed": 0}  # every planned death happened
    assert sorted(outcomes) == ["doomed", "fine", "later", "unlucky"]
    for student in ("fine", "later", "unlucky"):
        assert (outcomes[student].status, outcomes[student].score) == ("graded", 6.0), student
    doomed = outcomes["doomed"]
    assert doomed.status == "crashed" and doomed.score == 0.0
    assert "the Dask worker running it died, and so did the one it was retried on" in doomed.message
    assert "grade it again" in doomed.message


def test_instructor_mistakes_with_a_cluster_are_one_clear_line(
    tiny_course, grade_tiny, tmp_path, monkeypatch, capsys
):
    """A bad address, an unreachable scheduler, a resource nobody offers, another course version."""
    subs = _hand_in(tmp_path / "subs", {"a": solved(tiny_course, "tiny")})
    with pytest.raises(GradingError, match="local: takes a number of workers"):
        grade_tiny(subs, tmp_path / "o1", scheduler="local:zero")
    monkeypatch.setattr(cluster, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(GradingError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        grade_tiny(subs, tmp_path / "o2", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(GradingError, match="no Dask worker offers GPU=1: start workers with"):
        grade_tiny(subs, tmp_path / "o3", scheduler="local:1", resources={"GPU": 1})
    monkeypatch.setattr(cluster, "course_identity", lambda: "another commit")
    with pytest.raises(GradingError, match="has another version of the course installed"):
        grade_tiny(subs, tmp_path / "o4", scheduler="local:1")
    for out in ("o1", "o2", "o3", "o4"):
        assert not (tmp_path / out / "grades.csv").exists()
    with pytest.raises(SystemExit) as usage:
        main(["grade", str(subs), "--out", str(tmp_path / "o5"), "--resources", "GPU"])
    assert usage.value.code == 2
    assert "a resource is NAME=AMOUNT, e.g. GPU=1" in capsys.readouterr().err


def test_without_dask_the_message_says_what_to_install(
    tiny_course, grade_tiny, tmp_path, monkeypatch
):
    subs = _hand_in(tmp_path / "subs", {"a": solved(tiny_course, "tiny")})
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(GradingError, match=r"pip install -r requirements-cluster\.txt"):
        grade_tiny(subs, tmp_path / "out", scheduler="local:2")


def test_resources_are_read_from_name_amount_pairs():
    assert cluster.parse_resources(["GPU=1", " MEMORY=8e9"]) == {"GPU": 1.0, "MEMORY": 8e9}
    for bad in ("GPU", "=1", "GPU=many"):
        with pytest.raises(ValueError, match="NAME=AMOUNT"):
            cluster.parse_resources([bad])
