"""Environment and seed pinning (``nbkit pin``, ``%nbkit pin``)."""
