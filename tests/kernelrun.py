"""What one cell executed in a real kernel sent back, for the tests that drive kernels directly
(the magics and the guard)."""

from __future__ import annotations


def output_of(msg: dict) -> dict | None:
    """The output an iopub message carries (stream, display or result, error), or None."""
    t, c = msg["header"]["msg_type"], msg["content"]
    if t == "stream":
        return {"type": t, "name": c["name"], "text": c["text"]}
    if t in ("display_data", "execute_result"):
        return {"type": t, "data": c["data"], "metadata": c.get("metadata", {})}
    if t == "error":
        return {"type": t, "ename": c["ename"], "evalue": c["evalue"]}
    return None


class Run:
    def __init__(self, reply: dict, outputs: list[dict]):
        self.reply = reply
        self.outputs = outputs
        self.stdout = "".join(o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stdout")
        self.stderr = "".join(o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stderr")
        self.displays = [o["data"] for o in outputs if o["type"] in ("display_data", "execute_result")]
        self.errors = [o for o in outputs if o["type"] == "error"]

    def html(self) -> str:
        return "".join(d.get("text/html", "") for d in self.displays)

    def text(self) -> str:
        return "".join(d.get("text/plain", "") for d in self.displays)
