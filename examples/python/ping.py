"""Ping continuo and print its version: python examples/python/ping.py [--port 7300]."""

import argparse
import logging

from bridge.client import Client

log = logging.getLogger("ping")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7300, help="continuo's OSC port")
    parser.add_argument("--reply-port", type=int, default=7301, help="the port continuo answers on (UDP)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with Client(args.host, args.port, reply_port=args.reply_port) as client:
        log.info("continuo %s", client.ping())


if __name__ == "__main__":
    main()
