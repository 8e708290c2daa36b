from bazinga_db.cli import run

run()
