"""Bad-call rows for ``nn.init``: fans of tensors with too few dims, bad modes, nonlinearities,
gains, bounds and groups."""

from fuzztable import Bad

I = "init"


def _w(lib, *shape, dtype=None):
    return lib.ones(*shape, dtype=dtype or lib.float32)


def _gram(lib, w):
    """w w^T (rows <= cols) or w^T w: gain^2 times the identity for an orthogonal fill."""
    w = w.reshape(w.shape[0], -1)
    return w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w


def _seeded(lib, fn):
    lib.manual_seed(0)
    return fn()


ROWS = [
    # calculate_gain
    Bad(
        "calculate_gain('bad')",
        I,
        lambda lib: lib.nn.init.calculate_gain("bad"),
        ("calculate_gain", "bad"),
    ),
    Bad(
        "calculate_gain('Tanh') case",
        I,
        lambda lib: lib.nn.init.calculate_gain("Tanh"),
        ("calculate_gain", "Tanh"),
    ),
    Bad(
        "calculate_gain('gelu')",
        I,
        lambda lib: lib.nn.init.calculate_gain("gelu"),
        ("calculate_gain", "gelu"),
    ),
    Bad(
        "calculate_gain(None)",
        I,
        lambda lib: lib.nn.init.calculate_gain(None),
        ("calculate_gain", "None"),
    ),
    Bad(
        "calculate_gain leaky_relu str param",
        I,
        lambda lib: lib.nn.init.calculate_gain("leaky_relu", "x"),
        ("calculate_gain", "negative_slope", "x"),
    ),
    Bad(
        "calculate_gain leaky_relu bool param",
        I,
        lambda lib: lib.nn.init.calculate_gain("leaky_relu", True),
        ("calculate_gain", "negative_slope", "True"),
    ),
    Bad(
        "calculate_gain leaky_relu list param",
        I,
        lambda lib: lib.nn.init.calculate_gain("leaky_relu", [0.1]),
        ("calculate_gain", "negative_slope", "[0.1]"),
    ),
    Bad(
        "calculate_gain leaky_relu -1", I, lambda lib: lib.nn.init.calculate_gain("leaky_relu", -1)
    ),
    # fans of tensors with fewer than 2 dims
    Bad(
        "xavier_uniform_ 1-D",
        I,
        lambda lib: lib.nn.init.xavier_uniform_(_w(lib, 3)),
        ("xavier_uniform_", "fewer than 2 dimensions", "[3]"),
    ),
    Bad(
        "xavier_normal_ 0-d",
        I,
        lambda lib: lib.nn.init.xavier_normal_(lib.tensor(1.0)),
        ("xavier_normal_", "fewer than 2 dimensions", "[]"),
    ),
    Bad(
        "kaiming_uniform_ 1-D",
        I,
        lambda lib: lib.nn.init.kaiming_uniform_(_w(lib, 3)),
        ("kaiming_uniform_", "fewer than 2 dimensions", "[3]"),
    ),
    Bad(
        "kaiming_normal_ 1-D",
        I,
        lambda lib: lib.nn.init.kaiming_normal_(_w(lib, 5)),
        ("kaiming_normal_", "fewer than 2 dimensions", "[5]"),
    ),
    Bad(
        "xavier_uniform_ gain str",
        I,
        lambda lib: lib.nn.init.xavier_uniform_(_w(lib, 3, 3), gain="a"),
        ("xavier_uniform_", "gain", "str"),
    ),
    Bad(
        "xavier_uniform_ empty",
        I,
        lambda lib: tuple(lib.nn.init.xavier_uniform_(_w(lib, 0, 3)).shape),
    ),
    Bad(
        "xavier_uniform_ int tensor",
        I,
        lambda lib: lib.nn.init.xavier_uniform_(_w(lib, 3, 3, dtype=lib.int64)),
        ("xavier_uniform_", "int64"),
    ),
    # modes and nonlinearities
    Bad(
        "kaiming_normal_ mode fan_avg",
        I,
        lambda lib: lib.nn.init.kaiming_normal_(_w(lib, 3, 3), mode="fan_avg"),
        ("kaiming_normal_", "fan_avg", "fan_in", "fan_out"),
    ),
    Bad(
        "kaiming_uniform_ mode FAN_IN (case)",
        I,
        lambda lib: tuple(lib.nn.init.kaiming_uniform_(_w(lib, 3, 3), mode="FAN_IN").shape),
    ),
    Bad(
        "kaiming_uniform_ mode fan",
        I,
        lambda lib: lib.nn.init.kaiming_uniform_(_w(lib, 3, 3), mode="fan"),
        ("kaiming_uniform_", "fan"),
    ),
    Bad(
        "kaiming_uniform_ nonlinearity swish",
        I,
        lambda lib: lib.nn.init.kaiming_uniform_(_w(lib, 3, 3), nonlinearity="swish"),
        ("kaiming_uniform_", "swish"),
    ),
    Bad(
        "kaiming_normal_ a str",
        I,
        lambda lib: lib.nn.init.kaiming_normal_(_w(lib, 3, 3), a="x"),
        ("kaiming_normal_", "negative_slope", "x"),
    ),
    Bad(
        "kaiming_uniform_ empty",
        I,
        lambda lib: tuple(lib.nn.init.kaiming_uniform_(_w(lib, 0, 3)).shape),
    ),
    # orthogonal
    Bad(
        "orthogonal_ 1-D",
        I,
        lambda lib: lib.nn.init.orthogonal_(_w(lib, 3)),
        ("orthogonal_", "2 or more", "[3]"),
    ),
    Bad(
        "orthogonal_ 0-d",
        I,
        lambda lib: lib.nn.init.orthogonal_(lib.tensor(2.0)),
        ("orthogonal_", "2 or more", "[]"),
    ),
    Bad("orthogonal_ empty", I, lambda lib: tuple(lib.nn.init.orthogonal_(_w(lib, 0, 3)).shape)),
    Bad(
        "orthogonal_ gain 2 gram",
        I,
        lambda lib: _gram(lib, lib.nn.init.orthogonal_(_w(lib, 3, 5), gain=2.0)),
    ),
    # eye_ / dirac_
    Bad("eye_ 1-D", I, lambda lib: lib.nn.init.eye_(_w(lib, 3)), ("eye_", "2 dimensions", "[3]")),
    Bad(
        "eye_ 3-D",
        I,
        lambda lib: lib.nn.init.eye_(_w(lib, 2, 2, 2)),
        ("eye_", "2 dimensions", "[2, 2, 2]"),
    ),
    Bad("eye_ non-square", I, lambda lib: lib.nn.init.eye_(_w(lib, 2, 3))),
    Bad(
        "dirac_ 2-D",
        I,
        lambda lib: lib.nn.init.dirac_(_w(lib, 3, 3)),
        ("dirac_", "3, 4, or 5", "[3, 3]"),
    ),
    Bad(
        "dirac_ groups not dividing",
        I,
        lambda lib: lib.nn.init.dirac_(_w(lib, 4, 2, 3), groups=3),
        ("dirac_", "groups", "3", "4"),
    ),
    Bad(
        "dirac_ groups=0",
        I,
        lambda lib: lib.nn.init.dirac_(_w(lib, 4, 2, 3), groups=0),
        ("dirac_", "groups", "0"),
    ),
    Bad("dirac_ groups=2", I, lambda lib: lib.nn.init.dirac_(_w(lib, 4, 2, 3), groups=2)),
    # uniform_ / normal_ / trunc_normal_ / constant_
    Bad(
        "uniform_ a > b",
        I,
        lambda lib: lib.nn.init.uniform_(_w(lib, 3), a=1.0, b=0.0),
        ("uniform_", "1.0", "0.0"),
    ),
    Bad("uniform_ a == b", I, lambda lib: lib.nn.init.uniform_(_w(lib, 3), a=0.5, b=0.5)),
    Bad(
        "uniform_ infinite bound",
        I,
        lambda lib: lib.nn.init.uniform_(_w(lib, 3), a=0.0, b=float("inf")),
        ("uniform_", "inf"),
    ),
    Bad(
        "normal_ std=-1",
        I,
        lambda lib: lib.nn.init.normal_(_w(lib, 3), std=-1.0),
        ("normal_", "std", "-1"),
    ),
    Bad("normal_ std=0", I, lambda lib: lib.nn.init.normal_(_w(lib, 3), mean=2.5, std=0.0)),
    Bad(
        "normal_ int tensor",
        I,
        lambda lib: lib.nn.init.normal_(_w(lib, 3, dtype=lib.int64)),
        ("normal_", "int64"),
    ),
    Bad(
        "uniform_ int tensor",
        I,
        lambda lib: lib.nn.init.uniform_(_w(lib, 3, dtype=lib.int64)),
        ("uniform_", "int64"),
    ),
    Bad(
        "trunc_normal_ a > b",
        I,
        lambda lib: lib.nn.init.trunc_normal_(_w(lib, 3), a=2.0, b=-2.0),
        ("trunc_normal_", "2.0", "-2.0"),
    ),
    Bad(
        "trunc_normal_ within bounds",
        I,
        lambda lib: bool(
            (
                (lambda w: (w >= -0.5) & (w <= 0.5))(
                    lib.nn.init.trunc_normal_(_w(lib, 500), a=-0.5, b=0.5)
                )
            ).all()
        ),
    ),
    Bad(
        "constant_ str value",
        I,
        lambda lib: lib.nn.init.constant_(_w(lib, 2), "a"),
        ("constant_", "val", "str"),
    ),
    Bad(
        "constant_ None value",
        I,
        lambda lib: lib.nn.init.constant_(_w(lib, 2), None),
        ("constant_", "val", "NoneType"),
    ),
    Bad(
        "constant_ float into int",
        I,
        lambda lib: lib.nn.init.constant_(_w(lib, 2, dtype=lib.int64), 1.5),
    ),
    Bad("constant_ bool", I, lambda lib: lib.nn.init.constant_(_w(lib, 2), True)),
]
