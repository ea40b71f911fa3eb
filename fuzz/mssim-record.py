#!/usr/bin/python3
"""A recording proxy for the mssim protocol (used by record-seeds.sh).

Listens on PORT (commands) and PORT+1 (platform) and forwards both to TARGET and TARGET+1. Every TPM
command a client sends in a SEND_COMMAND frame on one command connection is appended to one seed file
OUT/NNNN-LABEL.bin (the commands back to back, as the execute harness reads them). LABEL is read from
the file OUT/.label when the connection closes.
"""
import os, socket, struct, sys, threading

port, target, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
counter = [0]
lock = threading.Lock()


def pump(src, dst, sink=None):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if sink is not None:
                sink(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (dst,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def serve(listen_port, target_port, record):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(("127.0.0.1", target_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=connection, args=(client, upstream, record), daemon=True).start()


def connection(client, upstream, record):
    buffer = bytearray()
    commands = []

    def sink(data):
        buffer.extend(data)
        while len(buffer) >= 4:
            code = struct.unpack(">I", buffer[:4])[0]
            if code == 8:  # SEND_COMMAND: u8 locality, u32 size, command
                if len(buffer) < 9:
                    return
                size = struct.unpack(">I", buffer[5:9])[0]
                if len(buffer) < 9 + size:
                    return
                commands.append(bytes(buffer[9:9 + size]))
                del buffer[:9 + size]
            elif code == 6:  # HASH_DATA: u32 size, data
                if len(buffer) < 8:
                    return
                size = struct.unpack(">I", buffer[4:8])[0]
                if len(buffer) < 8 + size:
                    return
                del buffer[:8 + size]
            else:
                del buffer[:4]

    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream, sink if record else None)
    back.join()
    client.close()
    upstream.close()
    if record and commands:
        try:
            label = open(os.path.join(out, ".label")).read().strip() or "seed"
        except OSError:
            label = "seed"
        with lock:
            counter[0] += 1
            name = os.path.join(out, "%04d-%s.bin" % (counter[0], label))
        with open(name, "wb") as f:
            f.write(b"".join(commands))


threading.Thread(target=serve, args=(port + 1, target + 1, False), daemon=True).start()
serve(port, target, True)
