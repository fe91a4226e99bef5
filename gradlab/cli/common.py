"""What every sub-command module of ``gradlab`` shares: :class:`UsageError` (a bad argument:
one line, exit status 2) and the parser class that reports errors that way."""

from __future__ import annotations

import argparse


class UsageError(Exception):
    """A bad command-line argument: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse without the usage block on errors: one line, exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")
