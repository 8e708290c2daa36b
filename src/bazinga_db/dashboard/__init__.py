"""The live web dashboard (`bazinga-db dashboard`): read-only pages, JSON twins under
/api/, and server-sent events when agents write. Imported only by that command."""
