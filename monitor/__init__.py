"""ecmon: an export-control list change monitor.

Data flows source -> fetch -> parse -> gate -> diff -> store -> render; see the
README and ``monitor/pipeline.py`` for the shape.
"""

__version__ = "0.1.0"
