"""``python -m fastvid.gpu_check`` (what the GPU machine runs: it has no ``fastvid`` script)."""

import sys

from fastvid.gpu_check import main

if __name__ == "__main__":
    sys.exit(main())
