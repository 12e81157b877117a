"""The ``ecmon`` command: the composition root (click, logging, exit codes).

``main`` builds the group and the run commands; ``common`` is what every command module
shares (the App handle, error handling, output); the other modules add the commands of
one area (analysis, digest, daemon) and their terminal views (``console``, ``metrics``).
"""

from monitor.cli.main import main

__all__ = ["main"]
