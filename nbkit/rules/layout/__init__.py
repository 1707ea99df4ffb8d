"""NBL: the standard notebook layout (title, summary, questions, setup, data, analysis,
findings, next steps, appendix).  Section detection lives in :mod:`nbkit.layout`."""
