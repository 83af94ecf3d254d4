from caremgmt.tools.cli import main

raise SystemExit(main())
