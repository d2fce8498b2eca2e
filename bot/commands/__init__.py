"""One module per `python -m bot` subcommand; each exposes `register(subparsers)`."""
