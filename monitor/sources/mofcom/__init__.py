"""MOFCOM announcements in Chinese: the JPaaS indexes (``index``, ``options``), page text
(``text``, ``article``), what a text does (``classify``, ``entities``, ``trade``), the action
records (``actions``) and the derived UEL/ECL lists (``lists``)."""
