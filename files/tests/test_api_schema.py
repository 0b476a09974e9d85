"""schemathesis against /api/v1/schema/: generated requests, no server error, answers as documented.

In-process through the WSGI application (the same stack gunicorn runs,
middleware included), with a token of alice's who owns a folder and a file,
so that requests reach real rows as well as missing ones.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

# Imported here, not lazily mid-test where schemathesis does: on CPython 3.11.7 (gh-106905,
# see _lambda_names_never_crash) an import that parses source after the parser's depth
# went wrong fails, and Hypothesis calls the replay flaky.
import schemathesis.generation.body_overrides  # noqa: F401
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts import tokens
from accounts.models import User
from files.tests.conftest import MakeFile, MakeFolder
from files.uploads.handler import HashedUpload
from portal.wsgi import application

# Examples per operation (28 operations), each in the positive and the negative mode.
EXAMPLES = 8


# Read at collection: the schema view needs no database. (schemathesis'
# from_fixture would read it in a fixture, but fails under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# A query parameter the API does not know is ignored, as by most web APIs:
# sending one is not "invalid data" that must be refused.
schema.config.generation.update(allow_extra_parameters=False)


@pytest.fixture(autouse=True)
def _lambda_names_never_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis names a strategy's lambdas with ast.parse, which CPython 3.11 before 3.11.8
    (gh-106905) can fail with SystemError for good once any parse hit the recursion limit;
    a SyntaxError instead makes Hypothesis name the lambda "<unknown>" and go on."""
    parse = ast.parse

    def parse_or_give_up(*args: Any, **kwargs: Any) -> ast.AST:
        try:
            return parse(*args, **kwargs)
        except SystemError as error:
            raise SyntaxError(str(error)) from error

    monkeypatch.setattr(ast, "parse", parse_or_give_up)


@pytest.fixture(autouse=True)
def _keep_the_connection(db: None) -> Iterator[None]:
    """As Django's test client does: the end of a request must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> str:
    docs = make_folder(alice, "Docs")
    make_file(alice, "notes.txt", folder=docs)
    make_file(alice, "top.txt")
    _, raw = tokens.create_token(alice, "schemathesis")
    return raw


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],  # fmt: skip
)
def test_the_api_answers_as_its_schema_says(
    case: schemathesis.Case, token: str, incoming_uploads: list[HashedUpload]
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        # Requests the schema allows may still break a rule it cannot state:
        # a link expiring in the past, both `file` and `folder`, a taken name.
        excluded_checks=[positive_data_acceptance, *multipart_blind_spot(case)],
        # werkzeug's client closes each answer once read, as gunicorn does;
        # unbuffered, schemathesis would never close it.
        buffered=True,
    )
    # Django closes a request's uploads when its answer is closed; one left
    # to the collector raises there (its bytes moved into storage), in
    # whichever later test the collector happens to run.
    assert [incoming.name for incoming in incoming_uploads if not incoming.closed] == []


def multipart_blind_spot(case: schemathesis.Case) -> list[schemathesis.CheckFunction]:
    """The upload's invalid `folder` values that multipart cannot carry: the check is off for them.

    An object or a list (`{}`, `[null, null]`) as `folder` is encoded as no
    part at all, or as several; werkzeug writes an empty string as a part
    that Django's parser skips (curl's empty part is refused: test_api_files).
    Nothing of the invalid value reaches the server.
    """
    body = case.body if isinstance(case.body, dict) else {}
    unsendable = body.get("folder") == "" or isinstance(body.get("folder"), dict | list)
    return [negative_data_rejection] if unsendable else []
