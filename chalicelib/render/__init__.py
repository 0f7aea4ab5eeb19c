"""Presentation: Jinja2 pages and mail, fpdf2 documents, era and amount formatting."""
