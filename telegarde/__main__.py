import sys

from telegarde.cli import main

sys.exit(main())
