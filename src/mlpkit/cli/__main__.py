"""``python -m mlpkit.cli``: the ``mlpkit`` command."""

from . import main

main()
