"""The daemon: APScheduler timing (``scheduler``), the jobs it runs (``jobs``: the same
calls the CLI makes), and health alerts (``health`` decides, ``alerts`` mails).
"""
