"""A TCP relay between an mssim client (ESAPI) and ftpm that records the command channel, to check
what crosses the wire. Used by sessions.py and sessions_keys.py."""
import socket
import threading


class Relay:
    """Listens on a free port pair and forwards each connection to ftpm's (command, platform) pair."""

    def __init__(self, target):
        self.sent = bytearray()       # client -> TPM, command port
        self.received = bytearray()   # TPM -> client, command port
        self.lock = threading.Lock()
        while True:
            self.cmd = socket.socket()
            self.cmd.bind(("127.0.0.1", 0))
            port = self.cmd.getsockname()[1]
            self.plat = socket.socket()
            try:
                self.plat.bind(("127.0.0.1", port + 1))
                break
            except OSError:
                self.cmd.close()
                self.plat.close()
        self.port = port
        for listener, upstream, record in ((self.cmd, target, True), (self.plat, target + 1, False)):
            listener.listen(8)
            threading.Thread(target=self.accept, args=(listener, upstream, record), daemon=True).start()

    def accept(self, listener, upstream, record):
        while True:
            client, _ = listener.accept()
            server = socket.create_connection(("127.0.0.1", upstream))
            threading.Thread(target=self.pump, args=(client, server, self.sent if record else None), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, self.received if record else None), daemon=True).start()

    def pump(self, src, dst, log):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if log is not None:
                    with self.lock:
                        log.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def clear(self):
        with self.lock:
            self.sent.clear()
            self.received.clear()

    def seen(self, secret):
        with self.lock:
            return secret in self.sent or secret in self.received
