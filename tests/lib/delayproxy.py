"""A TCP proxy that delays every byte by a fixed time in each direction
(order kept), to measure the mount as on a campus network or a nearby
cloud region (5 ms each way is a 10 ms round trip). Benchmarks only."""

import asyncio
import threading
import time

from smbserver import free_port


class DelayProxy:
    def __init__(self, server_port, one_way_ms, server_host="127.0.0.1"):
        self.server = (server_host, server_port)
        self.delay = one_way_ms / 1000.0
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.srv = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()

    async def _pipe(self, reader, writer):
        queue = asyncio.Queue()

        async def sender():
            while True:
                at, data = await queue.get()
                if data is None:
                    writer.close()
                    return
                wait = at + self.delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        task = asyncio.create_task(sender())
        try:
            while True:
                data = await reader.read(1 << 20)
                await queue.put((time.monotonic(), data or None))
                if not data:
                    break
        except OSError:
            await queue.put((time.monotonic(), None))
        await task

    async def _client(self, creader, cwriter):
        sreader, swriter = await asyncio.open_connection(*self.server)
        await asyncio.gather(self._pipe(creader, swriter), self._pipe(sreader, cwriter),
                             return_exceptions=True)

    def start(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
