"""autograder/nbgrader_config.py: the few nbgrader settings the grader relies on.

Release and grading run nbgrader through this configuration (tests/autograder/test_release.py
and test_grade.py, end to end); these tests say which of its settings matter and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader import preprocessors as pp
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

import autograder.nbgrader_config
from autograder.course import RELEASE_DIR, SOLUTIONS_DIR
from autograder.evidence import VerifyEvidence
from autograder.feedback import CleanTracebacks, GetGradesInWords
from autograder.nbgrader_config import course_config
from autograder.sandbox import REFERENCE_CELL_SECONDS

# The configurable class behind each section the course sets.
_SECTIONS = {
    "CourseDirectory": CourseDirectory,
    "ClearSolutions": pp.ClearSolutions,
    "ClearHiddenTests": pp.ClearHiddenTests,
    "Execute": pp.Execute,
    "VerifyEvidence": VerifyEvidence,
    "Autograde": Autograde,
    "GenerateFeedback": GenerateFeedback,
    "HTMLExporter": HTMLExporter,
}


def _nbgrader_default(name: str) -> list[type]:
    """nbgrader's own value of ``Autograde.<name>`` (the trait's default, not a config's)."""
    return list(Autograde.class_traits()[name].make_dynamic_default())


def _configured(section: str, config: Config) -> object:
    """The object nbgrader builds for ``section`` under ``config``."""
    cls = _SECTIONS[section]
    if cls in (Autograde, GenerateFeedback):
        return cls(coursedir=CourseDirectory(config=config), config=config)
    return cls(config=config)


@pytest.mark.parametrize("execute", [True, False])
def test_every_setting_takes_effect(execute: bool) -> None:
    """traitlets drops a misspelt or unconfigurable setting with only a log line: does every value
    the course sets reach the object nbgrader builds?"""
    config = course_config(execute=execute, show_hidden_tests=True)
    for section, settings in config.items():
        built = _configured(section, config)
        for name, value in settings.items():
            assert getattr(built, name) == value, f"{section}.{name}"


def test_every_setting_is_configurable() -> None:
    """Is every key a configurable trait of its section (else traitlets warns and ignores it)?"""
    for section, settings in course_config(show_hidden_tests=True).items():
        names = _SECTIONS[section].class_trait_names(config=True)
        assert set(settings) <= set(names), f"{section}: {set(settings) - set(names)}"


def test_it_points_nbgrader_at_the_course_folders() -> None:
    """Release reads solutions/ and writes notebooks/: the folders the course commits."""
    course = course_config().CourseDirectory
    assert (course.source_directory, course.release_directory) == (SOLUTIONS_DIR, RELEASE_DIR)
    assert (SOLUTIONS_DIR, RELEASE_DIR) == ("solutions", "notebooks")
    assert course.course_id


def test_the_code_stub_raises_not_implemented_error() -> None:
    """Feedback and the hand-in check (gradescope.py, course_utils/handin.py) recognise an
    unanswered exercise by its NotImplementedError: the released stub must raise it."""
    stub = course_config().ClearSolutions.code_stub["python"]
    with pytest.raises(NotImplementedError):
        exec(stub, {})


def test_hidden_tests_outside_a_test_cell_stop_the_release() -> None:
    """With enforce_metadata, hidden tests in a cell nbgrader does not grade are an error at
    release instead of text left in the students' notebook."""
    assert course_config().ClearHiddenTests.enforce_metadata is True


def test_nbgrader_s_execution_interrupts_and_goes_on() -> None:
    """Under nbgrader's own execution (``execute=True``), an error or a slow cell must cost that
    cell's points only: the later cells still run and are scored."""
    execute = _configured("Execute", course_config())
    assert execute.allow_errors is True
    assert execute.interrupt_on_timeout is True
    assert execute.timeout == REFERENCE_CELL_SECONDS


def test_nbgrader_executes_and_clears_the_students_outputs_by_default() -> None:
    """With ``execute=True`` nbgrader's own sanitising (ClearOutput first) runs, so a student's
    saved outputs never count, and Execute is the first autograde step."""
    config = course_config(execute=True)
    assert "sanitize_preprocessors" not in config.Autograde
    assert pp.ClearOutput in _nbgrader_default("sanitize_preprocessors")
    assert config.Autograde.autograde_preprocessors[0] is pp.Execute


def test_pre_executed_notebooks_keep_their_outputs() -> None:
    """``grade`` runs each notebook in its sandbox first (``execute=False``): nbgrader must not
    clear those outputs nor run the notebook again, but still restores the locked cells."""
    autograde = course_config(execute=False).Autograde
    assert pp.ClearOutput not in autograde.sanitize_preprocessors
    assert pp.OverwriteCells in autograde.sanitize_preprocessors
    assert pp.Execute not in autograde.autograde_preprocessors


@pytest.mark.parametrize("execute", [True, False])
def test_the_evidence_check_sees_the_outputs_before_anything_trims_them(execute: bool) -> None:
    """VerifyEvidence comes right after execution and CleanTracebacks before the scores; the rest
    is nbgrader's own pipeline in nbgrader's order, none of its steps (late penalties) lost."""
    steps = course_config(execute=execute).Autograde.autograde_preprocessors
    first = 1 if execute else 0
    assert steps[first] is VerifyEvidence
    assert steps.index(CleanTracebacks) < steps.index(pp.SaveAutoGrades)
    assert steps.index(VerifyEvidence) < steps.index(ClearMetadataPreprocessor)
    ours = [s for s in steps if s not in (VerifyEvidence, CleanTracebacks)]
    nbgrader_steps = _nbgrader_default("autograde_preprocessors")
    assert ours == (nbgrader_steps if execute else nbgrader_steps[1:])


def test_the_reference_directory_reaches_the_evidence_check() -> None:
    """VerifyEvidence compares each run with the reference run stored where it is told."""
    config = course_config(reference_directory="/tmp/reference")
    assert config.VerifyEvidence.reference_directory == "/tmp/reference"


def test_the_feedback_hides_the_hidden_tests_unless_asked() -> None:
    """The hidden tests' source in the feedback would tell next year's class the hidden inputs."""
    hidden = course_config().GenerateFeedback.preprocessors
    shown = course_config(show_hidden_tests=True).GenerateFeedback.preprocessors
    assert pp.ClearHiddenTests in hidden
    assert pp.ClearHiddenTests not in shown
    assert hidden[0] is GetGradesInWords and shown[0] is GetGradesInWords


def test_the_feedback_template_is_the_courses() -> None:
    """The feedback names each failed cell's reasons in words (templates/feedback/)."""
    exporter = course_config().HTMLExporter
    assert (exporter.template_name, exporter.template_file) == ("feedback", "in_words.html.j2")
    for folder in exporter.extra_template_basedirs:
        assert Path(folder).is_dir(), folder
    template = Path(exporter.extra_template_basedirs[0]) / "feedback" / "in_words.html.j2"
    assert template.is_file()


def test_the_file_works_as_an_nbgrader_config_file() -> None:
    """Instructors may run nbgrader's own commands with
    ``--NbGrader.config_file=autograder/nbgrader_config``: loading the file gives the same config."""
    module = Path(autograder.nbgrader_config.__file__)
    loaded = PyFileConfigLoader(module.name, path=str(module.parent)).load_config()
    assert isinstance(loaded, Config)
    assert loaded == course_config()
