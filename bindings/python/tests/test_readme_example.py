"""The example test from the auth0-fastapi-api README, with only the import changed."""

from auth0_rs.fastapi import Auth0FastAPI
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

app = FastAPI()
auth0 = Auth0FastAPI(domain="my-tenant.us.auth0.com", audience="my-api")


@app.get("/public")
async def public():
    return {"message": "No token required here"}


@app.get("/secure")
async def secure_route(claims: dict = Depends(auth0.require_auth(scopes="read:secure"))):
    # claims might contain {"sub":"user123","scope":"read:secure"}
    return {"message": f"Hello {claims['sub']}, you have read:secure scope!"}


# Example test
def test_public_route():
    client = TestClient(app)
    response = client.get("/public")
    assert response.status_code == 200
    assert response.json() == {"message": "No token required here"}


def test_secure_route_without_token_asks_for_one_and_makes_no_network_call():
    response = TestClient(app).get("/secure")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="api"')
