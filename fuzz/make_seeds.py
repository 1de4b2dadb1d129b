#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; small text files).

The seeds are the inputs of the unit tests of each parser, plus valid documents signed with
the fuzzing key of `auth0_api::fuzzing` (TEST_KEY_PKCS8), so that the fuzzer starts from
inputs that get past the signature checks. Needs the `cryptography` package. ECDSA signatures
are randomized: re-running rewrites the signed seeds with new signatures.

    python3 fuzz/make_seeds.py
"""

import base64
import hashlib
import hmac
import json
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

NOW = 1_700_000_000
ISSUER = "https://issuer.example/"
AUDIENCE = "https://api.example/"
HTU = "https://api.example/resource"
DPOP_ACCESS_TOKEN = "fuzz-access-token"
NONCE_SECRET = b"fuzzing-nonce-secret-32-bytes-ok"
PKCS8 = bytes.fromhex(
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"
    "a7d4c32504cbde037d6447da18a92e51d94fb2b7683aedbbfc8f59b31374dd60a144034200"
    "04294490 06be6797e2fd40de23d1e3e3d65d2235f72fa8000b6f938fb6c54a535b9c3a4b"
    "3b2163055342d128965d9b4ef7d3f79bfdd06b43a0c7ca5c2c7eaeb322".replace(" ", "")
)

KEY = serialization.load_der_private_key(PKCS8, password=None)


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def js(v):
    return json.dumps(v, separators=(",", ":"))


NUMBERS = KEY.public_key().public_numbers()
JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": b64(NUMBERS.x.to_bytes(32, "big")),
    "y": b64(NUMBERS.y.to_bytes(32, "big")),
}
THUMBPRINT = b64(
    hashlib.sha256(
        js({k: JWK[k] for k in ("crv", "kty", "x", "y")}).encode()
    ).digest()
)


def sign(header, payload):
    signing_input = b64(js(header).encode()) + "." + b64(js(payload).encode())
    der = KEY.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def nonce(issued_at):
    tag = hmac.new(
        NONCE_SECRET, b"auth0-api/dpop-nonce/v1\0" + struct.pack(">Q", issued_at), "sha256"
    ).digest()[:16]
    return b64(struct.pack(">Q", issued_at) + tag)


ACCESS_TOKEN = sign(
    {"alg": "ES256", "typ": "at+jwt", "kid": "fuzz"},
    {"iss": ISSUER, "aud": AUDIENCE, "sub": "fuzz", "iat": NOW - 60, "exp": NOW + 3600},
)
ATH = b64(hashlib.sha256(DPOP_ACCESS_TOKEN.encode()).digest())
PROOF_CLAIMS = {"jti": "seed-1", "htm": "GET", "htu": HTU, "iat": NOW, "ath": ATH}
PROOF = sign({"typ": "dpop+jwt", "alg": "ES256", "jwk": JWK}, PROOF_CLAIMS)
KID_JWK = dict(JWK, kid="fuzz", alg="ES256")
# RFC 7638 §3.1 example key.
RSA_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}

SEEDS = {
    "authorization": [
        "Bearer " + ACCESS_TOKEN,
        "DPoP " + ACCESS_TOKEN,
        "bearer abc.def.ghi",
        "Bearer  padded==",
        "Bearer a b",
        "Bearer ",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer one\nBearer two",
        "Bearer a,Bearer b",
    ],
    "jws": [
        ACCESS_TOKEN,
        PROOF,
        b64(js({"alg": "none"}).encode()) + "." + b64(b"{}") + ".",
        b64(js({"alg": "ES256", "crit": ["exp"]}).encode()) + "." + b64(b"{}") + ".AA",
        b64(js({"alg": "HS256"}).encode()) + "." + b64(b"{}") + ".AA",
        "a.b.c",
        "..",
    ],
    "jwk": [
        js(JWK),
        js(KID_JWK),
        js(RSA_JWK),
        js(dict(RSA_JWK, e="AAEAAQ")),
        js({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
        js({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}),
        js(dict(JWK, use="enc")),
        js(dict(JWK, key_ops=["verify"], alg="ES384")),
        '{"kty":"EC","kty":"RSA"}',
    ],
    "jwks": [
        js({"keys": [KID_JWK]}),
        js({"keys": [KID_JWK]}) + "\0max-age=300, must-revalidate",
        js({"keys": [KID_JWK]}) + "\0no-store",
        js({"keys": [RSA_JWK, KID_JWK, 1, {"kty": "oct"}]}),
        js({"keys": [dict(KID_JWK, x=RSA_JWK["e"]), KID_JWK]}),
        js({"keys": []}),
        js({"keys": {}}),
        "[]",
    ],
    "discovery": [
        js({"issuer": ISSUER, "jwks_uri": ISSUER + ".well-known/jwks.json"}),
        js(
            {
                "issuer": ISSUER.rstrip("/"),
                "jwks_uri": "https://keys.example/jwks",
                "token_endpoint": ISSUER + "oauth/token",
            }
        ),
        js({"issuer": ISSUER, "jwks_uri": "http://127.0.0.1:8080/jwks"}),
        js({"issuer": "https://other.example/", "jwks_uri": ISSUER + "jwks"}),
        js({"issuer": ISSUER, "jwks_uri": 7}),
        js({"issuer": ISSUER}),
    ],
    "dpop_proof": [
        PROOF,
        PROOF + "\n" + PROOF,
        js(PROOF_CLAIMS),
        js(dict(PROOF_CLAIMS, jti="seed-2", nonce=nonce(NOW))),
        js(dict(PROOF_CLAIMS, jti="seed-3", htu=HTU + "?q=1#f")),
        js(dict(PROOF_CLAIMS, jti="seed-4", iat=NOW - 301)),
        js(dict(PROOF_CLAIMS, jti="seed-5", iat=str(NOW))),
        js(dict(PROOF_CLAIMS, jti="", htm="get")),
    ],
    "htu": [
        HTU,
        "HTTPS://API.example:443/resource\n" + HTU,
        "https://api.example/a/../resource?x#y\n" + HTU,
        "https://api.example/%7Euser/%2f\nhttps://api.example/~user/%2F",
        "http://[::1]:8080/p\nhttp://[::1]:8080/p",
        "https://user@api.example/resource\n" + HTU,
        "https://api.example:0/\n" + HTU,
        "urn:x\n" + HTU,
    ],
    "forwarded": [
        "0for=192.0.2.60;proto=https;host=api.example\n4internal:8080",
        '0For="[2001:db8:cafe::17]:4711";Proto=HTTPS;Host="api.example:8443", for=10.0.0.1',
        "1https\n2api.example:8443\n3/prefix\n4internal",
        "4api.example\n4other.example",
        "4[::1]:8080",
        "5https://api.example/path?q",
        "0host=a\n0host=b",
        "0proto=ftp;host=a b",
    ],
    "nonce": [
        nonce(NOW),
        nonce(NOW - 300),
        nonce(NOW + 31),
        nonce(NOW)[:-1] + "A",
        "not-a-nonce",
        "",
    ],
    "token_response": [
        "0" + js({"access_token": "at", "token_type": "Bearer", "expires_in": 3600}),
        "0" + js({"access_token": "at", "expires_in": "60", "scope": "read", "id_token": "x"}),
        "0" + js({"access_token": "", "expires_in": -1}),
        "0" + js({"access_token": "at", "expires_in": 1e400}),
        "1" + js({"error": "invalid_grant", "error_description": "bad\u0007 grant"}),
        "2not json at all",
        "3" + js({"error": 5}),
    ],
}

for target, seeds in SEEDS.items():
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        os.remove(os.path.join(d, old))
    for i, seed in enumerate(seeds):
        with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
            f.write(seed.encode())
print("thumbprint", THUMBPRINT)
