"""What a student reads of a lost point: their own lines and the reason, never the grading machine.

Two nbgrader preprocessors and a feedback template, wired in by :mod:`autograder.nbgrader_config`:

* :class:`CleanTracebacks` (autograde step, after the evidence check) rewrites the error outputs
  of a graded notebook: the frames inside installed packages, the standard library and the
  course's helpers go, so do the hidden tests' lines that IPython prints around the line that
  raised, and every path of the grading machine becomes a short relative name or ``<grader>``.
  The scores.csv messages and the HTML feedback are both read from that notebook.
* :class:`GetGradesInWords` (feedback step, in place of nbgrader's ``GetGrades``) marks the cells
  a person has still to grade, and the template ``templates/feedback/in_words.html.j2`` prints
  "awaiting grading" for them where nbgrader's prints a score of 0.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets.config import Config

__all__ = [
    "CleanTracebacks",
    "awaits_grading",
    "GetGradesInWords",
    "clean_output",
    "clean_traceback",
    "feedback_template_config",
    "hidden_lines",
    "scrub_paths",
    "strip_ansi",
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A character that can be part of a path as tracebacks and error messages print one (not ':',
# which ends the path in IPython's "File /x/y.py:12").
_PATH_CHAR = r"[^\s'\"`()\[\]{}<>,;:\x1b]"
# The working folder of a run: /submission in the sandbox, OUT/.sandbox/<student>-xxxx without.
_WORKDIRS = re.compile(
    rf"(?<!{_PATH_CHAR})(?:/submission|/{_PATH_CHAR}*/\.sandbox/{_PATH_CHAR}+?)(/|(?!{_PATH_CHAR}))"
)
_PACKAGES = re.compile(rf"(?<!{_PATH_CHAR})/{_PATH_CHAR}*?/(?:site|dist)-packages/")
# The frame headers of IPython 8 and 9 ("File /x/y.py:12, in f"), of IPython 7 ("/x/y.py in f")
# and of Python ('  File "/x/y.py", line 12, in f').
_IPYTHON_FRAME = re.compile(r"^\s*(?:File\s+(?P<path>\S.*?):\d+|(?P<old>/\S+\.py) in )")
_PYTHON_FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<path>[^"]+)", line \d+')
# A source line IPython prints in a cell frame: "      4 code" or "----> 5 code".
_NUMBERED_LINE = re.compile(r"^(?P<arrow>\s*(?:-+>\s*)?)(?P<number>\d+)(?: |$)")
# nbgrader's markers of the hidden part of a test cell (ClearHiddenTests' defaults).
_HIDDEN_BEGIN, _HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
# Folders too general to stand for this machine: a path under them stays as it is.
_SYSTEM_DIRS = {"/", "/usr", "/usr/local", "/opt", "/bin", "/lib", "/home"}


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


@functools.cache
def _stdlib_dirs() -> tuple[str, ...]:
    return tuple(
        {os.path.realpath(p) for k in ("stdlib", "platstdlib") if (p := sysconfig.get_path(k))}
    )


@functools.cache
def _machine_prefixes() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, replacement) for the grading machine's own folders, the longest first."""
    from autograder.course import REPO_ROOT

    named = {p: "<python>" for p in _stdlib_dirs()}
    for path in (REPO_ROOT, sys.prefix, sys.exec_prefix, sys.base_prefix,
                 os.path.expanduser("~"), tempfile.gettempdir(), "/tmp"):  # fmt: skip
        for form in {str(path), os.path.realpath(path)}:
            named.setdefault(form.rstrip("/") or "/", "<grader>")
    return tuple(
        # the prefix and the rest of the path, which the replacement shortens to its last name
        (
            re.compile(
                rf"(?<!{_PATH_CHAR}){re.escape(p)}(?P<rest>/{_PATH_CHAR}*)?(?!{_PATH_CHAR})"
            ),
            name,
        )
        for p, name in sorted(named.items(), key=lambda item: -len(item[0]))
        if p not in _SYSTEM_DIRS
    )


def _short(match: re.Match[str], name: str) -> str:
    rest = (match["rest"] or "").strip("/")
    return f"{name}/{rest.rsplit('/', 1)[-1]}" if rest else name


def scrub_paths(text: str) -> str:
    """``text`` with the grading machine's paths made short.

    A path in the run's working folder becomes relative to it (``heldout/mnist_test.npy``), one
    inside an installed package relative to the packages (``torch/nn/functional.py``); the
    course checkout, Python's folders, home and temporary folders become ``<grader>`` and the
    file's name (``<grader>/mnist.npz``).
    """
    text = _WORKDIRS.sub(lambda m: "" if m.group(1) else ".", text)
    text = _PACKAGES.sub("", text)
    for pattern, name in _machine_prefixes():
        text = pattern.sub(lambda m, name=name: _short(m, name), text)
    return text


def _is_library_path(path: str) -> bool:
    """Is ``path`` inside Python, an installed package or the course's helpers (not the student's)?"""
    path = path.strip()
    if path.startswith(
        "<"
    ):  # <frozen importlib._bootstrap>; a cell is "Cell In[3]" or <ipython-input-…>
        return path.startswith("<frozen")
    parts = path.split("/")
    if {"site-packages", "dist-packages", "course_utils", "autograder"} & set(parts[:-1]):
        return True
    real = os.path.realpath(path)
    return any(real == d or real.startswith(d + os.sep) for d in _stdlib_dirs())


