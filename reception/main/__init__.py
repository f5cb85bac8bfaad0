"""Site-wide pages: the home page, role home pages, language choice, errors."""
