"""The bad-call table (``tests/fuzztable.py``): every row is run in torch and in gradlab, and
gradlab must answer as the row demands (a clear error of torch's class from its own code naming
what is wrong, the kept lenient value, or torch's value)."""

import pytest
from fuzztable import Bad, Outcome, all_rows, run

ROWS = all_rows()

# the rows call torch and gradlab on odd inputs on purpose: their warnings are not the subject
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_call(row):
    problems = run(row).problems()
    assert not problems, "\n".join(problems)


def test_table_size():
    assert len(ROWS) >= 400, len(ROWS)


def _row(call, names=(), lenient=None):
    return Bad("probe", "tensor", call, names, lenient)


def test_the_table_can_fail():
    import numpy as np

    def raw_numpy(lib):
        lib.ones(2)
        return np.zeros(-1)

    # gradlab returns where torch raises
    assert run(_row(lambda lib: lib.ones(2) if lib.__name__ == "gradlab" else lib.zeros(-1)))\
        .problems()
    # a raw NumPy error is not a clear error
    out = run(_row(raw_numpy))
    assert any("raised outside gradlab" in p for p in out.problems())
    # a message missing a named word fails
    assert run(_row(lambda lib: lib.zeros(-1), names=("no-such-word",))).problems()
    # the wrong class fails
    assert Outcome(_row(None), RuntimeError("x"), TypeError("x")).problems()
    # a lenient row that torch accepts is stale
    assert run(_row(lambda lib: lib.ones(2), lenient="why")).problems()
    # a refused call with no words to look for is not a row
    assert run(_row(lambda lib: lib.zeros(-1))).problems()
    # a good row passes
    assert not run(_row(lambda lib: lib.zeros(-1), names=("zeros", "-1"))).problems()
