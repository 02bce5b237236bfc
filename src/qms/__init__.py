"""qms: an ISO 9001 quality-management workflow engine."""

__version__ = "0.1.0"
