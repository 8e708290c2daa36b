"""One module per record family: its validation, its SQL, and the reads that reports, the
dashboard and export share. Each function takes the open store (``core.Store``) first;
``BazingaDB`` (``store.py``) binds them as methods."""
