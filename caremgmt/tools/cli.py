"""Command line: ``python -m caremgmt init | demo | export | retention | backup | restore | verify | bench
| user add|unlock|reset-password|reset-second-factor | schema``.

``--db PATH`` goes before the command or after it (``python -m caremgmt bench
--db city.db``); without it, $CAREMGMT_DB or data/caremgmt.db (caremgmt.core.config)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import time
from pathlib import Path

from caremgmt.core import actor, auth, backup, config, second_factor, spreadsheet
from caremgmt.core.db import db_path, fresh_schema
from caremgmt.core.errors import CareError, ValidationError
from caremgmt.core.migrations import SCHEMA_FILE
from caremgmt.impact import contact_facts, disclosure, releases
from caremgmt.registry import retention
from caremgmt.setup import initialize
from caremgmt.tools import bench, demo, demo_city

DB_HELP = "database path (default: $CAREMGMT_DB or data/caremgmt.db)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m caremgmt", description="caremgmt administration")
    parser.add_argument("--db", help=DB_HELP)
    # Every command takes --db after it too. SUPPRESS: a command that is not
    # given --db leaves the value given before the command (or None) alone.
    with_db = argparse.ArgumentParser(add_help=False)
    with_db.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, parent=commands, **kwargs) -> argparse.ArgumentParser:
        return parent.add_parser(name, parents=[with_db], **kwargs)

    command("init", help="create or migrate the database, load seed_data/, rebuild stale impact facts")
    demo_cmd = command("demo", help="add synthetic caregivers and the people they care for")
    demo_cmd.add_argument("--persons", type=int, default=200, help="about how many persons to add (default 200)")
    demo_cmd.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo_cmd.add_argument(
        "--scale",
        choices=("small", "city"),
        help="bulk data set instead: small (a few thousand persons) or city (Bogotá's size)",
    )
    demo_cmd.add_argument(
        "--force",
        action="store_true",
        help="write even into a database that has real (non-demo) accounts or persons",
    )
    export_cmd = command(
        "export", help="write a data release: every file (KIND omitted) into a folder, or one KIND as a CSV file"
    )
    export_cmd.add_argument("kind", nargs="?", choices=releases.KINDS)
    export_cmd.add_argument(
        "--out",
        required=True,
        help="folder for the whole release; with KIND, the CSV file (dictionary, risk report, manifest beside it)",
    )
    export_cmd.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (default: all)")
    export_cmd.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (default: today)")
    export_cmd.add_argument("--block", help="block code")
    export_cmd.add_argument(
        "--separator",
        choices=tuple(spreadsheet.SEPARATORS),
        default="comma",
        help="semicolon suits Spanish-locale spreadsheets (default comma)",
    )
    export_cmd.add_argument("--k", type=int, default=disclosure.K_DEFAULT, help="k-anonymity (default 5, or more)")
    export_cmd.add_argument("--granularity", choices=releases.GRANULARITIES, default="month", help="dates by")
    export_cmd.add_argument("--detail", choices=disclosure.DETAILS, default="fine", help="starting detail")
    export_cmd.add_argument(
        "--accept-warning", action="store_true", help="take the release even above the suppression threshold"
    )
    retention_cmd = command("retention", help="show what the retention rules would erase today; --apply erases it")
    retention_cmd.add_argument("--apply", action="store_true", help="apply the rules (otherwise nothing is written)")
    backup_cmd = command("backup", help=f"write a consistent backup (encrypted if ${backup.KEY_VARIABLE} is set)")
    backup_cmd.add_argument("--out", required=True, help="backup file to write")
    restore_cmd = command("restore", help="replace the database with a backup, after verifying it")
    restore_cmd.add_argument("file", help="backup file")
    verify_cmd = command("verify", help="check a backup: checksum, integrity, row counts, schema")
    verify_cmd.add_argument("file", help="backup file")
    bench_cmd = command("bench", help="measure speed on a (city-scale) database; prints a table, writes JSON")
    bench_cmd.add_argument("--out", default="bench-results.json", help="JSON file (default bench-results.json)")
    bench_cmd.add_argument("--repeat", type=int, default=200, help="repetitions of each desk measure (default 200)")
    bench_cmd.add_argument(
        "--slow-repeat",
        type=int,
        default=60,
        help="repetitions of each impact and page measure (default 60; each stops after 90 s)",
    )
    bench_cmd.add_argument("--writers", type=int, default=20, help="concurrent writer processes (default 20)")
    bench_cmd.add_argument("--seconds", type=int, default=60, help="length of the concurrency run (default 60)")
    bench_cmd.add_argument(
        "--registry-scales",
        type=_factors,
        default=(),
        metavar="1,2,4",
        help="also time registration and name search on a copy of the registry grown to these multiples"
        " of its size (minutes and gigabytes at city scale; the copy is deleted)",
    )
    bench_cmd.add_argument(
        "--compare",
        metavar="PATH",
        help="the JSON of a smaller run (e.g. --scale small): print each desk operation's cost growth",
    )
    user_cmd = command("user", help="manage accounts")
    user_sub = user_cmd.add_subparsers(dest="user_command", required=True)
    add = command("add", user_sub, help="add an account; password from a prompt or $CAREMGMT_PASSWORD")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=actor.ROLES)
    add.add_argument("--block", help="home block code")
    add.add_argument("--language", default="es", choices=("es", "en"))
    add.add_argument("--email", help="the e-mail single sign-on (OpenID Connect) maps to this account")
    add.add_argument(
        "--no-password",
        dest="password_login",
        action="store_false",
        help="no local password: she logs in through single sign-on only (needs --email; nothing is asked)",
    )
    unlock = command("unlock", user_sub, help="clear an account's failed logins and its lock")
    unlock.add_argument("username")
    reset = command(
        "reset-password", user_sub, help="print a temporary password for an account; she must change it at login"
    )
    reset.add_argument("username")
    reset_factor = command(
        "reset-second-factor",
        user_sub,
        help="take away an account's second factor and recovery codes (a lost phone); she sets up a new one at login",
    )
    reset_factor.add_argument("username")
    schema_cmd = command(
        "schema",
        help="print the schema a fresh database gets (caremgmt/core/schema.sql); never opens --db",
    )
    what = schema_cmd.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE.name} (after a new migration)")
    what.add_argument("--check", action="store_true", help=f"exit 1 if {SCHEMA_FILE.name} differs from it")
    return parser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _factors(value: str) -> tuple[int, ...]:
    try:
        factors = tuple(int(part) for part in value.split(","))
    except ValueError:
        factors = ()
    if not factors or min(factors) < 1:
        raise argparse.ArgumentTypeError(f"not a list of whole multiples such as 1,2,4: {value!r}")
    return factors


def _read_password() -> str:
    password = config.current().password
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit("error: set CAREMGMT_PASSWORD or run in a terminal to be prompted")
    first = getpass.getpass("Contraseña / Password: ")
    if first != getpass.getpass("Repita / Repeat: "):
        raise SystemExit("error: the passwords differ")
    return first


def _schema(args: argparse.Namespace) -> int:
    schema = fresh_schema()
    if args.write:
        SCHEMA_FILE.write_text(schema, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    elif args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text(encoding="utf-8") != schema:
            print(f"error: {SCHEMA_FILE} is out of date: run python -m caremgmt schema --write", file=sys.stderr)
            return 1
        print(f"{SCHEMA_FILE} is up to date")
    else:
        sys.stdout.write(schema)
    return 0


def _export(db, args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        release = releases.create_release(
            db,
            actor.SYSTEM,
            out.parent if args.kind else out,
            kinds=(args.kind,) if args.kind else releases.KINDS,
            stem=out.stem if args.kind else None,
            start=args.start,
            end=args.end,
            block_code=args.block,
            separator=args.separator,
            k=args.k,
            granularity=args.granularity,
            detail=args.detail,
            accept_warning=args.accept_warning,
            progress=lambda n: print(f"\r{n} rows", end="", file=sys.stderr),
        )
    except releases.ReleaseWarning as warning:
        print(f"\n{warning.message.render('es')}", file=sys.stderr)
        print(json.dumps(warning.report, ensure_ascii=False), file=sys.stderr)
        return 3
    print(f"\nrelease {release.id}: " + ", ".join(f"{kind} {n} rows" for kind, n in release.rows.items()))
    print("\n".join(str(path) for path in release.files.values()))
    return 0


def _backup(args: argparse.Namespace, path: str) -> int:
    key = backup.key_from_environment()
    try:
        if args.command == "backup":
            manifest = backup.take(path, args.out, key)
            print(
                f"wrote {args.out}" + (" (encrypted)" if key else " (not encrypted: set $" + backup.KEY_VARIABLE + ")")
            )
        elif args.command == "verify":
            manifest = backup.verify(args.file, key)
            print(f"{args.file} verified")
        else:
            manifest = backup.restore(args.file, path, key)
            print(f"restored {path} from {args.file}")
    except backup.BackupError as e:
        print(f"error: {e.reason}; nothing was changed", file=sys.stderr)
        return 1
    rows = sum(n for name, n in manifest.tables.items() if not name.startswith("_"))
    print(f"taken {manifest.created_at}, {len(manifest.tables)} tables, {rows} rows, sha256 {manifest.sha256}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        return _schema(args)
    path = args.db or db_path()
    if args.command in ("backup", "verify", "restore"):  # never create or migrate the database first
        return _backup(args, path)
    db = initialize(path)
    try:
        if args.command == "init":
            # After an upgrade that changed the facts' layout every day is stale; rebuilding
            # here spares the first coordinator the wait (the desk is never held up by it).
            rebuilt = contact_facts.refresh(db)
            print(f"database ready: {path}" + (f" (impact facts of {rebuilt} days rebuilt)" if rebuilt else ""))
        elif args.command == "demo" and not args.force and any((real := demo.real_rows(db)).values()):
            print(
                f"error: {path} holds real data (accounts: {real['users']}, persons: {real['persons']},"
                " not made by demo). Demo data goes only into a demo database (a new one: --db PATH);"
                " nothing was written. To add it anyway: --force",
                file=sys.stderr,
            )
            return 2
        elif args.command == "demo" and args.scale:
            started = time.perf_counter()
            counts = demo_city.generate(db, args.scale, seed=args.seed)
            print(" ".join(f"{k}={v}" for k, v in counts.items()), f"seconds={time.perf_counter() - started:.0f}")
        elif args.command == "demo":
            if args.persons < 1:
                raise SystemExit("error: --persons must be at least 1")
            added = demo.generate(db, args.persons, seed=args.seed)
            print(f"added {added} persons to {path}")
        elif args.command == "export":
            return _export(db, args)
        elif args.command == "retention":
            counts = (
                retention.apply(db, actor.SYSTEM)
                if args.apply
                else {rule: len(found) for rule, found in retention.plan(db).items()}
            )
            print("applied:" if args.apply else "would apply (nothing written; --apply to do it):")
            for rule, count in counts.items():
                print(f"  {rule} ({retention.rules(db)[rule]}): {count}")
        elif args.command == "bench":
            db.close()
            return bench.main(
                path,
                args.out,
                args.repeat,
                args.seconds,
                args.writers,
                slow_repeat=args.slow_repeat,
                registry_scales=args.registry_scales,
                compare=args.compare,
            )
        elif args.command == "user" and args.user_command == "unlock":
            auth.unlock(db, actor.SYSTEM, auth.account_id(db, args.username))
            print(f"user {args.username} unlocked")
        elif args.command == "user" and args.user_command == "reset-password":
            temporary = auth.reset_password(db, actor.SYSTEM, auth.account_id(db, args.username))
            print(f"temporary password for {args.username} (to be changed at login): {temporary}")
        elif args.command == "user" and args.user_command == "reset-second-factor":
            second_factor.reset(db, actor.SYSTEM, auth.account_id(db, args.username))
            print(f"second factor of {args.username} reset: her sessions ended; she sets up a new one at login")
        elif args.command == "user":
            # A password that is not valid UTF-8 (bytes from the terminal or the environment)
            # is refused by the password policy with a message, like any other rule.
            user = auth.create_user(
                db,
                actor.SYSTEM,
                args.username,
                _read_password() if args.password_login else None,
                args.role,
                args.block,
                args.language,
                email=args.email,
                password_login=args.password_login,
            )
            print(f"user {user.username} ({user.role}) created")
    except ValidationError as e:
        for field, message in e.errors.items():
            print(f"error: {field}: {message.render('en')}", file=sys.stderr)
        return 1
    except CareError as e:
        print(f"error: {e.message.render('en')}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0
