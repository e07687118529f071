"""UI login sessions: an opaque random id in an ``HttpOnly`` cookie, state kept on the server.

The cookie carries only ``secrets.token_urlsafe(32)``; the server keeps the principal, the CSRF token of
the session and the expiry. Forms post the CSRF token back (a hidden field or the ``X-CSRF-Token`` header)
and :meth:`SessionStore.check_csrf` compares it in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE_NAME = "quanta_session"


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in UI session: ``principal`` name, ``csrf`` token and ``expires`` (Unix seconds)."""

    id: str
    principal: str
    csrf: str
    expires: float


@dataclass
class SessionStore:
    """Sessions by id, expiring after ``ttl_seconds``."""

    ttl_seconds: int = 8 * 3600
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, principal: str) -> Session:
        """Start a session for ``principal``."""
        session = Session(
            id=secrets.token_urlsafe(32),
            principal=principal,
            csrf=secrets.token_urlsafe(32),
            expires=time.time() + self.ttl_seconds,
        )
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """Return the live session ``session_id``, or ``None`` (unknown or expired)."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires < time.time():
                del self._sessions[session_id]
                return None
            return session

    def delete(self, session_id: str | None) -> None:
        """End a session (logout)."""
        with self._lock:
            self._sessions.pop(session_id or "", None)

    @staticmethod
    def check_csrf(session: Session, token: str | None) -> bool:
        """Whether ``token`` is the session's CSRF token (constant-time comparison)."""
        return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())
