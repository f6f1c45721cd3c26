"""OSC transports: UDP and TCP listeners that only receive, validate the source and enqueue.

One thread reads UDP, one selector thread serves every TCP connection (OSC 1.0 length-prefixed
or OSC 1.1 SLIP framing, detected per connection), and one dispatcher thread hands packets to
the router, so no request ever runs on a network thread and no client can block another.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from bridge.errors import MalformedPacket, PacketTooLarge
from bridge.osc.framing import cut_frames, frame, looks_like_slip
from bridge.osc.packets import encode_message
from bridge.osc.peer import Peer
from bridge.osc.ratelimit import RateLimiter
from bridge.settings import Settings

log = logging.getLogger(__name__)

INBOX_SIZE = 10_000
TCP_OUTBOX_LIMIT = 4 << 20  # a client that reads nothing is dropped past this


class UdpPeer(Peer):
    """Replies go to the sender's IP at the reply port, from the server socket."""

    def __init__(self, sock: socket.socket, address: tuple[str, int], reply_port: int):
        self._sock = sock
        self.host = address[0]
        self._target = (address[0], reply_port or address[1])
        self.name = f"udp {address[0]}:{address[1]}"

    def send(self, address: str, *args: object) -> None:
        try:
            self._sock.sendto(encode_message(address, args), self._target)
        except OSError as err:
            log.debug("reply to %s failed: %s", self.name, err)


class TcpPeer(Peer):
    """Replies go back on the same connection, framed as the client framed its requests."""

    def __init__(self, connection: _TcpConnection):
        self._connection = connection
        self.host = connection.host
        self.name = f"tcp {connection.host}:{connection.port}"

    def send(self, address: str, *args: object) -> None:
        self._connection.queue_reply(encode_message(address, args))


class _TcpConnection:
    def __init__(self, sock: socket.socket, address: tuple, server: OscServer):
        self.sock = sock
        self.host, self.port = address[0], address[1]
        self.server = server
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.lock = threading.Lock()
        self.slip: bool | None = None
        self.last_active = time.monotonic()
        self.closed = False
        self.peer = TcpPeer(self)

    def queue_reply(self, message: bytes) -> None:
        data = frame(message, bool(self.slip))
        with self.lock:
            if self.closed:
                return
            self.outbox += data
        self.server._wake()

    def frames(self) -> list[bytes]:
        """Cut complete frames out of the inbox; raise MalformedPacket if the stream is hopeless."""
        if self.slip is None and self.inbox:
            self.slip = looks_like_slip(self.inbox[0])
        return cut_frames(self.inbox, bool(self.slip), self.server.settings.packet_max_bytes)


