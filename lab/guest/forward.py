"""The lab's NAT-network port forward: a small userspace TCP forwarder (stdlib only).

    python3 -I forward.py --lab NAME --listen-fd FD [--source IP] TARGET_IP TARGET_PORT

Started by `ha-wizard lab vboxmanage natnetwork modify --port-forward-4` inside the lab's bridges
namespace, with FD a socket already listening on this machine's loopback (bound in the root namespace by
the lab): connections accepted there are relayed to TARGET_IP:TARGET_PORT, opened here, on the NAT
network, from SOURCE (the NAT gateway's address) — as VirtualBox's NAT engine does. A target that does not
answer closes the accepted connection (the client sees it close before any data, as with VirtualBox).
`--lab NAME`: the lab instance it serves (`lab down --name NAME` finds it by it). Killed by `lab down` or
`--port-forward-4 delete`. Prints "listening" once it serves.
"""

import argparse
import asyncio
import socket

CONNECT_TIMEOUT = 10.0


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", default="default")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--source", default="")
    parser.add_argument("target")
    parser.add_argument("port", type=int)
    args = parser.parse_args()
    listener = socket.socket(fileno=args.listen_fd)
    local = (args.source, 0) if args.source else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            treader, twriter = await asyncio.wait_for(
                asyncio.open_connection(args.target, args.port, local_addr=local), CONNECT_TIMEOUT)
        except (TimeoutError, OSError):
            writer.close()
            return
        for w in (writer, twriter):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(reader, twriter), pipe(treader, writer))

    server = await asyncio.start_server(handle, sock=listener)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
