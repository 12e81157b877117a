"""The digest templates, installed as the package ``monitor.templates`` (see setup.py).

This file makes the folder a regular package, so ``importlib.resources.files`` gives its
real directory in a wheel and in an editable install alike; it holds no code.
"""
