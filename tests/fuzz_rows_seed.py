"""Seed rows of the bad-call table: the factories' size checks."""

from fuzztable import Bad

ROWS = [
    Bad("zeros(-1)", "tensor", lambda lib: lib.zeros(-1), ("zeros", "-1")),
    Bad("ones(2, -3)", "tensor", lambda lib: lib.ones(2, -3), ("ones", "-3")),
]
