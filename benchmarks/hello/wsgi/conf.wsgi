"""The benchmark's ceiling: the smallest Flask app, served exactly like BugZot.

benchmarks/bench.py points the Apache config generator's ``--root`` at
benchmarks/hello, so this file takes the place of wsgi/conf.wsgi.
"""

from flask import Flask

application = Flask(__name__)


@application.get("/")
def hello():
    return "hello"
