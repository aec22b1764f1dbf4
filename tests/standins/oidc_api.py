"""Stand-ins for the OpenID Connect providers a mobile app signs in with (Google, Apple, Kakao),
as django-allauth's providers call them with `requests`:

- `GET /.well-known/openid-configuration`: discovery, with this server as the issuer;
- the JWKS (`jwks_path`): a real RSA key, by `kid`; ID tokens are real RS256 JWTs (pyjwt) with
  iss/aud/exp/iat/sub/email/email_verified (and nonce), signed with it (`id_token`);
- the token endpoint (`token_path`): `authorization_code` grants a test set up with `grant`,
  checking the client id, the redirect URI and the PKCE verifier against the S256 challenge;
  answers an access token and an ID token. Apple's also checks the ES256 client secret;
- user info (`userinfo_path`, not Apple's): the claims of an access token it issued;
- Kakao's REST API `GET /v2/user/me` in its documented shape (`kakao_user`).

Every request is recorded; queued replies (`enqueue`) win over the routes, to script failures.

    with GoogleStandin(client_id="web-client") as google:
        token = google.id_token(sub="1", email="a@example.com")
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from .server import RecordedRequest, Reply, ScriptedServer, _Handler

DISCOVERY_PATH = "/.well-known/openid-configuration"


class RoutingHandler(_Handler):
    """GET as well as POST: the identity providers' discovery, keys and profiles are GETs."""

    def do_GET(self) -> None:
        request = RecordedRequest(
            method="GET",
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=b"",
        )
        reply = self.server.standin.answer(request)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)


def s256(verifier: str) -> str:
    """RFC 7636's S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def bearer(request: RecordedRequest) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def form(request: RecordedRequest) -> dict[str, str]:
    query = urlsplit(request.path).query
    fields = parse_qs(request.body.decode() or query)
    return {name: values[0] for name, values in fields.items()}


class RoutedStandin(ScriptedServer):
    """A stand-in that answers by route (`routes`: (method, path) -> handler)."""

    def __init__(self) -> None:
        super().__init__()
        self._server.RequestHandlerClass = RoutingHandler

    def routes(self) -> dict[tuple[str, str], Any]:
        return {}

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        handler = self.routes().get((request.method, urlsplit(request.path).path))
        if handler is None:
            return Reply(404, {"error": f"stand-in: no route {request.method} {request.path}"})
        reply: Reply = handler(request)
        return reply

    def hits(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if urlsplit(r.path).path == path]


class OIDCStandin(RoutedStandin):
    jwks_path = "/jwks"
    token_path = "/token"
    userinfo_path: str | None = "/userinfo"
    kid = "standin-key-1"

    def __init__(self, *, client_id: str, client_secret: str = "") -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = _signing_key(type(self).__name__)
        self._grants: dict[str, dict[str, Any]] = {}
        self._userinfo: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    @property
    def issuer(self) -> str:
        return self.origin

    def routes(self) -> dict[tuple[str, str], Any]:
        routes: dict[tuple[str, str], Any] = {
            ("GET", DISCOVERY_PATH): self._discovery,
            ("GET", self.jwks_path): self._jwks,
            ("POST", self.token_path): self._token,
        }
        if self.userinfo_path:
            routes[("GET", self.userinfo_path)] = self._userinfo_reply
        return routes

    # --- what tests build -------------------------------------------------------------------------

    def id_token(
        self,
        *,
        sub: str,
        email: str | None = None,
        email_verified: Any = True,
        aud: str | None = None,
        iss: str | None = None,
        expires_in: int = 600,
        nonce: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": iss or self.issuer,
            "aud": aud or self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        if email is not None:
            payload["email"] = email
            if email_verified is not None:
                payload["email_verified"] = email_verified
        if nonce is not None:
            payload["nonce"] = nonce
        headers = {"kid": kid or self.kid}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers=headers)

    def grant(
        self,
        *,
        code_verifier: str,
        redirect_uri: str,
        claims: dict[str, Any],
        userinfo: dict[str, Any] | None = None,
    ) -> str:
        """An authorization code the app got for `claims` (those of its ID token), with the
        S256 challenge of `code_verifier`; user info answers `userinfo` (default: the claims)."""
        code = f"code-{next(self._ids)}"
        self._grants[code] = {
            "challenge": s256(code_verifier),
            "redirect_uri": redirect_uri,
            "claims": claims,
            "userinfo": userinfo if userinfo is not None else claims,
        }
        return code

    # --- routes -------------------------------------------------------------------------------

    def _discovery(self, request: RecordedRequest) -> Reply:
        config: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.origin}/authorize",
            "token_endpoint": f"{self.origin}{self.token_path}",
            "jwks_uri": f"{self.origin}{self.jwks_path}",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.userinfo_path:
            config["userinfo_endpoint"] = f"{self.origin}{self.userinfo_path}"
        return Reply(200, config)

    def _jwks(self, request: RecordedRequest) -> Reply:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return Reply(200, {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

    def token_error(self, description: str) -> Reply:
        return Reply(400, {"error": "invalid_grant", "error_description": description})

    def _token(self, request: RecordedRequest) -> Reply:
        fields = form(request)
        grant = self._grants.get(fields.get("code", ""))
        if fields.get("grant_type") != "authorization_code" or grant is None:
            return self.token_error("unknown or used code")
        if fields.get("client_id") != self.client_id:
            return self.token_error("client_id mismatch")
        if problem := self.client_problem(fields):
            return Reply(401, {"error": "invalid_client", "error_description": problem})
        if fields.get("redirect_uri") != grant["redirect_uri"]:
            return self.token_error("redirect_uri mismatch")
        if s256(fields.get("code_verifier", "")) != grant["challenge"]:
            return self.token_error("PKCE verification failed: code_verifier")
        del self._grants[fields["code"]]  # single use
        access = f"at-{next(self._ids)}"
        self._userinfo[access] = grant["userinfo"]
        return Reply(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3599,
                "refresh_token": f"rt-{next(self._ids)}",
                "id_token": self.id_token(**grant["claims"]),
            },
        )

    def client_problem(self, fields: dict[str, str]) -> str | None:
        if self.client_secret and fields.get("client_secret") != self.client_secret:
            return "client_secret mismatch"
        return None

    def _userinfo_reply(self, request: RecordedRequest) -> Reply:
        info = self._userinfo.get(bearer(request) or "")
        if info is None:
            return Reply(401, {"error": "invalid_token"})
        return Reply(200, info)


class GoogleStandin(OIDCStandin):
    jwks_path = "/oauth2/v3/certs"
    token_path = "/token"
    userinfo_path = "/v1/userinfo"


class AppleStandin(OIDCStandin):
    """Apple: no user info; the token endpoint wants an ES256 client secret signed with the
    team's key (`team_key`, kid `key_id`, iss `team_id`, sub the client id)."""

    jwks_path = "/auth/keys"
    token_path = "/auth/token"
    userinfo_path = None
    team_id = "TEAM123456"
    key_id = "KEY1234567"

    def __init__(self, *, client_id: str) -> None:
        super().__init__(client_id=client_id)
        self.team_key = ec.generate_private_key(ec.SECP256R1())

    def client_problem(self, fields: dict[str, str]) -> str | None:
        secret = fields.get("client_secret", "")
        try:
            header = jwt.get_unverified_header(secret)
            claims = jwt.decode(
                secret,
                self.team_key.public_key(),
                algorithms=["ES256"],
                audience="https://appleid.apple.com",
                issuer=self.team_id,
            )
        except jwt.PyJWTError as error:
            return f"client_secret: {error}"
        if header.get("kid") != self.key_id or claims.get("sub") != self.client_id:
            return "client_secret: wrong kid or sub"
        return None


