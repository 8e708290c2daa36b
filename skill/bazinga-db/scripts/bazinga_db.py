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
        from bazinga_db.cli import run
    except ImportError as exc:
        message = (
            f"the bazinga-db package is not installed for {sys.executable} ({exc}); "
            "install it with: python3 -m pip install bazinga-db"
        )
        if "--json" in sys.argv[1:]:
            import json

            print(json.dumps({"ok": False, "error": {"code": "not_installed", "message": message}}))
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
    run()


if __name__ == "__main__":
    main()
