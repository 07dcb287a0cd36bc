"""replay: recorded data played through the whole pipeline from a local server."""

DEFAULT_STEP = 600.0  # seconds of data time between two polls of the changed feeds