def _drop_python_frames(text: str) -> str:
    """Removes library frames from a traceback printed by Python itself (header, then source)."""
    kept: list[str] = []
    skip_deeper_than: int | None = None
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip())
        if skip_deeper_than is not None and line.strip() and indent > skip_deeper_than:
            continue  # the source line and carets under a dropped frame header
        skip_deeper_than = None
        match = _PYTHON_FRAME.match(line)
        if match and _is_library_path(match["path"]):
            skip_deeper_than = len(match["indent"])
            continue
        kept.append(line)
    return "\n".join(kept)


def hidden_lines(source: str) -> frozenset[int]:
    """The line numbers (from 1) of a test cell's hidden tests, their markers included."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        inside = inside or _HIDDEN_BEGIN in line
        if inside:
            hidden.add(number)
        inside = inside and _HIDDEN_END not in line
    return frozenset(hidden)


def _hide_source(frame: str, hidden: frozenset[int]) -> str:
    """A cell frame without the hidden tests' lines that IPython printed around the error."""
    kept = []
    for line in frame.split("\n"):
        numbered = _NUMBERED_LINE.match(line)
        if numbered and int(numbered["number"]) in hidden:
            if numbered["arrow"].strip():  # the line that raised: say where, not what
                kept.append(f"{numbered['arrow']}{numbered['number']} (a line of the hidden tests)")
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_traceback(
    entries: list[str], *, cell: str | None = None, hidden: frozenset[int] = frozenset()
) -> list[str]:
    """An error output's traceback without library frames, machine paths or hidden tests.

    ``entries`` is IPython's structured traceback: a header, one string per frame, the final
    ``Type: message``. An entry keeps its colours unless something in it had to change.
    ``cell`` names the cell that raised as IPython does (``In[4]``); the lines ``hidden`` of
    its frame are left out.
    """
    cleaned = []
    for entry in entries:
        plain = strip_ansi(str(entry))
        first = next((line for line in plain.splitlines() if line.strip()), "")
        frame = _IPYTHON_FRAME.match(first)
        if frame and _is_library_path(frame["path"] or frame["old"]):
            continue
        if hidden and cell and first.strip().startswith(f"Cell {cell},"):
            shown = _hide_source(plain, hidden)
            if shown != plain:
                entry = plain = shown
        if 'File "' in plain:  # a traceback Python printed, inside one entry
            dropped = _drop_python_frames(plain)
            if dropped != plain:
                entry = plain = dropped
        scrubbed = scrub_paths(plain)
        cleaned.append(entry if scrubbed == plain else scrubbed)
    return cleaned


def clean_output(
    output: NotebookNode, *, cell: str | None = None, hidden: frozenset[int] = frozenset()
) -> None:
    """Cleans one output in place: an error's traceback and message, a stream's text.

    ``cell`` and ``hidden`` are as in :func:`clean_traceback`.
    """
    if output.get("output_type") == "error":
        output["traceback"] = clean_traceback(
            list(output.get("traceback", [])), cell=cell, hidden=hidden
        )
        output["evalue"] = scrub_paths(str(output.get("evalue", "")))
    elif output.get("output_type") == "stream":
        # e.g. a library's warning, which names its own file
        output["text"] = scrub_paths(str(output.get("text", "")))


class CleanTracebacks(NbGraderPreprocessor):
    """nbgrader autograde step: tracebacks show the student's frames, no path of the grader, and
    none of the hidden tests' source (IPython prints the lines around the one that raised)."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        count = cell.get("execution_count")
        label = f"In[{count}]" if count is not None else None
        hidden = (
            hidden_lines(str(cell.get("source", "")))
            if cell.get("cell_type") == "code"
            else frozenset()
        )
        for output in cell.get("outputs", []):
            clean_output(output, cell=label, hidden=hidden)
        return cell, resources


def awaits_grading(grade: Any) -> bool:
    """Has a person still to grade this nbgrader Grade? nbgrader keeps ``needs_manual_grade``
    set, for review, once a re-grade meets a manual score: that cell is graded."""
    return bool(grade.needs_manual_grade) and grade.manual_score is None


class GetGradesInWords(GetGrades):
    """nbgrader's ``GetGrades``, which also marks the cells a person has still to grade.

    A cell awaits grading when nbgrader could not score it and no one has yet (its
    ``needs_manual_grade`` also stays set, for review, once a re-grade meets a manual score).
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        self._awaiting_points = 0.0
        nb, resources = super().preprocess(nb, resources)
        resources["nbgrader"]["awaiting_points"] = self._awaiting_points
        return nb, resources

    def _get_score(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"],
            self.notebook_id,
            self.assignment_id,
            self.student_id,
        )
        awaiting = awaits_grading(grade)
        cell.metadata.nbgrader["awaiting_grading"] = awaiting
        if awaiting:
            self._awaiting_points += float(grade.max_score or 0.0)


def feedback_template_config(config: Config) -> None:
    """Points nbgrader's feedback exporter at ``templates/feedback/in_words.html.j2``."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions/formgrader/templates"
    # nbgrader's template is "feedback", and nbconvert looks for its files in "feedback" under
    # every base folder: ours holds in_words.html.j2 alone, which extends nbgrader's index.html.j2.
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.template_file = "in_words.html.j2"
    config.HTMLExporter.extra_template_basedirs = [
        str(Path(__file__).parent / "templates"),
        str(nbgrader_templates),
    ]
