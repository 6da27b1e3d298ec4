"""``python -m trueport`` is the ``trueport`` command."""

from trueport.cli import main

main()
