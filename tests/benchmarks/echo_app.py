"""The reference for HTTP figures: a bare Flask app that parses a JSON body and echoes it.

Served by gunicorn with the same settings as the real app:
`--pythonpath tests/benchmarks echo_app:app`.
"""

from __future__ import annotations

from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/echo")
def echo() -> Response:
    """Parse the JSON body and send it back, serialised again: the framework's floor."""
    return app.json.response(request.get_json())
