"""Analysis, pure: sector tags, countermeasure links and chains, attribution of changes to
acts, and watchlist screening with its name matching. No clock, network or database here
(the store's side lives in ``monitor.store.analysis``; files are read by ``watchlist_file``).
"""
