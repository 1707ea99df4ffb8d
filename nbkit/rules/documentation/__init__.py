"""NBD: documentation.  Is there enough prose, and does it say what a reader needs (where the
data comes from, who wrote it and when, what the figures show, what supports each finding)?"""
