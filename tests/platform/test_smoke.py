"""The control plane is mounted, documented and speaks its one error shape."""

from __future__ import annotations

from tests.platform.harness import ControlPlaneHarness


async def test_openapi_schema_is_served(platform: ControlPlaneHarness) -> None:
    response = await platform.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "TruePort control plane"


async def test_unknown_api_path_is_a_404_in_the_control_plane_shape(platform: ControlPlaneHarness) -> None:
    response = await platform.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    assert response.headers["x-frame-options"] == "DENY"
    assert "max-age=" in response.headers["strict-transport-security"]
