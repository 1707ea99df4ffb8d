"""NBH: notebook hygiene (execution order, errors, clutter, debug leftovers, file names).

Every rule here reads only the notebook model (and, for NBH014, the list of notebooks in the
run); none of them imports IPython or touches the file system.  Two rules have fixers:
NBH006 deletes empty cells and NBH015 strips trailing whitespace in markdown.
"""
