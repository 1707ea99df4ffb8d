"""``nbkit new``."""

from __future__ import annotations

import os

import click


@click.command("new")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--title", default=None, help="The notebook's title (default: from the file name).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(path, title, force):
    """Create PATH, a notebook with the standard layout (refuses to overwrite; creates missing
    folders)."""
    from ..errors import NbkitError
    from ..nbio import atomic_write_bytes, dumps
    from ..template import new_notebook

    if not path.endswith(".ipynb"):
        raise NbkitError("a notebook file name must end in .ipynb", path)
    if os.path.exists(path) and not force:
        raise NbkitError("already exists; nbkit new never overwrites a file (use --force to replace it)", path)
    folder = os.path.dirname(path)
    made = bool(folder) and not os.path.isdir(folder)
    if made:
        try:
            os.makedirs(folder)
        except OSError as e:
            raise NbkitError(f"cannot create the folder ({e.strerror or e})", folder) from None
    if title is None:
        stem = os.path.splitext(os.path.basename(path))[0]
        title = stem.replace("_", " ").replace("-", " ").strip().capitalize() or "Analysis"
    atomic_write_bytes(path, dumps(new_notebook(title)))
    if made:
        click.echo(f"created folder {folder}")
    click.echo(f"created {path}")
