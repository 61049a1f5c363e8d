"""``python -m handover``."""

from handover.cli import main

main()
