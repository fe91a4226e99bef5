"""``gradlab summary`` and ``gradlab rf``: a zoo model's layer table and its receptive fields
(see ``gradlab.cli.build_parser``, which calls :func:`register`).

    gradlab summary resnet20 --input 3 32 32 [--batch 8] [--depth 2] [--classes 10]
    gradlab summary charlm --input 100                  (a sequence length for text models)
    gradlab rf vgg16 --input 224 [--measure]

Exit status 0, or 2 for bad arguments (one line).
"""

from __future__ import annotations

import argparse

from gradlab.cli.common import UsageError

#: image models: name -> default input channels (``gradlab rf`` uses them)
IMAGE_MODELS = {"mlp": 1, "lenet5": 1, "vgg": 3, "resnet20": 3, "resnet32": 3, "resnet56": 3,
                "alexnet": 3, "vgg16": 3, "zfnet": 3}
#: sequence models over token ids: ``--input L`` is the sequence length
TEXT_MODELS = ("charlm", "lstm-classifier", "gru-tagger", "seq2seq")
MODELS = tuple(IMAGE_MODELS) + TEXT_MODELS
_VOCAB = 65  # the character vocabulary of a small text corpus
_IMAGENET = ("alexnet", "vgg16", "zfnet")



def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def build_model(name: str, channels: int, height: int, width: int, classes: int):
    """A zoo model by its command-line name, sized for (channels, height, width) inputs."""
    from gradlab import models

    if name == "mlp":
        return models.MLP([channels * height * width, 512, classes])
    if name == "lenet5":
        if height != width:
            raise ValueError(f"LeNet5 takes square inputs (28 or 32), got {height}x{width}")
        return models.LeNet5(classes, in_channels=channels, input_size=height)
    if name == "vgg":
        if height != width:
            raise ValueError(f"VGG takes square inputs, got {height}x{width}")
        return models.VGG(num_classes=classes, in_channels=channels, input_size=height)
    if name in ("resnet20", "resnet32", "resnet56"):
        return getattr(models, name)(num_classes=classes, in_channels=channels)
    classic = {"alexnet": models.AlexNet, "vgg16": models.VGG16, "zfnet": models.ZFNet}
    if name in classic:
        if channels != 3:
            raise ValueError(f"{name} takes 3-channel (RGB) images, got {channels} channels")
        return classic[name](num_classes=classes)
    raise ValueError(f"unknown model '{name}' (choose from {', '.join(MODELS)})")


def _text_model(name: str, classes: int):
    from gradlab import models

    if name == "charlm":
        return models.CharLM(_VOCAB)
    if name == "lstm-classifier":
        return models.SequenceClassifier(classes, vocab_size=_VOCAB, embedding_dim=32)
    if name == "gru-tagger":
        return models.SequenceTagger(classes, vocab_size=_VOCAB, embedding_dim=32, cell="gru")
    return models.Seq2Seq(_VOCAB, _VOCAB)


def _features(model):
    from gradlab import nn

    class Features(nn.Module):
        """``model.features`` alone, under the same name."""

        def __init__(self, features) -> None:
            super().__init__()
            self.features = features

        def forward(self, x):
            return self.features(x)

    return Features(model.features)


def _summary(args: argparse.Namespace) -> int:
    import gradlab
    from gradlab.tools.summary import summary

    usage = UsageError
    dims = args.input
    if args.classes is None:
        args.classes = 1000 if args.model in _IMAGENET else 10
    if args.depth < 0:
        raise usage(f"--depth must be >= 0, got {args.depth}")
    if args.model in TEXT_MODELS:
        if len(dims) != 1:
            raise usage(f"--input: {args.model} reads token ids: --input takes one value, the "
                        f"sequence length L, got {len(dims)} values")
        model = _text_model(args.model, args.classes)
        ids = gradlab.zeros(args.batch, dims[0], dtype=gradlab.int64)
        data = [ids, ids] if args.model == "seq2seq" else [ids]
        what = f"token ids ({args.batch}, {dims[0]}), vocabulary {_VOCAB}"
    else:
        if len(dims) != 3:
            raise usage(f"--input takes three values C H W for {args.model}, got {len(dims)}")
        try:
            model = build_model(args.model, *dims, args.classes)
        except ValueError as exc:
            raise usage(f"--input: {exc}") from None
        data = [gradlab.zeros(args.batch, *dims)]
        what = f"input ({args.batch}, {', '.join(map(str, dims))})"
    try:
        s = summary(model, input_data=data, depth=args.depth)
    except RuntimeError as exc:
        raise usage(f"--input: {' '.join(str(exc).split())}") from None
    print(f"{type(model).__name__} ({args.model}), {what}")
    print(s)
    return 0


