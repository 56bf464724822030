"""Everything that talks HTTP to TRACE: token manager, client, rate limiter, errors."""
