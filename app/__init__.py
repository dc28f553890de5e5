"""docqa's faces: command line (cli), and later the web chat and HTTP API."""
