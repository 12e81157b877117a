"""``ecmon export``: one list's current (or past) state as a file others can load.

``entities`` folds the stored versions into one entry per entity (the Entity List is
held by the CSL and the eCFR alike); ``table`` writes CSV and JSON; ``ftm`` writes
FollowTheMoney entities, the format OpenSanctions publishes. Pure: the rows come from
``monitor.store.exports``.
"""
