#!/usr/bin/env python3
"""A small ttrpc client for the containerd-shim suite, speaking to a
containerd-shim-berth-v2 socket directly (protobuf by hand, no libraries):

  ttrpc_client.py state SOCKET ID     prints "STATUS EXIT_STATUS" of the task
  ttrpc_client.py bad-input SOCKET ID sends malformed frames and requests
                                      (ID: a live task) and checks each
                                      is answered with an error status and
                                      the shim goes on serving; exits 1 on
                                      the first check that fails
"""
import socket
import struct
import sys

TASK = "containerd.task.v2.Task"
# gRPC codes
INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNIMPLEMENTED = 3, 5, 8, 12
STATUS_NAMES = {0: "UNKNOWN", 1: "CREATED", 2: "RUNNING", 3: "STOPPED", 4: "PAUSED", 5: "PAUSING"}


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, value):
    """A length-delimited (str/bytes) or varint (int) field."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def parse(data):
    """A message's fields: {number: [value, ...]} (ints and bytes)."""
    fields, i = {}, 0

    def read_varint():
        nonlocal i
        n, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    while i < len(data):
        key = read_varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            v = read_varint()
        elif wt == 2:
            n = read_varint()
            v = data[i:i + n]
            i += n
        elif wt == 1:
            v = data[i:i + 8]
            i += 8
        elif wt == 5:
            v = data[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        fields.setdefault(num, []).append(v)
    return fields


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path.removeprefix("unix://"))
        self.stream = 1

    def send_frame(self, stream, mtype, message, length=None):
        n = len(message) if length is None else length
        self.s.sendall(struct.pack(">IIBB", n, stream, mtype, 0) + message)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return buf

    def recv_response(self):
        """(stream id, status code, status message, payload)"""
        n, stream, mtype, _ = struct.unpack(">IIBB", self.recv_exact(10))
        msg = parse(self.recv_exact(n))
        assert mtype == 2, "frame type %d" % mtype
        status = parse(msg.get(1, [b""])[0])
        code = status.get(1, [0])[0]
        text = status.get(2, [b""])[0].decode()
        return stream, code, text, msg.get(2, [b""])[0]

    def call(self, service, method, payload=b""):
        stream = self.stream
        self.stream += 2
        self.send_frame(stream, 1, field(1, service) + field(2, method) + field(3, payload))
        got, code, text, out = self.recv_response()
        assert got == stream, "reply on stream %d, asked on %d" % (got, stream)
        return code, text, out


def state(sock, task_id):
    code, text, out = Conn(sock).call(TASK, "State", field(1, task_id))
    if code:
        sys.exit("State %s: code %d: %s" % (task_id, code, text))
    m = parse(out)
    print(STATUS_NAMES.get(m.get(4, [0])[0], "?"), m.get(9, [0])[0])


def check(what, got, want):
    print("%-48s %s" % (what, "ok" if got == want else "FAILED: got %r, want %r" % (got, want)))
    if got != want:
        sys.exit(1)


def bad_input(sock, task_id):
    c = Conn(sock)
    # A request that is not protobuf (wire type 7 does not exist).
    c.send_frame(1, 1, b"\x0f\xff\xff\xff")
    check("garbage request: InvalidArgument", c.recv_response()[:2], (1, INVALID_ARGUMENT))
    # Even stream ids are the server's.
    c.send_frame(2, 1, field(1, TASK) + field(2, "Connect"))
    check("even stream id: InvalidArgument", c.recv_response()[:2], (2, INVALID_ARGUMENT))
    # Longer than ttrpc's 4 MiB: read past, answered on its stream.
    big = 5 << 20
    c.send_frame(3, 1, b"\0" * big)
    check("5 MiB frame: ResourceExhausted", c.recv_response()[:2], (3, RESOURCE_EXHAUSTED))
    # A frame type nobody knows: ignored, no reply (the next call's reply is next).
    c.send_frame(5, 9, b"whatever")
    c.stream = 7
    check("unknown service: Unimplemented", c.call("no.such.Service", "State")[0], UNIMPLEMENTED)
    check("unknown method: Unimplemented", c.call(TASK, "Teleport")[0], UNIMPLEMENTED)
    check("unknown id: NotFound", c.call(TASK, "State", field(1, "no-such-task"))[0], NOT_FOUND)
    check("kill of an unknown id: NotFound", c.call(TASK, "Kill", field(1, "no-such-task") + field(3, 9))[0], NOT_FOUND)
    check("bad payload: InvalidArgument", c.call(TASK, "Create", b"\x0a\xff\xff")[0], INVALID_ARGUMENT)
    check("unknown exec: NotFound", c.call(TASK, "State", field(1, task_id) + field(2, "no-exec"))[0], NOT_FOUND)
    check("checkpoint: Unimplemented", c.call(TASK, "Checkpoint", field(1, task_id))[0], UNIMPLEMENTED)
    # A connection that ends mid-frame is dropped; the shim serves the next.
    d = Conn(sock)
    d.send_frame(1, 1, b"\x0a\x03ab", length=100)
    d.s.close()
    code, _, out = Conn(sock).call(TASK, "Connect", field(1, task_id))
    check("still serving: Connect", code, 0)
    check("Connect names the task's pid", parse(out).get(2, [0])[0] > 0, True)
    code, _, out = c.call(TASK, "State", field(1, task_id))
    check("the task still runs", (code, parse(out).get(4, [0])[0]), (0, 2))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("state", "bad-input"):
        sys.exit(__doc__)
    {"state": state, "bad-input": bad_input}[sys.argv[1]](sys.argv[2], sys.argv[3])
