"""Domain errors, and the one place they become HTTP responses.

Services raise these; routes never build `HTTPException` themselves.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError


class DomainError(Exception):
    """A failure the caller can understand and fix."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and validation errors to clear JSON 4xx/5xx responses."""

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            {"error": exc.code, "detail": exc.message}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _data_error(_request: Request, _exc: Exception) -> JSONResponse:
        # The database refused a value that passed validation: PostgreSQL cannot store a NUL
        # character, SQLite an integer past 64 bits. That is the caller's data: a 422.
        return JSONResponse(
            {
                "error": "invalid",
                "detail": "A value cannot be stored (a NUL character, or a number too large).",
            },
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "where": ".".join(str(part) for part in err.get("loc", ())),
                "problem": err.get("msg", "invalid"),
            }
            for err in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid", "detail": "The request is not valid.", "problems": problems},
            status_code=422,
        )
