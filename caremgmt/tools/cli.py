"""Command line: ``python -m caremgmt init | demo | export | bench | user add``."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
import time

from caremgmt.core import actor, auth
from caremgmt.core.db import db_path
from caremgmt.core.errors import CareError, ValidationError
from caremgmt.impact import exports
from caremgmt.setup import initialize
from caremgmt.tools import bench, demo, demo_city


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m caremgmt", description="caremgmt administration")
    parser.add_argument("--db", help="database path (default: $CAREMGMT_DB or data/caremgmt.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create or migrate the database and load seed_data/")
    demo_cmd = commands.add_parser("demo", help="add synthetic caregivers and the people they care for")
    demo_cmd.add_argument("--persons", type=int, default=200, help="about how many persons to add (default 200)")
    demo_cmd.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo_cmd.add_argument(
        "--scale",
        choices=("small", "city"),
        help="bulk data set instead: small (a few thousand persons) or city (Bogotá's size)",
    )
    export_cmd = commands.add_parser("export", help="write a de-identified CSV and its data dictionary")
    export_cmd.add_argument("kind", choices=exports.KINDS)
    export_cmd.add_argument("--out", required=True, help="CSV file to write (its dictionary goes beside it)")
    export_cmd.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (default: all)")
    export_cmd.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (default: today)")
    export_cmd.add_argument("--block", help="block code")
    export_cmd.add_argument(
        "--separator",
        choices=tuple(exports.SEPARATORS),
        default="comma",
        help="semicolon suits Spanish-locale spreadsheets (default comma)",
    )
    bench_cmd = commands.add_parser(
        "bench", help="measure speed on a (city-scale) database; prints a table, writes JSON"
    )
    bench_cmd.add_argument("--out", default="bench-results.json", help="JSON file (default bench-results.json)")
    bench_cmd.add_argument("--repeat", type=int, default=200, help="repetitions per measure (default 200)")
    bench_cmd.add_argument("--writers", type=int, default=20, help="concurrent writer processes (default 20)")
    bench_cmd.add_argument("--seconds", type=int, default=60, help="length of the concurrency run (default 60)")
    user_cmd = commands.add_parser("user", help="manage accounts")
    user_sub = user_cmd.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add an account; password from a prompt or $CAREMGMT_PASSWORD")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=actor.ROLES)
    add.add_argument("--block", help="home block code")
    add.add_argument("--language", default="es", choices=("es", "en"))
    return parser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _read_password() -> str:
    password = os.environ.get("CAREMGMT_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit("error: set CAREMGMT_PASSWORD or run in a terminal to be prompted")
    first = getpass.getpass("Contraseña / Password: ")
    if first != getpass.getpass("Repita / Repeat: "):
        raise SystemExit("error: the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = args.db or db_path()
    db = initialize(path)
    try:
        if args.command == "init":
            print(f"database ready: {path}")
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
            result = exports.export(
                db,
                actor.SYSTEM,
                args.kind,
                args.out,
                start=args.start,
                end=args.end,
                block_code=args.block,
                separator=args.separator,
                progress=lambda n: print(f"\r{n} rows", end="", file=sys.stderr),
            )
            print(f"\nwrote {result.rows} rows to {result.path} (dictionary: {result.dictionary})")
        elif args.command == "bench":
            db.close()
            return bench.main(path, args.out, args.repeat, args.seconds, args.writers)
        elif args.command == "user":
            user = auth.create_user(
                db, actor.SYSTEM, args.username, _read_password(), args.role, args.block, args.language
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
