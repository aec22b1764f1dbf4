"""A stand-in for Naver Login as django-allauth's Naver provider calls it with `requests`:
`POST /oauth2.0/token` (nid.naver.com: an `authorization_code` grant with client id, secret and
`state`; errors come back as 200 with `error`, as Naver answers them) and `GET /v1/nid/me`
(openapi.naver.com: the profile of a bearer token, `{"resultcode": "00", "message":
"success", "response": {...}}`; an unknown token is Naver's 401 with resultcode 024). Both hosts
are this one server."""

from __future__ import annotations

import itertools
from typing import Any

from .oidc_api import RoutedStandin, bearer, form
from .server import RecordedRequest, Reply

TOKEN_PATH = "/oauth2.0/token"
PROFILE_PATH = "/v1/nid/me"


class NaverStandin(RoutedStandin):
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self._profiles: dict[str, dict[str, Any]] = {}
        self._grants: dict[str, tuple[str, dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def routes(self) -> dict[tuple[str, str], Any]:
        return {("POST", TOKEN_PATH): self._token, ("GET", PROFILE_PATH): self._profile}

    def profile(self, *, id: str, email: str | None, name: str = "김네이버") -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": id,
            "nickname": "naverfan",
            "profile_image": "https://ssl.pstatic.net/static/pwe/address/img_profile.png",
            "age": "20-29",
            "gender": "F",
            "name": name,
            "birthday": "10-01",
            "birthyear": "2001",
        }
        if email is not None:
            body["email"] = email
        return body

    def naver_user(self, *, access_token: str, **profile: Any) -> dict[str, Any]:
        self._profiles[access_token] = self.profile(**profile)
        return self._profiles[access_token]

    def grant(self, *, state: str, **profile: Any) -> str:
        code = f"naver-code-{next(self._ids)}"
        self._grants[code] = (state, self.profile(**profile))
        return code

    def _token(self, request: RecordedRequest) -> Reply:
        fields = form(request)
        grant = self._grants.pop(fields.get("code", ""), None)
        valid = (
            fields.get("grant_type") == "authorization_code"
            and fields.get("client_id") == self.client_id
            and fields.get("client_secret") == self.client_secret
            and grant is not None
            and fields.get("state") == grant[0]
        )
        if not valid or grant is None:
            return Reply(200, {"error": "invalid_request", "error_description": "no valid data"})
        access = f"naver-at-{next(self._ids)}"
        self._profiles[access] = grant[1]
        return Reply(
            200,
            {
                "access_token": access,
                "refresh_token": "naver-rt",
                "token_type": "bearer",
                "expires_in": "3600",
            },
        )

    def _profile(self, request: RecordedRequest) -> Reply:
        profile = self._profiles.get(bearer(request) or "")
        if profile is None:
            return Reply(
                401,
                {"resultcode": "024", "message": "Authentication failed (인증 실패하였습니다.)"},
            )
        return Reply(200, {"resultcode": "00", "message": "success", "response": profile})
