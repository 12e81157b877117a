"""The eCFR Entity List (15 CFR 744 Supp. No. 4) at any date: ``source``, the table reader
(``table``), the Entity cell (``cells``) and the country names (``countries``)."""
