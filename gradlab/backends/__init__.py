"""``gradlab.backends``: torch.backends' switches for the GPU libraries, answered for a CPU-only
library: ``backends.cudnn`` (``enabled``, ``benchmark``, ``deterministic``, ``allow_tf32``,
``is_available()`` False), ``backends.cuda.matmul.allow_tf32`` and ``backends.mps``
(``is_available()`` and ``is_built()`` False).

The switches hold what a script sets and read it back, with torch's defaults, so seeding code
such as ``torch.backends.cudnn.deterministic = True`` runs unchanged; they change nothing in
gradlab, whose CPU kernels neither use cuDNN nor TF32.
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
