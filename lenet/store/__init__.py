"""The run store: every run as a database row (`runs.RunStore`) on SQLite or PostgreSQL, its
connection and migrations (`engine`, `migrations/`), rows as Python (`rows`), timelines and curves
(`timelines`), the class's own labelled digits (`digits`), staying its size (`space`), nicknames
that look alike (`lookalike`), runs as text and CSV (`table`), and the recorder that writes a run
while it trains (`recorder`).

May import: lenet.errors, lenet.config, lenet.model, lenet.terminal, lenet.files, lenet.timeline,
lenet.training.
"""
