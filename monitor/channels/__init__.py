"""channels: where alerts go (telegram, email, webhook, console)."""
