"""The directory of the state: regions, bodies, topics, officials, venues and studios."""
