"""Ordered, named schema migrations, recorded in the ``_migrations`` table.

``NAMES`` is the one list of them, in order; the schema version a database is at is the
number of them applied. It lives here, apart from the steps, so that the check made on
every call ("is this database up to date?") needs no more than this tuple. The steps are
in ``steps.py``; adopting tables that another tool made is in ``adoption.py``.
"""

NAMES = ("m001_initial", "m002_log_search", "m003_token_sources", "m004_write_tokens", "m005_workflow_records",
         "m006_context_and_memory")
LATEST_VERSION = len(NAMES)
