"""`python -m bot ...` entry point."""
import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
