"""A district to inspect: nurseries, inspectors with scoped keys, a registrar, a draw helper."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from contracts.keys import Role
from services.credential.application import Credentials
from services.credential.application.common import today
from tests.conftest import issue
from tests.integration.certification_world import nursery


@dataclass
class District:
    client: object
    app: Credentials
    registrar: dict[str, str]
    nurseries: list[str]
    inspectors: list[str] = field(default_factory=list)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_inspector(self, name: str, unit: str = "金山区教育局督导室") -> str:
        response = self.client.post("/v1/inspectors", json={"name": name, "unit": unit}, headers=self.registrar)
        assert response.status_code == 201, response.text
        inspector_id = response.json()["inspector_id"]
        self.inspectors.append(inspector_id)
        self.keys[inspector_id] = issue(self.app, Role.INSPECTOR, scope=inspector_id, name=name)
        return inspector_id

    def announce(self, month: str, count: int, beacon_source: str = "福彩3D 开奖号码") -> str:
        seed = secrets.token_hex(32)
        response = self.client.post("/v1/inspections/draws", headers=self.registrar, json={
            "month": month, "count": count, "commitment": hashlib.sha256(bytes.fromhex(seed)).hexdigest(),
            "beacon_source": beacon_source, "beacon_on": today().isoformat()})
        assert response.status_code == 201, response.text
        return seed

    def draw(self, month: str, seed: str, beacon: str = "3 7 1") -> dict:
        response = self.client.post(f"/v1/inspections/draws/{month}/draw", headers=self.registrar,
                                    json={"seed": seed, "beacon": beacon})
        assert response.status_code == 200, response.text
        return response.json()


def make_district(client, towns: int = 5) -> District:
    app = client.app.state.service
    names = ["朱泾镇阳光托育园", "枫泾镇小太阳托育园", "亭林镇托育园", "张堰镇托育园", "石化街道托育园", "吕巷镇托育园"]
    nurseries = [nursery(app, names[i]) for i in range(towns)]
    return District(client=client, app=app, registrar=issue(app, Role.REGISTRAR), nurseries=nurseries)
