-- Rows written by the demo generators (python -m caremgmt demo, the first-run setup's
-- demo data) are marked synthetic: demo refuses to write into a database that holds
-- real people or accounts (caremgmt.tools.demo.real_rows), and they can be told apart.
ALTER TABLE persons ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1));
ALTER TABLE users ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1));
