"""Video receptions on Jitsi: rooms, signed tokens, the join page and the studios."""
