import sys

from bench.run import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted: everything it started was stopped", file=sys.stderr)
        sys.exit(130)
