"""The HTTP error contract: every error is `{"error": message}`; under /v1/ it has OpenAI's shape,
`{"error": {"message", "type"}}`, which OpenAI clients show."""

from fastapi.responses import JSONResponse


def error_response(path: str, message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    if path == "/v1" or path.startswith("/v1/"):  # "/v1/" is routed as "/v1" (`TrailingSlash`)
        kind = "invalid_request_error" if status < 500 else "server_error"
        return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)
    return JSONResponse({"error": message}, status_code=status, headers=headers)
