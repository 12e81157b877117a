"""Shipped test harness: the fixture HTTP server on 127.0.0.1 and ``ecmon demo``.

It lives in the package (not under ``tests/``) because ``ecmon demo`` uses it from a
normal install; nothing in production code paths imports it.
"""
