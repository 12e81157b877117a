"""The ITA Consolidated Screening List: ``source`` (CSV/JSON reading, strictness) and
``fields`` (published values to record fields)."""