def _rf(args: argparse.Namespace) -> int:
    from gradlab.tools.receptive_field import measure_receptive_field, receptive_field

    usage = UsageError
    if args.model not in IMAGE_MODELS or args.model == "mlp":
        convs = ", ".join(m for m in IMAGE_MODELS if m != "mlp")
        raise usage(f"MODEL: receptive fields need a convolutional model ({convs}), got "
                    f"'{args.model}'")
    dims = args.input
    if len(dims) not in (1, 2):
        raise usage(f"--input takes N (square) or H W, got {len(dims)} values")
    h, w = (dims[0], dims[0]) if len(dims) == 1 else dims
    try:
        model = build_model(args.model, IMAGE_MODELS[args.model], h, w, 10)
    except ValueError as exc:
        raise usage(f"--input: {exc}") from None
    name = type(model).__name__
    if args.model in _IMAGENET:
        model = _features(model)  # the 4096-wide classifier adds nothing to the fields
    size = h if h == w else (h, w)
    try:
        table = receptive_field(model, size)
        measured = measure_receptive_field(model, size, [r.name for r in table.layers]) \
            if args.measure else None
    except (RuntimeError, ValueError) as exc:
        raise usage(f"--input: {' '.join(str(exc).split())}") from None
    print(f"{name} ({args.model})")
    lines = str(table).splitlines()
    if measured is None:
        print("\n".join(lines))
        return 0
    print(lines[0])
    print(lines[1] + "  Measured (central unit)")
    print(lines[2] + "-" * 25)
    agree = True
    for row, text in zip(table.layers, lines[3:]):
        m = measured[row.name]
        ok = m.region == row.region()
        agree &= ok
        print(f"{text}  {m.size[0]}x{m.size[1]} {'ok' if ok else 'DIFFERS'}")
    print("closed form and autograd measurement " + ("agree" if agree else "DIFFER") +
          " (regions of each layer's central unit, clipped to the image)")
    return 0 if agree else 1


def register(sub) -> None:
    """Add ``gradlab summary`` and ``gradlab rf`` to ``sub``, the sub-parsers of ``gradlab``."""
    s = sub.add_parser(
        "summary", help="a zoo model's layers: output shapes, parameters, mult-adds, memory",
        description="Print a torchinfo-style table of a zoo model: per layer its output shape, "
        "parameters (trainable), multiply-accumulates and output bytes, then the totals. "
        "Image models take --input C H W; text models (charlm, lstm-classifier, gru-tagger, "
        "seq2seq) take --input L, a sequence length of token ids.")
    s.add_argument("model", choices=MODELS, metavar="MODEL",
                   help=f"zoo model: {', '.join(MODELS)}")
    s.add_argument("--input", type=_positive, nargs="+", required=True, metavar="DIM",
                   help="C H W for image models, L for text models (no batch dimension)")
    s.add_argument("--batch", type=_positive, default=1, help="batch size (default 1)")
    s.add_argument("--depth", type=int, default=3, help="nesting depth of rows (default 3)")
    s.add_argument("--classes", type=_positive, default=None,
                   help="output classes (default 1000 for alexnet, vgg16, zfnet; else 10)")
    s.set_defaults(func=_summary)
    r = sub.add_parser(
        "rf", help="receptive field, jump and output size of each conv/pool layer",
        description="Print the receptive-field table of a convolutional zoo model for an "
        "N x N input: per conv/pool layer its output size, jump (cumulative stride), "
        "receptive-field size and the centre of its first unit. --measure checks each row "
        "against autograd (the input pixels with a non-zero gradient for the layer's central "
        "unit); exit status 1 if they differ.")
    r.add_argument("model", choices=MODELS, metavar="MODEL",
                   help=f"zoo model: {', '.join(m for m in IMAGE_MODELS if m != 'mlp')}")
    r.add_argument("--input", type=_positive, nargs="+", required=True, metavar="N",
                   help="input size: N (square) or H W")
    r.add_argument("--measure", action="store_true",
                   help="also measure each field with autograd (slower: seconds, and GBs of "
                   "memory for the classics at 224)")
    r.set_defaults(func=_rf)
