"""Tests for autograder/feedback.py: what a student reads of a lost point, without the grader."""

from __future__ import annotations

import sys

from nbformat.v4 import new_code_cell, new_output

from autograder.course import REPO_ROOT
from autograder.feedback import (
    CleanTracebacks,
    clean_traceback,
    hidden_lines,
    scrub_paths,
    strip_ansi,
)

SITE = f"{sys.prefix}/lib/python3.11/site-packages"
RED, GREEN, CYAN, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[39m"


def _ipython_traceback(*frames: str, error: str) -> list[str]:
    """A traceback as IPython 9 colours it: header, one entry per frame, the message."""
    name = error.split(":")[0]
    return [
        f"{RED}{'-' * 75}{RESET}\n{RED}{name}{RESET}    Traceback (most recent call last)",
        *frames,
        f"{RED}{name}{RESET}: {error.split(': ', 1)[1]}",
    ]


def _library_frame(path: str, line: int, fn: str) -> str:
    # IPython puts colour codes between "File" and the path: a plain regex would miss it.
    return (
        f"{CYAN}File {RESET}{GREEN}{path}:{line}{RESET}, in {CYAN}{fn}{RESET}\n"
        f"{GREEN}-> {line}{RESET}     return F.linear(input, self.weight, self.bias)\n"
    )


TORCH_ERROR = _ipython_traceback(
    f"{CYAN}Cell{RESET}{GREEN} In[5], line 1{RESET}\n{GREEN}----> 1{RESET} model(x)\n",
    _library_frame(f"{SITE}/torch/nn/modules/module.py", 1783, "Module._wrapped_call_impl"),
    _library_frame(f"{SITE}/torch/nn/modules/linear.py", 134, "Linear.forward"),
    _library_frame(f"{REPO_ROOT}/course_utils/checks.py", 210, "check_close"),
    error="RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x5 and 3x4)",
)


def test_library_frames_go_and_the_students_stay():
    """Frames in site-packages and course_utils are dropped, colour codes or not; the cell's
    frame, the header and the message stay as they were."""
    cleaned = clean_traceback(TORCH_ERROR)
    assert cleaned == [TORCH_ERROR[0], TORCH_ERROR[1], TORCH_ERROR[-1]]
    text = strip_ansi("\n".join(cleaned))
    assert "site-packages" not in text and "module.py" not in text and "checks.py" not in text


def test_python_style_tracebacks_lose_library_frames_too():
    """A traceback printed by Python itself (one string, many frames) loses the library ones."""
    text = (
        "Traceback (most recent call last):\n"
        '  File "/submission/helpers.py", line 3, in load\n'
        "    return np.load(path)\n"
        f'  File "{SITE}/numpy/lib/npyio.py", line 427, in load\n'
        "    fid = stack.enter_context(open(os.fspath(file), 'rb'))\n"
        "          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "FileNotFoundError: [Errno 2] No such file or directory: '/submission/data.npy'"
    )
    (cleaned,) = clean_traceback([text])
    assert cleaned == (
        "Traceback (most recent call last):\n"
        '  File "helpers.py", line 3, in load\n'
        "    return np.load(path)\n"
        "FileNotFoundError: [Errno 2] No such file or directory: 'data.npy'"
    )


def test_machine_paths_become_short_names():
    """The working folder becomes relative, packages relative to site-packages, the rest
    <grader> and the file's name; other text and system paths are left alone."""
    cases = {
        "/submission/heldout/mnist_test.npy": "heldout/mnist_test.npy",
        "open('/submission')": "open('.')",
        "/home/ta/out/.sandbox/s01-x1y2/data.npy": "data.npy",
        f"File {SITE}/torch/nn/functional.py:12": "File torch/nn/functional.py:12",
        f"{REPO_ROOT}/data/mnist.npz is missing": "<grader>/mnist.npz is missing",
        "/tmp/ipykernel_12/3456.py": "<grader>/3456.py",
        "/submissions/s01 and /usr/share/fonts": "/submissions/s01 and /usr/share/fonts",
        "2 / 3 and a/b": "2 / 3 and a/b",
    }
    for text, expected in cases.items():
        assert scrub_paths(text) == expected, text


def test_hidden_tests_lines_leave_the_cells_frame():
    """IPython prints the lines around the one that raised: those of the hidden tests go, and a
    hidden line that raised says only that it is one."""
    source = (
        '"""Does square match x * x?"""\n'
        'check_close(square(np.array([1.0])), [1.0], name="square")\n'
        "### BEGIN HIDDEN TESTS\n"
        "rng = np.random.default_rng(0)\n"
        'record("square/random", square(rng.normal(size=(3, 4))))\n'
        "### END HIDDEN TESTS"
    )
    assert hidden_lines(source) == {3, 4, 5, 6}
    visible = _ipython_traceback(
        'Cell In[4], line 2\n      1 """Does ..."""\n----> 2 check_close(square(...))\n'
        "      3 ### BEGIN HIDDEN TESTS\n      4 rng = np.random.default_rng(0)\n",
        "Cell In[3], line 2, in square(x)\n      1 def square(x):\n----> 2     return x @ x\n",
        error="ValueError: matmul: mismatch",
    )
    hidden = _ipython_traceback(
        "Cell In[4], line 5\n      3 ### BEGIN HIDDEN TESTS\n      4 rng = np.random."
        'default_rng(0)\n----> 5 record("square/random", square(rng.normal(size=(3, 4))))\n',
        error="ValueError: matmul: mismatch",
    )
    for traceback in (visible, hidden):
        cell = new_code_cell(source, execution_count=4)
        cell.outputs = [new_output("error", ename="ValueError", evalue="x", traceback=traceback)]
        CleanTracebacks().preprocess_cell(cell, {}, 0)
        text = "\n".join(cell.outputs[0].traceback)
        assert "default_rng" not in text and "HIDDEN" not in text, text
        assert "return x @ x" in text or "----> 5 (a line of the hidden tests)" in text


def test_preprocessor_cleans_errors_and_streams_of_every_cell():
    """CleanTracebacks rewrites an error's traceback and message and a stream's text."""
    cell = new_code_cell("model(x)", execution_count=5)
    cell.outputs = [
        new_output("stream", name="stdout", text=f"{SITE}/torch/nn/init.py:5: UserWarning: x"),
        new_output(
            "error",
            ename="RuntimeError",
            evalue=f"cannot open {REPO_ROOT}/data/x.npz",
            traceback=TORCH_ERROR,
        ),
    ]
    cell, _ = CleanTracebacks().preprocess_cell(cell, {}, 0)
    stream, error = cell.outputs
    assert stream.text == "torch/nn/init.py:5: UserWarning: x"
    assert error.evalue == "cannot open <grader>/x.npz" and error.ename == "RuntimeError"
    assert len(error.traceback) == 3 and str(REPO_ROOT) not in "".join(error.traceback)
