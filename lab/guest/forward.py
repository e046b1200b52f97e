"""The lab's NAT-network port forward: a small userspace TCP forwarder (stdlib only).

    python3 -I forward.py LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT

Runs in the root namespace, started by `ha-wizard lab vboxmanage natnetwork modify --port-forward-4`,
killed by `lab down` or `--port-forward-4 delete`. Prints "listening" once the port is bound.
"""

import asyncio
import sys


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
    lip, lport, tip, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            treader, twriter = await asyncio.wait_for(asyncio.open_connection(tip, tport), 10)
        except (TimeoutError, OSError):
            writer.close()
            return
        await asyncio.gather(pipe(reader, twriter), pipe(treader, writer))

    server = await asyncio.start_server(handle, lip, lport, reuse_address=True)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
