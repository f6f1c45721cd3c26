"""``python -m models.evaluate``: the ``continuo eval`` command with its own log output."""

import logging

if __name__ == "__main__":
    from models.evaluate.command import main

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    main()
