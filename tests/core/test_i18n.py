"""Korean is the default language of every message; `Accept-Language: en` gives English.

The HTTP tests assert exact strings, and `test_po_catalog_has_the_strings_the_tests_expect`
ties those strings to locale/ko/LC_MESSAGES/django.po, so a lost or changed translation fails here.
The catalog tests check the committed .po is complete and the committed .mo matches it.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework import exceptions as drf
from rest_framework.test import APIClient

from accounts.models import User

LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "ko" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

INVALID_CREDENTIALS_EN = "Invalid email or password."
INVALID_CREDENTIALS_KO = "이메일 또는 비밀번호가 올바르지 않습니다."
NOT_FOUND_EN = "Not found."
NOT_FOUND_KO = "찾을 수 없습니다."
INVALID_DATA_EN = "The submitted data is not valid."
INVALID_DATA_KO = "제출한 데이터가 올바르지 않습니다."

KOREAN_HEADERS = [
    pytest.param({}, id="no-accept-language"),
    pytest.param({"Accept-Language": "ko"}, id="ko"),
    pytest.param({"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}, id="ko-KR"),
    pytest.param({"Accept-Language": "fr"}, id="unsupported-falls-back-to-ko"),
]
ENGLISH_HEADERS = [
    pytest.param({"Accept-Language": "en"}, id="en"),
    pytest.param({"Accept-Language": "en-US,en;q=0.9"}, id="en-US"),
]

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    """Requests activate a language on this thread; leave it as the test found it."""
    with translation.override(translation.get_language()):
        yield


def _error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def _parse_po(path: Path) -> dict[str, dict[str, Any]]:
    """msgid -> {"msgstr": ..., "flags": [...]} for every entry, header included (msgid "")."""
    entries: dict[str, dict[str, Any]] = {}
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        flags: list[str] = []
        parts: dict[str, list[str]] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ")):
                current, _, literal = line.partition(" ")
                parts[current] = [literal]
            elif line.startswith('"'):
                parts[current].append(line)
        texts = {
            key: "".join(ast.literal_eval(chunk) for chunk in chunks)
            for key, chunks in parts.items()
        }
        # Korean has one plural form: msgstr[0] is the whole translation.
        plural = "msgid_plural" in texts
        msgstr = texts["msgstr[0]"] if plural else texts["msgstr"]
        entries[texts["msgid"]] = {"msgstr": msgstr, "flags": flags, "plural": plural}
    return entries


def _po_messages() -> dict[str, str]:
    # Plural entries live under (msgid, n) keys in a compiled catalog; they are checked for a
    # translation with the others but not looked up by msgid.
    entries = _parse_po(PO_PATH).items()
    return {msgid: entry["msgstr"] for msgid, entry in entries if msgid and not entry["plural"]}


# --- the catalog files --------------------------------------------------------------------------


def test_po_header_is_korean_utf8_single_plural_form() -> None:
    header = _parse_po(PO_PATH)[""]
    assert "fuzzy" not in header["flags"]
    assert "Language: ko\n" in header["msgstr"]
    assert "Content-Type: text/plain; charset=UTF-8\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"]


def test_every_po_entry_is_translated_and_not_fuzzy() -> None:
    entries = {msgid: entry for msgid, entry in _parse_po(PO_PATH).items() if msgid}
    assert entries, "the .po holds no messages"
    untranslated = [msgid for msgid, entry in entries.items() if not entry["msgstr"].strip()]
    fuzzy = [msgid for msgid, entry in entries.items() if "fuzzy" in entry["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_po_translations_keep_placeholders() -> None:
    for msgid, msgstr in _po_messages().items():
        assert sorted(_PLACEHOLDER.findall(msgstr)) == sorted(_PLACEHOLDER.findall(msgid)), msgid


def test_committed_mo_matches_the_po() -> None:
    """The .mo is compiled from the current .po: same messages, same translations, no extras."""
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog: dict[str, str] = compiled._catalog  # type: ignore[attr-defined]
    messages = _po_messages()
    stale = {
        msgid: (catalog.get(msgid), msgstr)
        for msgid, msgstr in messages.items()
        if catalog.get(msgid) != msgstr
    }
    assert stale == {}, "locale/ko/LC_MESSAGES/django.mo is stale: run compilemessages"
    singular = {key for key in catalog if isinstance(key, str)}
    assert singular - {""} == set(messages)
    assert compiled.info().get("language") == "ko"


@pytest.mark.parametrize(
    ("english", "korean"),
    [
        (INVALID_CREDENTIALS_EN, INVALID_CREDENTIALS_KO),
        (NOT_FOUND_EN, NOT_FOUND_KO),
        (INVALID_DATA_EN, INVALID_DATA_KO),
    ],
    ids=["invalid-credentials", "not-found", "invalid-data"],
)
def test_po_catalog_has_the_strings_the_tests_expect(english: str, korean: str) -> None:
    assert _po_messages()[english] == korean


# --- messages over HTTP ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("headers", KOREAN_HEADERS)
def test_login_failure_is_korean_by_default(
    api_client: APIClient, user: User, headers: dict[str, str]
) -> None:
    body = {"email": user.email, "password": "not-the-password"}
    response = api_client.post("/api/auth/login/", body, format="json", headers=headers)
    assert response.status_code == 401
    assert _error(response) == {"code": "authentication_failed", "message": INVALID_CREDENTIALS_KO}


@pytest.mark.django_db
@pytest.mark.parametrize("headers", ENGLISH_HEADERS)
def test_login_failure_is_english_on_request(
    api_client: APIClient, user: User, headers: dict[str, str]
) -> None:
    body = {"email": user.email, "password": "not-the-password"}
    response = api_client.post("/api/auth/login/", body, format="json", headers=headers)
    assert response.status_code == 401
    assert _error(response) == {"code": "authentication_failed", "message": INVALID_CREDENTIALS_EN}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, NOT_FOUND_KO),
        ({"Accept-Language": "ko"}, NOT_FOUND_KO),
        ({"Accept-Language": "en"}, NOT_FOUND_EN),
    ],
    ids=["default", "ko", "en"],
)
def test_unknown_api_path_not_found_message(
    api_client: APIClient, headers: dict[str, str], message: str
) -> None:
    response = api_client.get("/api/no-such-endpoint/", headers=headers)
    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": message}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, INVALID_DATA_KO),
        ({"Accept-Language": "ko"}, INVALID_DATA_KO),
        ({"Accept-Language": "en"}, INVALID_DATA_EN),
    ],
    ids=["default", "ko", "en"],
)
def test_validation_envelope_message(
    api_client: APIClient, headers: dict[str, str], message: str
) -> None:
    response = api_client.post("/api/auth/register/", {}, format="json", headers=headers)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["message"] == message
    assert {"email", "password", "username"} <= set(error["fields"])


@pytest.mark.django_db
def test_drf_field_messages_follow_the_language(api_client: APIClient) -> None:
    ko = _error(api_client.post("/api/auth/register/", {}, format="json"))
    en = _error(
        api_client.post("/api/auth/register/", {}, format="json", headers={"Accept-Language": "en"})
    )
    with translation.override("ko"):
        required_ko = translation.gettext("This field is required.")
    assert en["fields"]["email"] == ["This field is required."]
    assert ko["fields"]["email"] == [required_ko]
    assert required_ko != "This field is required."


@pytest.mark.django_db
def test_drf_not_authenticated_is_korean_by_default(api_client: APIClient) -> None:
    english = "Authentication credentials were not provided."
    with translation.override("ko"):
        korean = str(drf.NotAuthenticated.default_detail)
    assert korean != english, "DRF's Korean catalog is not loaded"

    response = api_client.get("/api/auth/profile/")
    assert response.status_code == 401
    assert _error(response) == {"code": "not_authenticated", "message": korean}

    response = api_client.get("/api/auth/profile/", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert _error(response) == {"code": "not_authenticated", "message": english}


@pytest.mark.django_db
def test_signed_in_request_still_follows_accept_language(auth_client: APIClient) -> None:
    """The language comes from the request, not from a previous response on the same thread."""
    response = auth_client.get("/api/no-such-endpoint/", headers={"Accept-Language": "en"})
    assert _error(response)["message"] == NOT_FOUND_EN
    response = auth_client.get("/api/no-such-endpoint/")
    assert _error(response)["message"] == NOT_FOUND_KO
