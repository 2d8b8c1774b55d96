"""sdnotify.py: a stand-in for systemd's side of the notify protocol in
functional tests: an AF_UNIX datagram socket (a path, or an abstract
'@name') that records every message with its arrival time, and can run a
check the moment a given message arrives."""

import os
import socket
import threading
import time


class NotifyListener:
    def __init__(self, address, on_message=None):
        """address: a filesystem path, or '@name' for an abstract socket.
        on_message(text) runs in the receiving thread as each datagram
        arrives, before the next one is read."""
        self.address = address
        self.on_message = on_message
        self.messages = []          # (monotonic time, text)
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + address[1:] if address.startswith("@")
                        else address)
        self._sock.settimeout(0.2)
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self._sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode("utf-8", "replace")
            if self.on_message is not None:
                self.on_message(text)
            with self._lock:
                self.messages.append((time.monotonic(), text))

    def close(self):
        self._stop = True
        self._thread.join(2)
        self._sock.close()
        if not self.address.startswith("@"):
            try:
                os.unlink(self.address)
            except OSError:
                pass

    def lines(self):
        """Every KEY=VALUE line received so far, as (time, line)."""
        with self._lock:
            return [(t, line) for t, text in self.messages
                    for line in text.split("\n") if line]

    def times_of(self, line):
        return [t for t, ln in self.lines() if ln == line]

    def wait_for(self, line, timeout=15):
        """Wait until a message holding `line` arrived; returns its time or
        None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            times = self.times_of(line)
            if times:
                return times[0]
            time.sleep(0.02)
        return None
