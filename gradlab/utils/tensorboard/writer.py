"""``SummaryWriter``: torch.utils.tensorboard's writer of TensorBoard event files, over
tensorboard's own ``EventFileWriter`` (an asynchronous writer of TFRecord files of ``Event``
protos) and summary protos."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from . import summary as S

if S.IMPORT_ERROR is None:
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

__all__ = ["FileWriter", "SummaryWriter"]


def _require_tensorboard(where: str) -> None:
    if S.IMPORT_ERROR is not None:
        raise ImportError(
            f"{where}: writing TensorBoard event files needs the tensorboard package, which is "
            f"not installed ({S.IMPORT_ERROR}); install it with: pip install "
            "\"gradlab[tensorboard]\" (or pip install tensorboard)") from S.IMPORT_ERROR


class FileWriter:
    """Writes ``Event`` protos to one new event file in ``log_dir`` (created if missing):
    queued, and written by a background thread when ``max_queue`` events wait, every
    ``flush_secs`` seconds, on :meth:`flush` and on :meth:`close`."""

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        _require_tensorboard("FileWriter")
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs,
                                            filename_suffix)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None) -> None:
        """Queue ``event`` stamped with ``walltime`` (default now) and ``step`` (if given)."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        """Queue a ``Summary`` proto as an event."""
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()

    def reopen(self) -> None:
        self.event_writer.reopen()


class SummaryWriter:
    """Writes scalars, histograms, images, text and hyper-parameters to TensorBoard event files
    in ``log_dir``, as ``torch.utils.tensorboard.SummaryWriter``; view them with
    ``tensorboard --logdir runs``.

    Args:
        log_dir: the directory; by default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default ``log_dir`` (ignored when ``log_dir`` is given).
        purge_step: resuming a run that crashed: events of this step and later ones, written
            before, are hidden by TensorBoard.
        max_queue: events queued before an ``add_*`` call writes them out.
        flush_secs: seconds between writes of the queue.
        filename_suffix: appended to the event files' names.

    Values may be gradlab tensors, NumPy arrays or Python numbers. Needs the optional
    ``tensorboard`` package (``pip install "gradlab[tensorboard]"``): without it the
    constructor raises ImportError. ``add_graph`` (torch traces the model with TorchScript)
    and the embedding, audio, video, figure, mesh and PR-curve methods are not provided.
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: float = 120, filename_suffix: str = "") -> None:
        _require_tensorboard("SummaryWriter")
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = S.TENSORFLOW_BINS.tolist()

    def _get_file_writer(self) -> FileWriter:
        """The writer of ``log_dir``'s event file, made anew after :meth:`close`."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Record one number (a float, or a one-element tensor or array) under ``tag`` at
        ``global_step``; ``walltime`` (seconds since the epoch) defaults to now. ``new_style``
        stores a tensor proto (float, or double with ``double_precision``) instead of a
        float32 ``simple_value``."""
        self._get_file_writer().add_summary(
            S.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Record several numbers on one chart: each ``tag`` goes to its own event file in the
        sub-directory ``<log_dir>/<main_tag with '/' as '_'>_<tag>``, under ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(fw_tag)
            if fw is None:
                fw = FileWriter(fw_tag, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[fw_tag] = fw
            fw.add_summary(S.scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        """Record the distribution of ``values`` (a tensor or an array, any shape). ``bins``:
        ``'tensorflow'`` (TensorBoard's exponential buckets, ±1e-12 · 1.1^k), or anything
        ``np.histogram`` takes (a count, edges, ``'auto'``, ``'fd'``, ...)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(S.histogram(tag, values, bins, max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag: str, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None) -> None:
        """Record a histogram from its numbers: ``bucket_limits`` are the buckets' right edges,
        as many as ``bucket_counts``."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError(f"add_histogram_raw: len(bucket_limits) = {len(bucket_limits)} "
                             f"!= len(bucket_counts) = {len(bucket_counts)}")
        self._get_file_writer().add_summary(
            S.histogram_raw(tag, min, max, num, sum, sum_squares, list(bucket_limits),
                            list(bucket_counts)), global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """Record an image. Shape: (3, H, W) by default; (1, H, W), (H, W), (H, W, 3), (H, W, 4)
        ... with the matching ``dataformats`` (``'CHW'``, ``'HWC'``, ``'HW'``). uint8 values are
        bytes; any other dtype is in [0, 1] (times 255, clipped, truncated)."""
        self._get_file_writer().add_summary(S.image(tag, img_tensor, dataformats),
                                            global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """Record a batch of images as one grid, eight per row. Shape: (N, 3, H, W) or
        (N, 1, H, W) by default, or as ``dataformats`` says (``'NHWC'``)."""
        self._get_file_writer().add_summary(
            S.image(tag, img_tensor, dataformats, "add_images"), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Record a string (markdown in TensorBoard's text tab), under ``tag/text_summary``."""
        self._get_file_writer().add_summary(S.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None) -> None:
        """Record one run's hyper-parameters (int, float, str, bool or one-element tensor
        values) with its metrics, for TensorBoard's HParams tab: written to the sub-run
        ``<log_dir>/<run_name>`` (by default the current time), the metrics as scalars there."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError(f"add_hparams: hparam_dict and metric_dict should be dictionaries, "
                            f"got {type(hparam_dict).__name__} and "
                            f"{type(metric_dict).__name__}")
        exp, ssi, sei = S.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(),
                              run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as w:
            for s in (exp, ssi, sei):
                w.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Not provided: torch draws the graph of a model traced by TorchScript, which gradlab
        does not have. Raises NotImplementedError."""
        raise NotImplementedError(
            "SummaryWriter.add_graph: gradlab has no TorchScript tracer to draw the model's "
            "graph from; gradlab.tools.summary(model, input_size) lists its layers and shapes")

    def flush(self) -> None:
        """Write every queued event of every event file to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close the event files (a later ``add_*`` opens a new one; closing twice
        does nothing)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()
