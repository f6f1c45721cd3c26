"""Three variations of bass, keys and pad over a progression; print a line per variation.

    python examples/python/accompany_variations.py [--port 7300] [--reply-port 7301]
"""

import argparse
import logging

from bridge.client import Client, ContinuoReplyError

log = logging.getLogger("accompany")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7300, help="continuo's OSC port")
    parser.add_argument("--reply-port", type=int, default=7301, help="the port continuo answers on (UDP)")
    parser.add_argument("--chords", default="Am7 | D7 | Gmaj7 | Cmaj7 | Am7 | D7 | G | G")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with Client(args.host, args.port, reply_port=args.reply_port) as client:
        try:
            result = client.generate("py-variations", task="accompany", chords=args.chords, parts="bass,keys,pad",
                                     tempo=90, variations=3, seed=7)
        except ContinuoReplyError as err:  # e.g. a chord symbol continuo cannot read: the message says which
            log.error("continuo refused: %s", err)
            return 1
    for number, parts in sorted(result.variations.items()):
        counts = ", ".join(f"{part} {len(notes)} notes" for part, notes in parts.items())
        log.info("variation %d: %s -> %s", number, counts, result.paths[number - 1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
