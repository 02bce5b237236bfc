"""Performance indicators (clause 9.1): the file, measurements, imports, breaches and charts."""
