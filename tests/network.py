"""Real network failures on this machine, for tests of what happens when a provider is unreachable.

No mock: the code under test opens a real connection and the operating system refuses it, or
the peer accepts it and never says a word.
"""

import contextlib
import socket
import threading


def closed_port() -> int:
    """A local TCP port nobody listens on: connecting to it is refused at once.

    The port is taken from the operating system and given back, so nothing else on this
    machine is using it a moment later.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def silent_server():
    """A local port that accepts connections and never answers: the caller's timeout must end it.

    Yields the port. Connections are held open until the block ends.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()
