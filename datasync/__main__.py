import sys

from datasync.cli import main

sys.exit(main())
