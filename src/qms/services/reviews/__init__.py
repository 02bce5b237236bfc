"""Management and process reviews (clause 9.3): the 9.3.2 inputs, the 9.3.3 decisions, the pack."""
