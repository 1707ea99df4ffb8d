"""The row form of a finding: its fields after the path, in order.

Rows travel grouped by notebook (the lint cache's entries, the parallel workers' replies), so a
row has no path; :meth:`nbkit.findings.Finding.to_row` and :func:`nbkit.findings.from_rows`
write and read them.  A module of its own, importing nothing: the one-notebook answer from the
cache (:mod:`nbkit.cli.fastlint`) reads rows by these names without importing the findings'
dataclass machinery.
"""

#: the fields of a finding's row, in order (severity as its value)
ROW_FIELDS = ("code", "name", "severity", "message", "cell_index", "cell_id", "line", "fixable")
