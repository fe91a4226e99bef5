"""The test processes tune the C allocator as gradlab's command line and Trainer.fit do
(``import gradlab`` itself changes nothing process-wide): the suite's many training loops then
reuse freed array memory instead of faulting fresh pages in.

The lab's quick runs (``labchecks.quick_result``: one per experiment, seed and jitter, shared by
the pytest-xdist workers through a locked cache) are most of the suite's time. The tests that
compute them run first, and no two of those need the same run, so neither worker waits on the
other's lock; the tests that read the runs afterwards find them cached. With
``--maxschedchunk 1`` (pyproject) xdist hands the tests out in this order, one at a time, so
the two workers stay busy until the queue is empty instead of one working through a long tail."""

import os
import sys

from threadpoolctl import threadpool_limits

from gradlab import backend

# Python's own default: compiled modules are cached in __pycache__. An environment that turns
# that off (PYTHONDONTWRITEBYTECODE) makes every process the suite starts (the xdist workers,
# the command-line and client tests' subprocesses) compile gradlab again: 0.6 s an import
# instead of 0.3 s, measured.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

backend.use_tuned_allocator()
# one BLAS thread per test process: the xdist workers already fill the cores, and an OpenBLAS
# pool of two in each worker oversubscribes them (its threads wait at a barrier for a partner
# that is not scheduled). Tests that are about threads set their own count.
threadpool_limits(1, user_api="blas")


#: tests outside the lab that take tens of seconds each (training to a target, subprocesses that
#: train), slowest first: they start first, so that none of them is left running alone at the end
SLOW_FIRST = (
    "tests/test_nn_rnn_convergence.py::",
    "tests/test_readme.py::test_cli_version_info_and_demo",
    "tests/test_readme.py::test_readme_python_examples_run",
    "tests/test_tools_receptive_field.py::test_closed_form_agrees_with_autograd_on_classics",
    "tests/test_clients.py::test_client_prints_the_same_numbers_with_torch_and_with_gradlab",
)


def _rank(item) -> tuple:
    """(0, i) for a test of ``SLOW_FIRST[i]``; 1 for a jitter test of an experiment (it
    computes the plain and the jittered run of seed 0, which the other lab tests of seed 0
    read); 2 for a quick-run test at seed 1 or 2 (the first test of that run); 3 for the
    others (the second number is 0)."""
    for i, prefix in enumerate(SLOW_FIRST):
        if item.nodeid.startswith(prefix):
            return 0, i
    params = getattr(getattr(item, "callspec", None), "params", {})
    if item.path.name == "test_lab_stability.py" and "module" in params:
        return 1, 0
    if getattr(item, "originalname", None) == "test_quick_run" and params.get("seed") in (1, 2):
        return 2, 0
    return 3, 0


def pytest_collection_modifyitems(session, config, items):
    """Move the slow tests and the tests that compute the lab's quick runs to the front (see
    the module docstring and ``_rank``); the order within each rank is kept."""
    items[:] = sorted(items, key=_rank)
