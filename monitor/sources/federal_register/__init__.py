"""Federal Register rules on the Entity List: the API answers (``documents``), the action
records (``actions``), the full-text rule XML (``rule``) and its prose (``text``)."""
