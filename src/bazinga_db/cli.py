"""The command line's entry point under its first name: skill launchers installed by
earlier versions run ``from bazinga_db.cli import run``. The CLI is ``frontends/cli.py``."""

from .frontends.cli import main, run

__all__ = ["main", "run"]
