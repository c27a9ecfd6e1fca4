"""Baseline for bench/run.py: a bare Bottle app on cheroot that returns "hello"."""

import sys

import bottle

app = bottle.Bottle()


@app.route("/", method=["GET", "POST"])
def hello():
    return "hello"


if __name__ == "__main__":
    bottle.run(app, server="cheroot", host="127.0.0.1", port=int(sys.argv[1]), quiet=True)
