"""Harmonize the clip on track 1, slot 1 of Ableton Live; the parts land on tracks 2 and 3.

Needs Live with AbletonOSC (docs/daw/ableton.md) and `continuo serve` on the same computer.

    python examples/python/ableton_harmonize.py [--track 1] [--slot 1] [--out-track 2]
"""

import argparse
import logging

from bridge.client import Client, ContinuoReplyError

log = logging.getLogger("ableton")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7300, help="continuo's OSC port")
    parser.add_argument("--reply-port", type=int, default=7301, help="the port continuo answers on (UDP)")
    parser.add_argument("--track", type=int, default=1, help="track of the melody clip, from 1 as in Live")
    parser.add_argument("--slot", type=int, default=1, help="its clip slot (scene), from 1")
    parser.add_argument("--out-track", type=int, default=2, help="first track the parts are written to")
    parser.add_argument("--parts", default="bass,keys")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    job = "py-ableton"
    with Client(args.host, args.port, reply_port=args.reply_port) as client:
        client.send("/continuo/ableton/harmonize", job, "track", args.track, "slot", args.slot,
                    "out_track", args.out_track, "parts", args.parts, "replace", "true")
        while True:
            address, reply = client.wait_for("/continuo/ableton/written", "/continuo/done", "/continuo/error",
                                             timeout=60)
            if reply[:1] != [job]:
                continue
            if address == "/continuo/ableton/written":
                _, _, part, track, slot, notes = reply
                log.info("%s: %d notes on track %d, slot %d", part, notes, track, slot)
            elif address == "/continuo/done":
                log.info("MIDI file: %s", reply[1])
                return 0
            else:
                log.error("%s", ContinuoReplyError(*reply[:3]))
                return 1


if __name__ == "__main__":
    raise SystemExit(main())
