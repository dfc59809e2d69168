"""A TCP relay on loopback in front of a real server (PostgreSQL), which a test can cut and
restore: while cut, new connections are refused and the open ones are dropped, as when
the database restarts or its host name stops resolving for a while."""

import contextlib
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

import pytest
from sqlalchemy.engine import make_url

from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import free_port


class Relay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def __enter__(self) -> "Relay":
        self.restore()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cut()

    def restore(self) -> None:
        """Listens again (nothing to do when not cut)."""
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, []
        for sock in [s for s in (listener,) if s is not None] + sockets:
            with contextlib.suppress(OSError):  # not connected (the listener), or closed
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass  # cut, or the other side closed
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def postgres_behind_relay() -> Iterator[tuple[str, Relay]]:
    """A fresh PostgreSQL database reached through a relay: (its URL through the relay,
    the relay, started). Skips when no PostgreSQL server answers."""
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as direct:
        url = make_url(direct)
        with Relay(url.host or "127.0.0.1", url.port or 5432) as relay:
            yield url.set(host="127.0.0.1", port=relay.port).render_as_string(False), relay
