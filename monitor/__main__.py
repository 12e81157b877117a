"""``python -m monitor`` runs the same CLI as the ``ecmon`` command."""

from monitor.cli import main

if __name__ == "__main__":
    main()
