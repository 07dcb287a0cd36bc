"""monitor: a streaming news-feed monitor that folds wire stories and alerts on what you track."""

__version__ = "0.1.0"
