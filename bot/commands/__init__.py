"""Command-line command groups; each module has `register(subparsers)`."""
