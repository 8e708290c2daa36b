from bazinga_db.frontends.cli import run

run()
