"""replay: recorded data played through the whole pipeline from a local server."""
