"""Query an exported XLM / XLM-R model on TensorFlow Serving.

REST needs only the standard library; gRPC needs `tensorflow` and
`tensorflow-serving-api` (same version as the server's TensorFlow).

  python export/client.py --server=localhost:8501 --model=xlm --signature=embed \\
      --text="Hello world!" --text="Bonjour !" --language=en --language=fr
  python export/client.py --grpc --server=localhost:8500 --model=xlmr \\
      --signature=fill_mask --text="Paris is the <mask> of France."
  python export/client.py --server=localhost:8501 --model=mt --signature=translate \\
      --text="Hello world!" --language=en --target_language=fr

Prints the outputs as JSON. The text signatures (`serving_default`, `embed`,
`tokenize`, `fill_mask`) take `text` and, for XLM models with language
embeddings, one `language` code per text; `translate` takes `text` and, for
models with language embeddings, `source_language` (`--language`) and
`target_language` codes; see export/README.md.
"""

import argparse
import base64
import json
import urllib.error
import urllib.request

TEXT_SIGNATURES = ("serving_default", "embed", "tokenize", "fill_mask", "translate")


class ServingError(Exception):
    """The server refused the request (e.g. an unknown language code)."""


def rest_predict(
    server, model, signature, texts, languages=None, version=None, timeout=30, target_languages=None
):
    """Call a text signature over REST.

    Args:
        server: "host:port" of the REST API (TF Serving's --rest_api_port).
        model: model name from models.config.
        signature: one of `TEXT_SIGNATURES`.
        texts: list of str or bytes (bytes that are not UTF-8 are sent as
            {"b64": ...}).
        languages: list of language codes, one per text, or None
            (`translate`: the source languages).
        version: int, or None for the served version.
        timeout: seconds to wait for the reply.
        target_languages: `translate` only: target language codes, one per
            text, or None.

    Returns: dict output name -> nested lists.

    Raises: `ServingError` with the server's message on HTTP errors.
    """
    inputs = {"text": [_json_text(text) for text in texts]}
    inputs.update(
        {
            name: list(codes)
            for name, codes in _language_inputs(signature, languages, target_languages).items()
        }
    )
    url = f"http://{server}/v1/models/{model}"
    if version is not None:
        url += f"/versions/{version}"
    body = json.dumps({"signature_name": signature, "inputs": inputs}).encode("utf-8")
    request = urllib.request.Request(
        url + ":predict", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)["outputs"]
    except urllib.error.HTTPError as error:
        message = error.read().decode("utf-8", "replace")
        try:
            message = json.loads(message).get("error", message)
        except ValueError:
            pass
        raise ServingError(f"HTTP {error.code}: {message}") from None


def grpc_predict(
    server, model, signature, texts, languages=None, version=None, timeout=30, target_languages=None
):
    """Call a text signature over gRPC; same arguments as `rest_predict`.

    Returns: dict output name -> numpy array.
    """
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    request.inputs["text"].CopyFrom(
        tf.make_tensor_proto([_bytes(text) for text in texts], tf.string, [len(texts)])
    )
    for name, codes in _language_inputs(signature, languages, target_languages).items():
        request.inputs[name].CopyFrom(
            tf.make_tensor_proto([_bytes(code) for code in codes], tf.string, [len(codes)])
        )
    with grpc.insecure_channel(server) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout)
        except grpc.RpcError as error:
            raise ServingError(f"{error.code().name}: {error.details()}") from None
    return {name: tf.make_ndarray(tensor) for name, tensor in response.outputs.items()}


def _language_inputs(signature, languages, target_languages):
    """dict input name -> codes: `language`, or `translate`'s
    `source_language` and `target_language`."""
    if signature != "translate":
        return {} if languages is None else {"language": languages}
    names = {"source_language": languages, "target_language": target_languages}
    return {name: codes for name, codes in names.items() if codes is not None}


def _json_text(text):
    """str as is; bytes as str when UTF-8, else TF Serving's {"b64": ...}."""
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(text).decode("ascii")}
    return text


def _bytes(text):
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _jsonable(outputs):
    """numpy arrays (gRPC) as lists, bytes as str."""

    def convert(value):
        if hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value

    return {name: convert(value) for name, value in outputs.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default="localhost:8501",
        help="host:port; TF Serving's REST port, or its gRPC port with --grpc.",
    )
    parser.add_argument("--model", required=True, help="Model name in models.config.")
    parser.add_argument("--signature", default="serving_default", choices=TEXT_SIGNATURES)
    parser.add_argument(
        "--text", action="append", required=True, help="A text; repeat for a batch."
    )
    parser.add_argument(
        "--language",
        action="append",
        help="Language code of each --text (XLM models with language embeddings; "
        "translate: the source language).",
    )
    parser.add_argument(
        "--target_language", action="append", help="translate: target language code of each --text."
    )
    parser.add_argument("--version", type=int, help="Model version; default: the served one.")
    parser.add_argument("--grpc", action="store_true", help="Use gRPC instead of REST.")
    args = parser.parse_args(argv)
    if args.language is not None and len(args.language) != len(args.text):
        parser.error(
            f"Give one --language per --text ({len(args.text)}); got {len(args.language)}."
        )
    if args.target_language is not None and len(args.target_language) != len(args.text):
        parser.error(
            f"Give one --target_language per --text ({len(args.text)}); got "
            f"{len(args.target_language)}."
        )
    predict = grpc_predict if args.grpc else rest_predict
    outputs = predict(
        args.server,
        args.model,
        args.signature,
        args.text,
        args.language,
        args.version,
        target_languages=args.target_language,
    )
    print(json.dumps(_jsonable(outputs), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
