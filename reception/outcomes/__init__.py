"""What a reception decided and its follow-up: outcomes, instructions to bodies, reports, ratings."""
