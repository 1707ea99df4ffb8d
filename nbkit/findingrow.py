"""The row form of a finding: its fields after the path, in order; what fails a run.

Rows travel grouped by notebook (the lint cache's entries, the parallel workers' replies), so a
row has no path; :meth:`nbkit.findings.Finding.to_row` and :func:`nbkit.findings.from_rows`
write and read them.  A module of its own, importing nothing: the one-notebook answer from the
cache (:mod:`nbkit.cli.fastlint`) reads rows by these names, and decides its exit status with
:func:`fails` as :meth:`nbkit.lintresult.LintResult.exit_code` does, without importing the
findings' dataclass machinery.
"""

#: the fields of a finding's row, in order (severity as its value)
ROW_FIELDS = ("code", "name", "severity", "message", "cell_index", "cell_id", "line", "fixable")

#: the severities' ranks: a finding at or above the threshold's rank fails the run
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}


def fails(severities, threshold: str) -> bool:
    """Does a finding of one of ``severities`` (values: "error", ...) fail a run whose lowest
    failing severity is ``threshold``?"""
    rank = SEVERITY_RANK
    bar = rank[threshold]
    return any(rank[s] >= bar for s in severities)
