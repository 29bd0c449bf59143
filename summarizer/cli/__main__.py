"""``python -m summarizer.cli``: the ``summarizer`` command."""

import sys

from . import main

sys.exit(main())
