"""Functional forms of activations, losses, padding and attention (``torch.nn.functional``'s
names).

One file per family of ``gradlab/ops/``: each holds the public functions of its family with their
argument checks, and its own ``__all__``; this package re-exports them under one ``__all__``
(tests/test_functional_all.py checks it names every public function).

``linear``, ``dropout`` and ``embedding`` are each a submodule and a function here; the function
is the package's attribute (as ``torch.autograd.gradcheck`` is), so ``F.dropout(x)`` is the
function and the submodule is reached by ``from gradlab.nn.functional.dropout import ...``.
"""

from . import activation as _activation
from . import attention as _attention
from . import conv as _conv
from . import dropout as _dropout
from . import embedding as _embedding
from . import linear as _linear
from . import loss as _loss
from . import normalization as _normalization
from . import pooling as _pooling
from . import shape as _shape
from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .embedding import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .shape import *  # noqa: F403

# Private helpers that other modules still reach as ``F._name`` (issue 18 step 7 removes that
# reach): nn/dropout.py (_check_dropout_p), nn/loss.py (_reduction), compress/quantize.py
# (_conv_padding).
_conv_padding = _conv._conv_padding
_check_dropout_p = _dropout._check_dropout_p
_reduction = _loss._reduction

__all__ = [*_activation.__all__, *_linear.__all__, *_conv.__all__, *_pooling.__all__,
           *_normalization.__all__, *_loss.__all__, *_dropout.__all__, *_embedding.__all__,
           *_shape.__all__, *_attention.__all__]
