"""``python -m gradlab.cli`` runs the ``gradlab`` command."""

import sys

from gradlab.cli import main

sys.exit(main())
