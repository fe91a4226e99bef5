"""Sub-commands of ``gradlab`` defined by this package (see ``gradlab.cli.build_parser``)."""

from __future__ import annotations


def register(sub) -> None:
    """Add this package's sub-commands to ``sub`` (argparse sub-parsers of ``gradlab``)."""