class KakaoStandin(OIDCStandin):
    """Kakao's auth host (OIDC, `/oauth/token`) and API host (`/v2/user/me`) on one server."""

    jwks_path = "/.well-known/jwks.json"
    token_path = "/oauth/token"
    userinfo_path = "/v1/oidc/userinfo"
    profile_path = "/v2/user/me"
    token_info_path = "/v1/user/access_token_info"
    app_id = 1234567

    def __init__(self, *, client_id: str, client_secret: str = "") -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self._profiles: dict[str, dict[str, Any]] = {}
        # Access tokens issued to another Kakao app than ours (`app_id`).
        self.foreign_tokens: dict[str, int] = {}

    def routes(self) -> dict[tuple[str, str], Any]:
        return {
            **super().routes(),
            ("GET", self.profile_path): self._profile,
            ("GET", self.token_info_path): self._token_info,
        }

    def kakao_profile(
        self,
        *,
        id: int,
        email: str | None,
        verified: bool = True,
        valid: bool = True,
        nickname: str = "홍길동",
    ) -> dict[str, Any]:
        """What /v2/user/me answers, in Kakao's documented shape."""
        account: dict[str, Any] = {
            "profile_nickname_needs_agreement": False,
            "profile": {
                "nickname": nickname,
                "thumbnail_image_url": "http://k.kakaocdn.net/dn/thumb.jpg",
                "profile_image_url": "http://k.kakaocdn.net/dn/img.jpg",
                "is_default_image": False,
            },
            "email_needs_agreement": email is None,
        }
        if email is not None:
            account |= {"is_email_valid": valid, "is_email_verified": verified, "email": email}
        return {"id": id, "connected_at": "2026-01-05T01:45:28Z", "kakao_account": account}

    def kakao_user(self, *, access_token: str, **profile: Any) -> dict[str, Any]:
        """/v2/user/me answers this profile for `access_token`."""
        self._profiles[access_token] = self.kakao_profile(**profile)
        return self._profiles[access_token]

    def _token(self, request: RecordedRequest) -> Reply:
        reply = super()._token(request)
        if reply.status != 200:
            # Kakao's error shape (KOE320: the code is not valid).
            body = {**reply.body, "error_code": "KOE320"}
            return Reply(reply.status, body)
        # A grant whose user info is a Kakao profile: /v2/user/me answers it for the token.
        body = dict(reply.body)
        info = self._userinfo[body["access_token"]]
        if "kakao_account" in info:
            self._profiles[body["access_token"]] = info
        return Reply(200, {**body, "token_type": "bearer", "refresh_token_expires_in": 5183999})

    def _token_info(self, request: RecordedRequest) -> Reply:
        token = bearer(request) or ""
        profile = self._profiles.get(token)
        if profile is None:
            return Reply(401, {"msg": "this access token does not exist", "code": -401})
        app_id = self.foreign_tokens.get(token, self.app_id)
        return Reply(200, {"id": profile["id"], "expires_in": 7199, "app_id": app_id})

    def _profile(self, request: RecordedRequest) -> Reply:
        profile = self._profiles.get(bearer(request) or "")
        if profile is None:
            return Reply(401, {"msg": "this access token does not exist", "code": -401})
        return Reply(200, profile)


@functools.cache
def _signing_key(owner: str) -> rsa.RSAPrivateKey:
    """One RSA key per provider for the whole run: generating 2048-bit keys is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def unrelated_key() -> rsa.RSAPrivateKey:
    """A key no stand-in publishes (the same one every call: only its being unknown matters)."""
    return _signing_key("unrelated")


def decoded(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
