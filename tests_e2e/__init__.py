"""Browser tests: the real application served over HTTP, driven by Chromium through Playwright."""
