"""Bad-call rows for ``utils.data``: DataLoader arguments and sampler combinations, datasets
(TensorDataset, Subset, ConcatDataset, random_split), samplers and default_collate."""

import numpy as np
from fuzztable import Bad

D = "data"


def _ds(lib, n=3):
    """A TensorDataset of ``n`` samples: x (n, 2) = 0..2n-1, y (n,) = 0..n-1."""
    return lib.utils.data.TensorDataset(
        lib.arange(2 * n, dtype=lib.float32).reshape(n, 2), lib.arange(n)
    )


def _dl(lib, *args, **kw):
    return lib.utils.data.DataLoader(_ds(lib), *args, **kw)


def _batches(lib, loader):
    return [b for b in loader]


def _it(lib, n=2):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

    return Stream()


def _ud(lib):
    return lib.utils.data


ROWS = [
    # DataLoader arguments
    Bad(
        "DataLoader batch_size=0",
        D,
        lambda lib: _dl(lib, batch_size=0),
        ("DataLoader", "batch_size", "0"),
    ),
    Bad(
        "DataLoader batch_size=-1",
        D,
        lambda lib: _dl(lib, batch_size=-1),
        ("DataLoader", "batch_size", "-1"),
    ),
    Bad(
        "DataLoader batch_size=1.5",
        D,
        lambda lib: _dl(lib, batch_size=1.5),
        ("DataLoader", "batch_size", "1.5"),
    ),
    Bad(
        "DataLoader batch_size='2'",
        D,
        lambda lib: _dl(lib, batch_size="2"),
        ("DataLoader", "batch_size", "2"),
    ),
    Bad(
        "DataLoader batch_size=True",
        D,
        lambda lib: _dl(lib, batch_size=True),
        ("DataLoader", "batch_size", "True"),
    ),
    Bad(
        "DataLoader shuffle with sampler",
        D,
        lambda lib: _dl(lib, shuffle=True, sampler=_ud(lib).SequentialSampler(range(3))),
        ("DataLoader", "sampler", "shuffle"),
    ),
    Bad(
        "DataLoader batch_sampler with batch_size",
        D,
        lambda lib: _dl(lib, batch_size=2, batch_sampler=[[0, 1], [2]]),
        ("DataLoader", "batch_sampler", "batch_size"),
    ),
    Bad(
        "DataLoader batch_sampler with drop_last",
        D,
        lambda lib: _dl(lib, drop_last=True, batch_sampler=[[0, 1], [2]]),
        ("DataLoader", "batch_sampler", "drop_last"),
    ),
    Bad(
        "DataLoader batch_sampler with shuffle",
        D,
        lambda lib: _dl(lib, shuffle=True, batch_sampler=[[0, 1], [2]]),
        ("DataLoader", "batch_sampler", "shuffle"),
    ),
    Bad(
        "DataLoader batch_sampler with sampler",
        D,
        lambda lib: _dl(lib, sampler=[0, 1, 2], batch_sampler=[[0, 1], [2]]),
        ("DataLoader", "batch_sampler", "sampler"),
    ),
    Bad(
        "DataLoader batch_size None with drop_last",
        D,
        lambda lib: _dl(lib, batch_size=None, drop_last=True),
        ("DataLoader", "batch_size=None", "drop_last"),
    ),
    Bad(
        "DataLoader num_workers=-1",
        D,
        lambda lib: _dl(lib, num_workers=-1),
        ("DataLoader", "num_workers", "-1"),
    ),
    Bad(
        "DataLoader timeout=-1",
        D,
        lambda lib: _dl(lib, timeout=-1),
        ("DataLoader", "timeout", "-1"),
    ),
    Bad(
        "DataLoader prefetch_factor without workers",
        D,
        lambda lib: _dl(lib, prefetch_factor=2),
        ("DataLoader", "prefetch_factor", "num_workers"),
    ),
    Bad(
        "DataLoader persistent_workers without workers",
        D,
        lambda lib: _dl(lib, persistent_workers=True),
        ("DataLoader", "persistent_workers", "num_workers"),
    ),
    Bad(
        "DataLoader drop_last='yes'",
        D,
        lambda lib: _dl(lib, batch_size=2, drop_last="yes"),
        ("DataLoader", "drop_last", "yes"),
    ),
    Bad(
        "DataLoader IterableDataset with shuffle",
        D,
        lambda lib: _ud(lib).DataLoader(_it(lib), shuffle=True),
        ("DataLoader", "IterableDataset", "shuffle"),
    ),
    Bad(
        "DataLoader IterableDataset with sampler",
        D,
        lambda lib: _ud(lib).DataLoader(_it(lib), sampler=[0, 1]),
        ("DataLoader", "IterableDataset", "sampler"),
    ),
    Bad(
        "DataLoader set batch_size after init",
        D,
        lambda lib: setattr(_dl(lib), "batch_size", 4),
        ("batch_size", "DataLoader", "initialized"),
    ),
    Bad(
        "DataLoader over an int",
        D,
        lambda lib: _batches(lib, _ud(lib).DataLoader(5)),
        ("DataLoader", "int", "len"),
    ),
    Bad(
        "DataLoader sampler an int",
        D,
        lambda lib: _batches(lib, _dl(lib, sampler=3)),
        ("DataLoader", "sampler", "int"),
    ),
    Bad(
        "DataLoader sampler index out of range",
        D,
        lambda lib: _batches(lib, _dl(lib, sampler=[0, 7])),
        ("index", "7", "3"),
    ),
    Bad(
        "DataLoader ragged samples",
        D,
        lambda lib: _batches(lib, _ud(lib).DataLoader([lib.ones(2), lib.ones(3)], batch_size=2)),
        ("stack", "[2]", "[3]"),
    ),
    Bad(
        "DataLoader samples of None",
        D,
        lambda lib: _batches(lib, _ud(lib).DataLoader([None, None], batch_size=2)),
        ("default_collate", "NoneType"),
    ),
    Bad(
        "DataLoader list of ints",
        D,
        lambda lib: _batches(lib, _ud(lib).DataLoader([1, 2, 3], batch_size=2)),
    ),
    Bad(
        "DataLoader list of strings",
        D,
        lambda lib: _batches(lib, _ud(lib).DataLoader(["a", "b", "c"], batch_size=2)),
    ),
    Bad("DataLoader batch_size None", D, lambda lib: _batches(lib, _dl(lib, batch_size=None))[1]),
    Bad(
        "DataLoader batch larger than dataset",
        D,
        lambda lib: _batches(lib, _dl(lib, batch_size=10)),
    ),
    # TensorDataset
    Bad(
        "TensorDataset size mismatch",
        D,
        lambda lib: _ud(lib).TensorDataset(lib.ones(3, 2), lib.ones(4)),
        ("TensorDataset", "Size mismatch", "3", "4"),
    ),
    Bad("TensorDataset index out of range", D, lambda lib: _ds(lib)[5], ("index", "5", "3")),
    Bad("TensorDataset index -4", D, lambda lib: _ds(lib)[-4], ("index", "-4", "3")),
    Bad("TensorDataset negative index", D, lambda lib: _ds(lib)[-1]),
    # Subset / ConcatDataset
    Bad(
        "Subset index beyond the subset",
        D,
        lambda lib: _ud(lib).Subset(_ds(lib), [0, 1])[2],
        ("Subset", "2"),
    ),
    Bad(
        "Subset with an index beyond the dataset",
        D,
        lambda lib: _ud(lib).Subset(_ds(lib), [0, 5])[1],
        ("index", "5", "3"),
    ),
    Bad("Subset negative index", D, lambda lib: _ud(lib).Subset(list(range(5)), [1, 3])[-1]),
    Bad(
        "ConcatDataset empty", D, lambda lib: _ud(lib).ConcatDataset([]), ("ConcatDataset", "empty")
    ),
    Bad(
        "ConcatDataset of an IterableDataset",
        D,
        lambda lib: _ud(lib).ConcatDataset([_it(lib)]),
        ("ConcatDataset", "IterableDataset"),
    ),
    Bad(
        "ConcatDataset index -10",
        D,
        lambda lib: _ud(lib).ConcatDataset([_ds(lib)])[-10],
        ("ConcatDataset", "index", "-10"),
    ),
    Bad(
        "ConcatDataset index 10",
        D,
        lambda lib: _ud(lib).ConcatDataset([_ds(lib)])[10],
        ("ConcatDataset", "index", "10"),
    ),
    Bad(
        "ConcatDataset index across parts",
        D,
        lambda lib: _ud(lib).ConcatDataset([_ds(lib), _ds(lib, 2)])[4],
    ),
    # random_split
    Bad(
        "random_split sum mismatch",
        D,
        lambda lib: _ud(lib).random_split(range(10), [3, 4]),
        ("random_split", "Sum of input lengths", "10"),
    ),
    Bad(
        "random_split fractions over 1",
        D,
        lambda lib: _ud(lib).random_split(range(10), [0.5, 0.6]),
        ("random_split", "0.5"),
    ),
    Bad(
        "random_split negative fraction",
        D,
        lambda lib: _ud(lib).random_split(range(10), [1.5, -0.5]),
        ("random_split", "Fraction", "index 0"),
    ),
    Bad(
        "random_split mixed lengths",
        D,
        lambda lib: _ud(lib).random_split(range(5), [2, 3.5]),
        ("random_split", "3.5"),
    ),
    Bad(
        "random_split fraction remainders",
        D,
        lambda lib: [len(s) for s in _ud(lib).random_split(range(10), [0.33, 0.33, 0.34])],
    ),
    Bad(
        "random_split zero length part",
        D,
        lambda lib: [len(s) for s in _ud(lib).random_split(range(4), [4, 0])],
    ),
    # samplers
    Bad(
        "RandomSampler num_samples=0",
        D,
        lambda lib: _ud(lib).RandomSampler(range(5), num_samples=0),
        ("RandomSampler", "num_samples", "0"),
    ),
    Bad(
        "RandomSampler num_samples=-1",
        D,
        lambda lib: _ud(lib).RandomSampler(range(5), num_samples=-1),
        ("RandomSampler", "num_samples", "-1"),
    ),
    Bad(
        "RandomSampler num_samples=1.5",
        D,
        lambda lib: _ud(lib).RandomSampler(range(5), num_samples=1.5),
        ("RandomSampler", "num_samples", "1.5"),
    ),
    Bad(
        "RandomSampler replacement=1",
        D,
        lambda lib: _ud(lib).RandomSampler(range(5), replacement=1),
        ("RandomSampler", "replacement", "1"),
    ),
    Bad(
        "RandomSampler of an empty dataset",
        D,
        lambda lib: _ud(lib).RandomSampler(range(0)),
        ("RandomSampler", "num_samples", "0"),
    ),
    Bad(
        "WeightedRandomSampler num_samples=0",
        D,
        lambda lib: _ud(lib).WeightedRandomSampler([1.0, 2.0], 0),
        ("WeightedRandomSampler", "num_samples", "0"),
    ),
    Bad(
        "WeightedRandomSampler 2-D weights",
        D,
        lambda lib: _ud(lib).WeightedRandomSampler([[1.0, 2.0]], 2),
        ("WeightedRandomSampler", "weights", "1d", "(1, 2)"),
    ),
    Bad(
        "WeightedRandomSampler negative weight",
        D,
        lambda lib: list(_ud(lib).WeightedRandomSampler([-1.0, 2.0], 2)),
        ("WeightedRandomSampler", "-1"),
    ),
    Bad(
        "WeightedRandomSampler zero weights",
        D,
        lambda lib: list(_ud(lib).WeightedRandomSampler([0.0, 0.0], 2)),
        ("WeightedRandomSampler", "sum", "0"),
    ),
    Bad(
        "WeightedRandomSampler nan weight",
        D,
        lambda lib: list(_ud(lib).WeightedRandomSampler([1.0, float("nan")], 2)),
        ("WeightedRandomSampler", "nan"),
    ),
    Bad(
        "WeightedRandomSampler too many without replacement",
        D,
        lambda lib: list(_ud(lib).WeightedRandomSampler([1.0, 1.0], 3, replacement=False)),
        ("WeightedRandomSampler", "3", "2"),
    ),
    Bad(
        "WeightedRandomSampler replacement='x'",
        D,
        lambda lib: _ud(lib).WeightedRandomSampler([1.0, 2.0], 2, replacement="x"),
        ("WeightedRandomSampler", "replacement", "x"),
    ),
    Bad(
        "WeightedRandomSampler one nonzero weight",
        D,
        lambda lib: list(_ud(lib).WeightedRandomSampler([0.0, 3.0, 0.0], 4)),
    ),
    Bad(
        "BatchSampler batch_size=0",
        D,
        lambda lib: _ud(lib).BatchSampler(range(5), 0, False),
        ("BatchSampler", "batch_size", "0"),
    ),
    Bad(
        "BatchSampler drop_last='no'",
        D,
        lambda lib: _ud(lib).BatchSampler(range(5), 2, "no"),
        ("BatchSampler", "drop_last", "no"),
    ),
    Bad(
        "SubsetRandomSampler over an int",
        D,
        lambda lib: list(_ud(lib).SubsetRandomSampler(3)),
        ("SubsetRandomSampler", "int"),
    ),
    # default_collate
    Bad(
        "default_collate dicts with other keys",
        D,
        lambda lib: _ud(lib).default_collate([{"a": 1}, {"b": 2}]),
        ("default_collate", "a"),
    ),
    Bad(
        "default_collate ragged tuples",
        D,
        lambda lib: _ud(lib).default_collate([(1, 2), (3,)]),
        ("default_collate", "equal size"),
    ),
    Bad(
        "default_collate string arrays",
        D,
        lambda lib: _ud(lib).default_collate([np.array(["a"]), np.array(["b"])]),
        ("default_collate", "<U1"),
    ),
    Bad(
        "default_collate objects",
        D,
        lambda lib: _ud(lib).default_collate([object(), object()]),
        ("default_collate", "object"),
    ),
]
