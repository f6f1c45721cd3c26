"""Upload a tune, ask for bass and keys under it, print the notes and the MIDI file.

    python examples/python/harmonize.py [--port 7300] [--reply-port 7301] [--tcp]
"""

import argparse
import logging

from bridge.client import Client

log = logging.getLogger("harmonize")

# (pitch, start_beats, duration_beats, velocity): beats are quarter notes from bar 1
TUNE = [(72, 0, 1, 90), (74, 1, 1, 90), (76, 2, 2, 90), (77, 4, 1, 90), (76, 5, 1, 90),
        (74, 6, 2, 90), (72, 8, 2, 90), (71, 10, 2, 90), (72, 12, 4, 90)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7300, help="continuo's OSC port")
    parser.add_argument("--reply-port", type=int, default=7301, help="the port continuo answers on (UDP)")
    parser.add_argument("--tcp", action="store_true", help="use TCP: replies come back on the connection")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    transport = "tcp" if args.tcp else "udp"
    with Client(args.host, args.port, reply_port=0 if args.tcp else args.reply_port, transport=transport) as client:
        client.upload_clip("tune", TUNE)
        result = client.generate("py-harmonize", task="harmonize", melody="tune", parts="bass,keys", bars=4, seed=3)
    for part, notes in result.parts.items():
        log.info("%s: %d notes, first %s", part, len(notes), notes[:3])
    log.info("MIDI file: %s", result.paths[0])


if __name__ == "__main__":
    main()
