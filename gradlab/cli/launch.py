"""``gradlab train --nproc N [--hostfile FILE]``: data-parallel training on N MPI processes.

The command relaunches itself as ``mpiexec -n N [-f FILE] python -m gradlab train <same
options>``; each rank then joins ``gradlab.distributed``'s process group, trains the same model
(BatchNorm layers made SyncBatchNorm, gradients averaged by DistributedDataParallel) on its
shard of every epoch (``DistributedSampler``, reshuffled per epoch), and only rank 0 prints,
logs, checkpoints, plots and writes metrics. The batch size is per rank: N ranks of batch B
take steps on N * B images. The training loss and accuracy in the logs are rank 0's shard's;
validation and test run on the full splits (the same weights on every rank).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from gradlab.cli.common import UsageError

#: Set in the environment of the ranks this module starts (the N they were started with).
CHILD_ENV = "GRADLAB_TRAIN_NPROC"

_parser: argparse.ArgumentParser | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--nproc`` and ``--hostfile`` to ``gradlab train``'s parser."""
    global _parser
    _parser = parser
    parser.add_argument("--nproc", type=int, default=None,
                        help="train on N MPI processes (data parallel: each rank takes its "
                        "shard, batch size per rank; needs mpi4py and mpiexec: pip install "
                        "gradlab[distributed])")
    parser.add_argument("--hostfile", default=None, metavar="FILE",
                        help="with --nproc: MPI host file (mpiexec -f FILE) to spread the "
                        "ranks over machines")


def _mpiexec() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.exists(here):
        return here
    found = shutil.which("mpiexec")
    if found is None:
        raise UsageError("--nproc needs mpiexec (next to this Python or on PATH): pip install "
                         "gradlab[distributed] (mpi4py and mpich)")
    return found


def _argv(args: argparse.Namespace) -> list[str]:
    """The ``gradlab train`` options that reproduce ``args`` (without --nproc/--hostfile)."""
    out = []
    for action in _parser._actions:
        if not action.option_strings or action.dest in ("help", "nproc", "hostfile"):
            continue
        value = getattr(args, action.dest, None)
        if value is None:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            if value is True:
                out.append(action.option_strings[0])
        elif isinstance(action, argparse._StoreFalseAction):
            if value is False:
                out.append(action.option_strings[0])
        elif value != action.default:
            out += [action.option_strings[0], str(value)]
    return out


def relaunch(args: argparse.Namespace) -> int | None:
    """Run this command under ``mpiexec`` when ``--nproc N`` (N > 1) asks for it and this is
    not already one of its ranks: the launcher's exit status. None: train in this process."""
    n, hostfile = getattr(args, "nproc", None), getattr(args, "hostfile", None)
    if n is not None and n < 1:
        raise UsageError(f"--nproc must be >= 1, got {n}")
    if hostfile is not None:
        if n is None:
            raise UsageError("--hostfile needs --nproc N")
        if not os.path.isfile(hostfile):
            raise UsageError(f"--hostfile {hostfile} does not exist")
    if os.environ.get(CHILD_ENV) or n is None or (n == 1 and hostfile is None):
        return None
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise UsageError("--nproc needs mpi4py: pip install gradlab[distributed]") from None
    cmd = [_mpiexec(), "-n", str(n)]
    if hostfile is not None:
        cmd += ["-f", hostfile]
    cmd += [sys.executable, "-m", "gradlab", "train"] + _argv(args)
    env = dict(os.environ, **{CHILD_ENV: str(n)})
    print("gradlab train: " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, env=env)


def _set_epoch_callback(sampler):
    """A callback that reshuffles ``sampler`` (a DistributedSampler) at each epoch."""
    from gradlab.train import Callback

    class SetEpoch(Callback):
        def on_epoch_start(self, trainer, epoch: int) -> None:
            sampler.set_epoch(epoch)

    return SetEpoch()


class Ranks:
    """This process's part in a ``--nproc`` run (rank 0 only writes), or a lone process."""

    def __init__(self) -> None:
        self.active = bool(os.environ.get(CHILD_ENV))
        self.rank, self.size = 0, 1
        self._ddp = None
        if self.active:
            import gradlab.distributed as dist

            dist.init_process_group("mpi")
            self.rank, self.size = dist.get_rank(), dist.get_world_size()
            if self.rank != 0:     # the other ranks keep quiet: one log, one set of files
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115

    @property
    def main(self) -> bool:
        return self.rank == 0

    def wrap(self, model):
        """The model to train: BatchNorm made SyncBatchNorm and its gradients averaged over
        the ranks (a DistributedDataParallel kept here holds the hooks; the trainer calls the
        module itself, so checkpoints keep the single-process keys)."""
        if not self.active:
            return model
        from gradlab import nn

        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        self._ddp = nn.parallel.DistributedDataParallel(model)
        return model

    def loader(self, dataset, batch_size: int, seed: int):
        """The training DataLoader: shuffled, this rank's shard; and the callbacks it needs."""
        from gradlab.utils.data import DataLoader, DistributedSampler

        if not self.active:
            return DataLoader(dataset, batch_size=batch_size, shuffle=True), []
        sampler = DistributedSampler(dataset, self.size, self.rank, shuffle=True, seed=seed)
        loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
        return loader, [_set_epoch_callback(sampler)]

    def callbacks(self, callbacks: list) -> list:
        """The logging/checkpoint callbacks on rank 0, none elsewhere."""
        return callbacks if self.main else []

    def describe(self) -> str:
        return (f"; {self.size} MPI ranks (batch size per rank)" if self.active else "")
