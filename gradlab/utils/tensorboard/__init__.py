"""``torch.utils.tensorboard``: :class:`SummaryWriter` writes scalars, histograms, images, text
and hyper-parameters to TensorBoard event files (the optional ``tensorboard`` package does the
writing: ``pip install "gradlab[tensorboard]"``). Not imported by ``import gradlab``; import it
as torch's: ``from gradlab.utils.tensorboard import SummaryWriter``."""

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
