"""``python -m search.cli``: the same commands as the ``kb`` console script."""

from search.cli import main

main(prog_name="kb")
