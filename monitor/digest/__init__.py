"""The digest: what goes in (``inputs``, read from the store), the model (``model``,
``entities``, ``actions``: pure), its rendering with Jinja (``render``) and the outbox that
queues rendered messages for the channels in ``monitor.notify``. Render only; never send.
"""
