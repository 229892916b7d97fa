"""The course's nbgrader configuration.

``python -m autograder`` builds its configuration from :func:`course_config`. The file doubles as
an ordinary nbgrader config file, so instructors who prefer nbgrader's own commands can run them
from the repository root with ``--NbGrader.config_file=autograder/nbgrader_config`` (nbgrader has
no ``--config`` option: it warns "Unrecognized alias" and runs without the course's settings).
"""

from __future__ import annotations

from traitlets.config import Config

__all__ = ["course_config"]


def course_config(
    *, reference_directory: str = "", execute: bool = True, show_hidden_tests: bool = False
) -> Config:
    """nbgrader settings shared by release and grading.

    A cell may run as long under nbgrader's own commands as in a reference run
    (``REFERENCE_CELL_SECONDS``).

    Args:
        reference_directory: where ``autograder.reference`` wrote the reference evidence.
        execute: False when the notebooks arrive already executed (``python -m autograder grade``
            runs them in its sandbox first); nbgrader then only restores cells, checks evidence
            and scores, and keeps the outputs it is given.
        show_hidden_tests: keep the hidden tests' source in the HTML feedback. By default the
            feedback shows each test cell's visible part and, for a failed cell, the reasons in
            words; the hidden source would tell next year's class the hidden inputs.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader import preprocessors as pp

    from autograder.course import COURSE_ID, RELEASE_DIR, SOLUTIONS_DIR
    from autograder.evidence import VerifyEvidence
    from autograder.feedback import CleanTracebacks, GetGradesInWords, feedback_template_config
    from autograder.sandbox import REFERENCE_CELL_SECONDS

    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOLUTIONS_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.ClearHiddenTests.enforce_metadata = True
    c.Execute.timeout = REFERENCE_CELL_SECONDS
    c.Execute.interrupt_on_timeout = True
    # Execute.allow_errors is not set: nbgrader fixes it to True (an error costs that cell only).
    c.VerifyEvidence.reference_directory = reference_directory
    # nbgrader's own autograde steps, with the evidence check right after execution so that it
    # sees every output before anything is trimmed or scored; then the tracebacks lose the
    # grading machine's frames and paths, before scores.csv and the feedback read them.
    if not execute:
        c.Autograde.sanitize_preprocessors = [
            pp.OverwriteKernelspec,
            pp.OverwriteCells,
            pp.CheckCellMetadata,
        ]
    c.Autograde.autograde_preprocessors = [
        *([pp.Execute] if execute else []),
        VerifyEvidence,
        CleanTracebacks,
        pp.IgnorePattern,
        ClearMetadataPreprocessor,
        pp.LimitOutput,
        pp.SaveAutoGrades,
        pp.AssignLatePenalties,
        pp.CheckCellMetadata,
    ]
    # A cell a person has still to grade reads "awaiting grading", not a score of 0.
    c.GenerateFeedback.preprocessors = [
        GetGradesInWords,
        CSSHTMLHeaderPreprocessor,
        *([] if show_hidden_tests else [pp.ClearHiddenTests]),
    ]
    feedback_template_config(c)
    return c


if "get_config" in globals():  # loaded by nbgrader as a config file, not imported
    get_config().merge(course_config())  # noqa: F821
