"""Search: the portable index (index.py), queries on it (query.py), and the text rules both
share (text.py)."""