class OscServer:
    """Receives OSC over UDP and TCP on one port; ``handle(packet, peer)`` runs on one thread."""

    def __init__(self, settings: Settings, handle: Callable[[bytes, Peer], None]):
        self.settings = settings
        self._handle = handle
        self._allowed = [ipaddress.ip_network(a, strict=False) for a in settings.allow]
        self._inbox: queue.Queue[tuple[bytes, Peer, float] | None] = queue.Queue(INBOX_SIZE)
        # seconds from receipt to handled, for the last packets (status and reliability figures)
        self.handling_seconds: deque[float] = deque(maxlen=10_000)
        self._limiter = RateLimiter(settings.rate_limit_per_second)
        self._connections: dict[socket.socket, _TcpConnection] = {}
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.udp: socket.socket | None = None
        self.tcp: socket.socket | None = None
        self._stats = {"received": 0, "refused": 0, "inbox_full": 0}  # counted by the UDP and TCP threads
        self._stats_lock = threading.Lock()

    @property
    def port(self) -> int:
        assert self.udp is not None
        return self.udp.getsockname()[1]

    def start(self) -> None:
        # with port 0 the UDP port is picked first; TCP may find it taken, so pick again
        for attempt in range(50 if self.settings.port == 0 else 1):
            try:
                self._bind()
                break
            except OSError:
                if attempt == 49 or self.settings.port != 0:
                    raise
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.tcp.setblocking(False)
        self.udp.settimeout(0.25)
        self._selector.register(self.tcp, selectors.EVENT_READ)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        for target, name in ((self._udp_loop, "osc-udp"), (self._tcp_loop, "osc-tcp"), (self._dispatch_loop, "osc-dispatch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("listening for OSC on %s port %d (UDP and TCP); replies to port %d",
                 self.settings.host, self.port, self.settings.reply_port)

    def _bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        udp = socket.socket(family, socket.SOCK_DGRAM)
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            udp.bind((self.settings.host, self.settings.port))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((self.settings.host, udp.getsockname()[1]))
            tcp.listen(128)
        except OSError:
            udp.close()
            tcp.close()
            raise
        self.udp, self.tcp = udp, tcp

    def stop(self) -> None:
        self._stopping.set()
        self._wake()
        try:
            self._inbox.put_nowait(None)
        except queue.Full:
            pass
        for thread in self._threads:
            thread.join(timeout=2.0)
        for connection in list(self._connections.values()):
            self._flush_before_close(connection)
        for sock in (self.udp, self.tcp, self._wake_r, self._wake_w, *self._connections):
            if sock is not None:
                sock.close()
        self._connections.clear()

    @staticmethod
    def _flush_before_close(connection: _TcpConnection) -> None:
        """Last replies (shutdown errors) still reach TCP clients; a stuck client gets 0.5 s."""
        with connection.lock:
            pending, connection.outbox = bytes(connection.outbox), bytearray()
        if pending:
            try:
                connection.sock.settimeout(0.5)
                connection.sock.sendall(pending)
            except OSError:
                pass

    def _admit(self, host: str) -> bool:
        """Source allowlist (beyond loopback) and per-client rate limit."""
        if self._allowed:
            ip = ipaddress.ip_address(host.split("%")[0])
            if not ip.is_loopback and not any(ip in net for net in self._allowed):
                refused = self._count("refused")
                if refused % 1000 == 1:
                    log.warning("dropped a request from %s: not in the allow list (%d so far)", host, refused)
                return False
        if not self._limiter.allow(host):
            dropped = self._limiter.dropped
            if dropped % 1000 == 1:
                log.warning("rate limit: dropped requests from %s (%d so far)", host, dropped)
            return False
        return True

    def _enqueue(self, packet: bytes, peer: Peer) -> None:
        self._count("received")
        try:
            self._inbox.put_nowait((packet, peer, time.perf_counter()))
        except queue.Full:
            full = self._count("inbox_full")
            if full % 1000 == 1:
                log.warning("request queue full: dropped %d requests so far", full)

    def _count(self, what: str) -> int:
        with self._stats_lock:
            self._stats[what] += 1
            return self._stats[what]

    def _udp_loop(self) -> None:
        assert self.udp is not None
        limit = self.settings.packet_max_bytes
        while not self._stopping.is_set():
            try:
                data, address = self.udp.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError as err:
                if self._stopping.is_set():
                    return
                log.warning("UDP receive failed: %s", err)  # e.g. ICMP port unreachable echoes
                continue
            if not self._admit(address[0]):
                continue
            peer = UdpPeer(self.udp, address, self.settings.reply_port)
            if len(data) > limit:
                peer.send("/continuo/error", "-", PacketTooLarge.code,
                          f"packet of {len(data)} bytes is over the {limit}-byte limit; send clips in chunks with /continuo/clip/append")
                continue
            self._enqueue(data, peer)

    def _dispatch_loop(self) -> None:
        while True:
            item = self._inbox.get()
            if item is None:
                return
            packet, peer, received = item
            try:
                self._handle(packet, peer)
            except Exception:  # the router already answers; this guards the thread itself
                log.exception("request from %s failed", peer.name)
            self.handling_seconds.append(time.perf_counter() - received)

    def counters(self) -> dict[str, object]:
        """Packets received, refused, rate-limited and dropped, and handling time percentiles."""
        recent = sorted(list(self.handling_seconds))

        def pick(q: float) -> float:
            return round(recent[min(len(recent) - 1, int(q * len(recent)))] * 1e3, 3) if recent else 0.0
        with self._stats_lock:
            stats = dict(self._stats)
        return {**stats, "rate_limited": self._limiter.dropped, "rate_limit_clients": len(self._limiter),
                "tcp_clients": len(self._connections),
                "handle_p50_ms": pick(0.5), "handle_p99_ms": pick(0.99)}

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\x00")
        except (OSError, AttributeError):
            pass  # the wake socket is full or closed: the loop is awake or gone anyway

    def _tcp_loop(self) -> None:
        while not self._stopping.is_set():
            for key, events in self._selector.select(timeout=1.0):
                sock = key.fileobj
                if sock is self.tcp:
                    self._accept()
                elif sock is self._wake_r:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    connection = self._connections.get(sock)
                    if connection is None:
                        continue
                    if events & selectors.EVENT_READ:
                        self._read(connection)
                    if events & selectors.EVENT_WRITE and not connection.closed:
                        self._flush(connection)
            self._update_writers_and_idle()

    def _accept(self) -> None:
        assert self.tcp is not None
        try:
            sock, address = self.tcp.accept()
        except (BlockingIOError, OSError):
            return
        if len(self._connections) >= self.settings.tcp_max_connections or not self._admit(address[0]):
            log.warning("refused TCP client %s: %d connections open (limit %d) or not allowed",
                        address[0], len(self._connections), self.settings.tcp_max_connections)
            sock.close()
            return
        sock.setblocking(False)
        connection = _TcpConnection(sock, address, self)
        self._connections[sock] = connection
        self._selector.register(sock, selectors.EVENT_READ)
        log.debug("TCP client %s:%s connected", address[0], address[1])

    def _read(self, connection: _TcpConnection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(connection)
            return
        connection.last_active = time.monotonic()
        connection.inbox += data
        try:
            frames = connection.frames()
        except MalformedPacket as err:
            connection.peer.send("/continuo/error", "-", err.code, f"{err}; closing the connection")
            self._flush(connection)
            self._close(connection)
            return
        for frame in frames:
            if self._admit(connection.host):
                self._enqueue(frame, connection.peer)

    def _flush(self, connection: _TcpConnection) -> None:
        with connection.lock:
            if not connection.outbox:
                return
            try:
                sent = connection.sock.send(connection.outbox)
            except BlockingIOError:
                sent = 0
            except OSError:
                sent = -1
            if sent > 0:
                del connection.outbox[:sent]
            too_slow = len(connection.outbox) > TCP_OUTBOX_LIMIT
        if sent < 0 or too_slow:
            if too_slow:
                log.warning("TCP client %s reads no replies; closing it", connection.host)
            self._close(connection)

    def _update_writers_and_idle(self) -> None:
        now = time.monotonic()
        for connection in list(self._connections.values()):
            if now - connection.last_active > self.settings.tcp_idle_seconds:
                log.info("closing idle TCP client %s", connection.host)
                self._close(connection)
                continue
            with connection.lock:
                wants = selectors.EVENT_READ | (selectors.EVENT_WRITE if connection.outbox else 0)
            if self._selector.get_key(connection.sock).events != wants:
                self._selector.modify(connection.sock, wants)

    def _close(self, connection: _TcpConnection) -> None:
        with connection.lock:
            if connection.closed:
                return
            connection.closed = True
        self._connections.pop(connection.sock, None)
        try:
            self._selector.unregister(connection.sock)
        except (KeyError, ValueError):
            pass
        connection.sock.close()
