"""The workstation's side of the protocol (docs/sync.md): HTTP with timeouts and TLS
verification, and a strict reading of every answer. A malformed or hostile answer is
refused with ``SyncError``; nothing is marked sent on the strength of it."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson
import requests
from pydantic import BaseModel, ValidationError

from cashier_app.engine.protocol import Change as Change  # the feed's reader takes it from here
from cashier_app.engine.protocol import (
    ClockAnswer,
    Enrolment,
    PullAnswer,
    PushAnswer,
    StaffAnswer,
    StaffChange,
)
from cashier_app.sync.outbox import OutboxEvent

TIMEOUT = (5.0, 30.0)  # connect, read


class SyncError(Exception):
    """The exchange failed; ``retry`` says whether trying again later may help."""

    def __init__(self, message: str, *, retry: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.status = status


@dataclass
class SyncClient:
    base_url: str
    token: str | None = None
    verify: bool | str = True  # TLS verification stays on; a path names a private CA
    session: requests.Session | None = None
    timeout: tuple[float, float] = TIMEOUT

    def _session(self) -> requests.Session:
        if self.session is None:
            self.session = requests.Session()
        return self.session

    def _call(
        self,
        method: str,
        path: str,
        model: type[BaseModel],
        extra_headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers |= extra_headers or {}
        try:
            response = self._session().request(
                method,
                self.base_url.rstrip("/") + path,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                **kw,
            )
        except requests.RequestException as exc:
            raise SyncError(f"the server cannot be reached: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise SyncError(
                f"the server failed ({response.status_code})", status=response.status_code
            )
        if response.status_code >= 400:
            message = _problem(response)
            retry = response.status_code in (408, 429)
            raise SyncError(message, retry=retry, status=response.status_code)
        try:
            return model.model_validate_json(response.content)
        except (ValueError, ValidationError) as exc:
            raise SyncError(f"the server's answer is malformed: {str(exc)[:200]}") from exc

    def enrol(self, code: str, device_name: str) -> Enrolment:
        answer: Enrolment = self._call(
            "POST", "/v1/enrol", Enrolment, json={"code": code, "device_name": device_name}
        )
        return answer

    def push(self, events: Sequence[OutboxEvent]) -> PushAnswer:
        # orjson, with each recorded payload embedded as it is: a backlog is thousands of
        # events, and encoding them was a third of the till's share of a push.
        body = orjson.dumps({"events": [_wire(e) for e in events]})
        answer: PushAnswer = self._call(
            "POST",
            "/v1/events",
            PushAnswer,
            data=body,
            extra_headers={"Content-Type": "application/json"},
        )
        sent = {e.id for e in events}
        if {r.id for r in answer.results} != sent:
            raise SyncError("the server answered about other events than those sent")
        return answer

    def pull(self, after: int, limit: int = 1000) -> PullAnswer:
        answer: PullAnswer = self._call(
            "GET", "/v1/changes", PullAnswer, params={"after": after, "limit": limit}
        )
        if answer.changes and (
            answer.changes[0].cursor <= after or answer.cursor < answer.changes[-1].cursor
        ):
            raise SyncError("the server's cursor went backwards")
        return answer

    def snapshot_page(self, after: str, limit: int) -> list[bytes]:
        """A page of the server's snapshot for a first pull (the customers after ``after``,
        at most ``limit``), as its JSON lines. Raises SyncError (status 404 from a server
        without snapshots) when it cannot be had, or is cut short: the gzip trailer's check
        must arrive, and nothing may follow it."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._session().get(
                self.base_url.rstrip("/") + "/v1/snapshot",
                params={"after": after, "limit": str(limit)},
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                stream=True,
            )
        except requests.RequestException as exc:
            raise SyncError(f"the server cannot be reached: {type(exc).__name__}") from exc
        with response:
            if response.status_code >= 400:
                raise SyncError(
                    _problem(response),
                    retry=response.status_code >= 500,
                    status=response.status_code,
                )
            gzip = zlib.decompressobj(31)
            parts = []
            try:
                # Decompressed as it arrives (zlib releases the interpreter lock).
                for chunk in response.iter_content(1 << 16):
                    parts.append(gzip.decompress(chunk))
                parts.append(gzip.flush())
            except (requests.RequestException, zlib.error) as exc:
                raise SyncError(f"the snapshot download broke: {type(exc).__name__}") from exc
            if not gzip.eof or gzip.unused_data:
                raise SyncError("the snapshot download was cut short")
        lines = b"".join(parts).split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        return lines

    def put_staff(self, name: str, change: StaffChange) -> StaffAnswer:
        answer: StaffAnswer = self._call(
            "PUT",
            f"/v1/staff/{quote(name, safe='')}",
            StaffAnswer,
            data=change.model_dump_json(exclude_none=True),
            extra_headers={"Content-Type": "application/json"},
        )
        if answer.name != name:
            raise SyncError("the server answered about another user than the one changed")
        return answer

    def clock(self, now: datetime) -> ClockAnswer:
        answer: ClockAnswer = self._call(
            "GET", "/v1/clock", ClockAnswer, params={"client_time": now.isoformat()}
        )
        return answer


def _wire(e: OutboxEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "device_seq": e.device_seq,
        "kind": e.kind,
        "at": e.at.isoformat(),
        "customer_id": e.customer_id,
        "program_version": e.program_version,
        "payload": orjson.Fragment(e.payload_json),
    }


def _problem(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("message") or body.get("detail") or response.reason)[:300]
    except ValueError:
        return f"{response.status_code} {response.reason}"
