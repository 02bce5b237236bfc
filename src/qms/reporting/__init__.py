"""Rendering for people: Jinja2 templates under reports/, HTML, PDF, charts."""
