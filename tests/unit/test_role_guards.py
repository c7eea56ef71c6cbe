"""Role guards run on the event loop: litestar hands a plain-function guard to a worker thread."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from litestar.exceptions import PermissionDeniedException

from contracts.keys import Role
from shared.auth.roles import Principal
from shared.http.auth import allow


def test_a_role_guard_is_a_coroutine_function_so_it_costs_no_thread_hand_off():
    assert asyncio.iscoroutinefunction(allow(Role.AUDITOR, Role.REGISTRAR))


def test_a_role_guard_admits_its_roles_and_refuses_the_others_with_403():
    guard = allow(Role.AUDITOR)
    auditor = SimpleNamespace(user=Principal(key_id="k1", role=Role.AUDITOR, scope=None, name="a"))
    hr = SimpleNamespace(user=Principal(key_id="k2", role=Role.HR, scope="n", name="h"))
    asyncio.run(guard(auditor, None))
    with pytest.raises(PermissionDeniedException, match="auditor"):
        asyncio.run(guard(hr, None))
