from caremgmt.cli import main

raise SystemExit(main())
