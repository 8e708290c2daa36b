#!/usr/bin/env python3
"""The bazinga-db skill's script: the bazinga-db command line of the installed package.

    python3 .claude/skills/bazinga-db/scripts/bazinga_db.py [--db PATH] [--json] COMMAND ARGS...
"""

import os
import sys


def main() -> None:
    # This file is named bazinga_db.py: drop its own folder from the import path, or
    # `import bazinga_db` would find this script instead of the installed package.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    try:
        from bazinga_db.frontends.cli import run
    except ImportError as exc:
        # This python3 lacks the package, but a `bazinga-db` command on PATH (pipx, or a
        # virtualenv's bin folder) carries its own interpreter: hand the call over to it.
        import shutil

        command = shutil.which("bazinga-db")
        if command:
            os.execv(command, [command, *sys.argv[1:]])
        message = (
            f"the bazinga-db package is not installed for {sys.executable} ({exc}), and there is "
            "no bazinga-db command on PATH; install it from a bazinga-db checkout with: python3 -m pip "
            "install . (or pipx install . for a bazinga-db command on PATH)"
        )
        if "--json" in sys.argv[1:]:
            import json

            print(json.dumps({"ok": False, "error": {"code": "not_installed", "message": message}}))
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
    run()


if __name__ == "__main__":
    main()
