"""export/client.py speaks TF Serving's REST predict API (against a fake
server that records requests: no model server is installed here)."""

import base64
import http.server
import json
import threading

import pytest

from tests.helpers import load_script


@pytest.fixture(scope="module")
def client():
    return load_script("export/client.py")


@pytest.fixture
def server():
    """A REST endpoint: records (path, body); answers 400 for language "xx"."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API.
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            if "xx" in body["inputs"].get("language", []):
                status, reply = 400, {"error": "Unknown language code; known codes: en, fr."}
            else:
                status, reply = 200, {"outputs": {"embedding": [[0.5, 0.5]]}}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_rest_request_format(client, server):
    address, seen = server
    outputs = client.rest_predict(
        address, "xlm", "embed", ["Hello", b"\xff\x00bad"], ["en", "fr"], version=3
    )
    assert outputs == {"embedding": [[0.5, 0.5]]}
    path, body = seen[0]
    assert path == "/v1/models/xlm/versions/3:predict"
    assert body == {
        "signature_name": "embed",
        "inputs": {
            "text": ["Hello", {"b64": base64.b64encode(b"\xff\x00bad").decode()}],
            "language": ["en", "fr"],
        },
    }


def test_rest_errors_carry_the_server_message(client, server):
    address, _ = server
    with pytest.raises(client.ServingError, match="HTTP 400: Unknown language code; known codes"):
        client.rest_predict(address, "xlm", "embed", ["Hello"], ["xx"])


def test_translate_request_format(client, server, capsys):
    address, seen = server
    client.main(
        [
            f"--server={address}",
            "--model=mt",
            "--signature=translate",
            "--text=Hi",
            "--language=en",
            "--target_language=fr",
        ]
    )
    assert seen[0] == (
        "/v1/models/mt:predict",
        {
            "signature_name": "translate",
            "inputs": {"text": ["Hi"], "source_language": ["en"], "target_language": ["fr"]},
        },
    )
    with pytest.raises(SystemExit):
        client.main(
            [
                f"--server={address}",
                "--model=mt",
                "--signature=translate",
                "--text=a",
                "--target_language=fr",
                "--target_language=de",
            ]
        )


def test_command_line(client, server, capsys):
    address, seen = server
    client.main([f"--server={address}", "--model=xlmr", "--text=Hi"])
    assert json.loads(capsys.readouterr().out) == {"embedding": [[0.5, 0.5]]}
    assert seen[0] == (
        "/v1/models/xlmr:predict",
        {"signature_name": "serving_default", "inputs": {"text": ["Hi"]}},
    )
    with pytest.raises(SystemExit):
        client.main([f"--server={address}", "--model=xlm", "--text=a", "--text=b", "--language=en"])
