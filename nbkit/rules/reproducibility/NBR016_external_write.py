"""NBR016 external-write (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import re

from ...analysis.semantic import dotted, lazy_re, str_const
from .. import Hit, rule
from .helpers import (MAGIC_METHODS, REMOTE, SPARK_IO, call_paths, hide_query, open_mode_writes, shell_commands,
                      spark_io)


WRITE_METHODS = frozenset({
    "to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_pickle", "to_hdf", "to_netcdf",
    "to_zarr", "to_orc", "to_xml", "to_stata", "to_html", "to_latex", "to_markdown", "savefig", "save",
    "savez", "savez_compressed", "savetxt", "dump", "write_text", "write_bytes", "write_csv", "write_parquet",
    "write_json", "write_ipc", "write_delta", "write_excel", "urlretrieve", "download", "retrieve",
    "makedirs", "mkdir", "copy", "copyfile", "copy2", "copytree", "move", "rename", "replace", "extractall",
    "unpack_archive", "to_file", "imwrite", "imsave", "write", "save_model", "save_weights", "fetch",
    "hf_hub_download", "download_url", "get_file", "exists", "isfile", "isdir", "is_file", "is_dir", "touch",
    "symlink_to", "write_image", "write_html",
})

DB_WRITE_METHODS = frozenset({"to_sql", "to_gbq", "insert_rows", "insert_rows_json", "load_table_from_dataframe",
                              "write_pandas", "insert_many", "insert_one", "update_one", "update_many",
                              "delete_one", "delete_many", "bulk_write", "replace_one"})

STORE_WRITE_METHODS = frozenset({"upload_file", "upload_fileobj", "put_object", "copy_object", "delete_object",
                                 "delete_objects", "put_item", "batch_write_item", "upload_blob",
                                 "upload_from_filename", "upload_from_string", "upload_from_file",
                                 "upload_folder", "upload_large_folder", "push_to_hub", "create_repo"})

_SQL_METHODS = ("execute", "executemany", "executescript", "sql", "exec_driver_sql")

# every method the loop over calls can report (spark_io is False for a method outside SPARK_IO)
_LOOKED_AT = (DB_WRITE_METHODS | STORE_WRITE_METHODS | WRITE_METHODS | SPARK_IO
              | {*_SQL_METHODS, "post", "put", "patch", "delete", "open"})

_SQL_WRITE = lazy_re(r"^\s*(insert|update|delete|create|drop|alter|truncate|merge|replace|grant|upsert)\b",
                        re.IGNORECASE)


@rule("NBR016", "external-write", "info",
      "writes to databases or remote stores (`to_sql`, `s3://`) not tagged `side-effect`", requires=("python",))
def external_write(nb, ctx):
    """
    ## What it does
    Reports cells that change the world outside the notebook: `df.to_sql(...)`,
    `to_gbq`, SQL `INSERT`/`UPDATE`/`DELETE`/`CREATE`/`DROP` executed through a cursor or
    engine, writes to `s3://`, `gs://`, `az://` and other remote stores, uploads
    (`upload_file`, `put_object`, `push_to_hub`), `requests.post/put/patch/delete`, and
    `aws s3 cp`/`gsutil cp` to a remote destination, unless the cell is tagged
    `side-effect`.

    ## Why is this bad?
    Re-running the notebook (by a colleague, by CI, by `nbkit verify`) repeats the write:
    duplicate rows, overwritten tables or files. Readers should see at a glance which cells
    do this.

    ## Example
    ```python
    scores.to_sql("churn_scores", engine, if_exists="replace")
    ```

    ## Use instead
    Tag the cell `side-effect` (and guard it with a parameter such as `WRITE_RESULTS`), or
    move the write into a pipeline step.
    """
    def tagged(cell) -> bool:
        return bool({"side-effect", "nbkit:side-effect"} & set(cell.tags))

    tagged_at: dict[int, bool] = {}  # cell index -> tagged(cell)
    for ci in ctx.facts.semantic.calls:
        method = ci.method
        if method not in _LOOKED_AT:  # None, or a method no branch below reports
            continue
        t = tagged_at.get(ci.cell.index)
        if t is None:
            t = tagged_at[ci.cell.index] = tagged(ci.cell)
        if t or (method in MAGIC_METHODS and ci.magic is not None):
            continue
        q = ci.qual or ""
        what = None
        if ci.method in DB_WRITE_METHODS and not q:
            what = "writes to a database"
        elif ci.method in STORE_WRITE_METHODS:
            what = "writes to a remote store"
        elif ci.method in _SQL_METHODS:
            arg = ci.node.args[0] if ci.node.args else None
            if isinstance(arg, ast.Call) and ci.node.args and (names := dotted(arg.func)) and names[-1] == "text":
                arg = arg.args[0] if arg.args else None
            s = str_const(arg)
            if s and (m := _SQL_WRITE.match(s)):
                what = f"runs SQL {m.group(1).upper()} against a database"
        elif q.split(".")[0] in ("requests", "httpx") and ci.method in ("post", "put", "patch", "delete"):
            what = f"sends an HTTP {ci.method.upper()} to a remote service"
        elif spark_io(ci, "write") and ci.method in ("saveAsTable", "insertInto", "jdbc"):
            what = "writes to a database table"
        elif ci.method in WRITE_METHODS or spark_io(ci, "write") or (
                ci.method == "open" and open_mode_writes(ci.node)):
            remote = [v for v, _ in call_paths(ctx.facts, ci, positions=None) if REMOTE.match(v)
                      and not v.lower().startswith(("http://", "https://"))]
            if remote:
                what = f"writes to a remote store ({hide_query(remote[0])})"
        if what:
            yield Hit(f"{ci.text}() {what}; tag the cell `side-effect` so readers (and re-runs) know it changes "
                      "things outside the notebook", ci.cell, ci.node.lineno)
    for ci, line, cmd in shell_commands(ctx.facts):
        if tagged(ci.cell):
            continue
        words = cmd.split()
        if len(words) < 3 or words[0] not in ("aws", "gsutil", "azcopy", "gcloud", "hdfs", "dvc"):
            continue
        if words[0] == "dvc":
            if words[1] == "push":
                yield Hit("`dvc push` writes to a remote store; tag the cell `side-effect`", ci.cell, line)
            continue
        non_opts = [w.strip("'\"") for w in words[1:] if not w.startswith("-")]
        if any(v in ("cp", "sync", "mv", "rm", "rsync", "copy", "put", "-put") for v in words[1:4]) and non_opts \
                and REMOTE.match(non_opts[-1]):
            yield Hit(f"`{words[0]}` writes to a remote store ({hide_query(non_opts[-1])}); tag the cell "
                      "`side-effect` so readers (and re-runs) know it changes things outside the notebook",
                      ci.cell, line)
