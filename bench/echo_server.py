"""The baseline: a bare aiohttp server that parses a JSON body and echoes it back.

python bench/echo_server.py PORT [--uvloop]
"""

import json
import sys

from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    return web.json_response(json.loads(await request.read()))


def main() -> None:
    app = web.Application()
    app.router.add_post("/v1/checkin", echo)
    loop = None
    if "--uvloop" in sys.argv[2:]:
        import uvloop  # noqa: PLC0415

        loop = uvloop.new_event_loop()
    web.run_app(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=loop
    )


if __name__ == "__main__":
    main()
