"""The rule registry loads its rule files once, safely from many threads: verify judges notebooks
in worker threads, and one of them looking a rule up while another is still importing the rule
files must not see a half-filled registry ("unknown rule 'slow-notebook'")."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_first_lookups_from_many_threads_all_find_the_rule():
    script = textwrap.dedent("""
        import threading
        from nbkit import rules
        barrier = threading.Barrier(16)
        errors = []
        def look():
            barrier.wait()
            try:
                assert rules.get("slow-notebook").code == "NBR024"
                assert len(rules.all_rules()) >= 58
            except Exception as e:
                errors.append(repr(e))
        threads = [threading.Thread(target=look) for _ in range(16)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(errors)
    """)
    for _ in range(5):  # a fresh interpreter each time: the first lookups race the import
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        assert out.strip() == "[]", out
