"""Running the ``gradlab`` command inside a test."""

from gradlab.cli import main


def run_main(argv, capsys):
    """``gradlab ARGV`` in this process: (exit status, stdout, stderr). argparse's own errors
    exit through SystemExit; its code is the status."""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err
