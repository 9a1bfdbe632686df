"""A small but real OpenID Connect provider on 127.0.0.1, for the tests.

It serves discovery, a JWKS (keys generated once per test session), an authorize endpoint
that approves at once and redirects back with a code, a token endpoint that checks the
client's Basic authentication, the redirect URI and the PKCE verifier, and user info with
Pro Santé Connect's SubjectNameID. ``behaviour`` makes it misbehave the ways a provider,
or someone in between, can.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

CLIENT_ID = "telegarde-tests"
CLIENT_SECRET = "s3cret:with/odd+chars"


@dataclass
class Behaviour:
    """What the provider does wrong in a test; the defaults do everything right."""

    signing: str = "rsa"  # rsa | ec | impostor (another key, same kid) | unknown_kid
    rpps: str | None = None  # None: the user info has no RPPS
    rpps_format: str = "idnat"  # idnat ("8" + RPPS) | plain
    claims: dict[str, Any] = field(default_factory=dict)  # ID token claims to override
    userinfo_sub: str | None = None
    authorize_error: str = ""  # e.g. access_denied
    fail: dict[str, str] = field(default_factory=dict)  # path -> "500" | "hang"
    hang_seconds: float = 3.0


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    subject: str


class Provider:
    def __init__(self) -> None:
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
        self.impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger", "use": "sig"})
        self.behaviour = Behaviour()
        self.grants: dict[str, Grant] = {}
        self.token_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/realm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.behaviour = Behaviour()
        self.grants.clear()
        self.token_requests = 0

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- documents --------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.rsa, self.ec]).as_dict())

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": grant.nonce,
            "acr": "eidas1",
            **self.behaviour.claims,
        }
        keys: dict[str, Key] = {
            "rsa": self.rsa,
            "ec": self.ec,
            "impostor": self.impostor,
            "unknown_kid": self.stranger,
        }
        key = keys[self.behaviour.signing]
        alg = "ES256" if self.behaviour.signing == "ec" else "RS256"
        return jwt.encode({"alg": alg, "kid": str(key.kid)}, claims, key)

    def userinfo(self, grant: Grant) -> dict[str, Any]:
        info: dict[str, Any] = {
            "sub": self.behaviour.userinfo_sub or grant.subject,
            "given_name": "Paul",
            "family_name": "PRATICIEN",
        }
        rpps = self.behaviour.rpps
        if rpps is not None:
            national = f"8{rpps}" if self.behaviour.rpps_format == "idnat" else rpps
            info["SubjectNameID"] = info["preferred_username"] = national
        return info


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, document: dict[str, Any]) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _misbehaving(self, path: str) -> bool:
            mode = provider.behaviour.fail.get(path)
            if mode == "hang":
                time.sleep(provider.behaviour.hang_seconds)
                return True
            if mode == "500":
                self._json(500, {"error": "server_error"})
                return True
            return False

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path = url.path.removeprefix("/realm")
            if self._misbehaving(path):
                return
            if path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif path == "/jwks":
                self._json(200, provider.jwks())
            elif path == "/authorize":
                self._authorize({k: v[0] for k, v in parse_qs(url.query).items()})
            elif path == "/userinfo":
                self._userinfo()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path.removeprefix("/realm")
            if self._misbehaving(path):
                return
            if path != "/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self._token(form)

        def _authorize(self, query: dict[str, str]) -> None:
            if (
                query.get("response_type") != "code"
                or query.get("client_id") != CLIENT_ID
                or query.get("code_challenge_method") != "S256"
                or "openid" not in query.get("scope", "").split()
                or not query.get("code_challenge")
                or not query.get("nonce")
            ):
                self._json(400, {"error": "invalid_request"})
                return
            answer: dict[str, str] = {"state": query.get("state", "")}
            if provider.behaviour.authorize_error:
                answer["error"] = provider.behaviour.authorize_error
            else:
                code = secrets.token_urlsafe(24)
                provider.grants[code] = Grant(
                    client_id=query["client_id"],
                    redirect_uri=query["redirect_uri"],
                    nonce=query["nonce"],
                    challenge=query["code_challenge"],
                    subject=f"f:psc:{secrets.token_hex(8)}",
                )
                answer["code"] = code
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urlencode(answer)}")
            self.end_headers()

        def _client_authenticated(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            pair = base64.b64decode(header[6:]).decode()
            client_id, _, secret = pair.partition(":")
            return (unquote(client_id), unquote(secret)) == (CLIENT_ID, CLIENT_SECRET)

        def _token(self, form: dict[str, str]) -> None:
            provider.token_requests += 1
            if not self._client_authenticated():
                self._json(401, {"error": "invalid_client"})
                return
            grant = provider.grants.pop(form.get("code", ""), None)  # codes are single use
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                form.get("grant_type") != "authorization_code"
                or grant is None
                or grant.redirect_uri != form.get("redirect_uri")
                or grant.challenge != challenge
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            access = secrets.token_urlsafe(24)
            provider.grants[f"access:{access}"] = grant
            self._json(
                200,
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 120,
                    "id_token": provider.id_token(grant),
                },
            )

        def _userinfo(self) -> None:
            header = self.headers.get("Authorization", "")
            grant = provider.grants.get(f"access:{header.removeprefix('Bearer ')}")
            if not header.startswith("Bearer ") or grant is None:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, provider.userinfo(grant))

    return Handler
