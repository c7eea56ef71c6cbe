"""``carecred export municipal``: staff, certificates, training totals and integrity records for the municipal platform."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import msgspec

from carecred.progress import progress_bar
from carecred.services import open_application
from contracts.municipal import RECORD_TYPES, MunicipalRecord, municipal_csv_columns
from services.credential.application.municipal import csv_value
from shared.settings import Settings


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="exports to other platforms").add_subparsers(required=True, metavar="TO")
    municipal = export.add_parser("municipal", help="the municipal platform: JSON (contracts/schemas/municipal.json)"
                                                    " and a CSV per kind of record")
    municipal.add_argument("--since", type=int, default=0, metavar="POSITION",
                           help="only what changed after this log position (the last export's `through`; 0: full)")
    municipal.add_argument("--training-since", type=int, default=0, metavar="POSITION",
                           help="and after this training feed position (the last export's `training_through`)")
    municipal.add_argument("--output", type=Path, required=True, help="a folder: municipal.json and the CSV files")
    municipal.set_defaults(run=_municipal)


def _municipal(args: argparse.Namespace) -> int:
    if args.since < 0 or args.training_since < 0:
        print("error: positions are 0 or more")
        return 2
    app = open_application("credential", Settings.from_env())
    try:
        exports = app.municipal_exports
        envelope, people = exports.export(since=args.since, training_since=args.training_since)
        records: list[MunicipalRecord] = []
        with progress_bar("export municipal", len(people)) as advance:
            for record in exports.records_of(people):
                records.append(record)
                if type(record).__name__ == "MunicipalStaff":
                    advance(1)
    finally:
        app.close()
    envelope.records = records
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "municipal.json").write_bytes(msgspec.json.format(msgspec.json.encode(envelope)) + b"\n")
    for record_type in RECORD_TYPES:
        tag = record_type.__struct_config__.tag
        with (args.output / f"{tag}.csv").open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            columns = municipal_csv_columns(record_type)
            writer.writerow(columns)
            for record in records:
                if isinstance(record, record_type):
                    writer.writerow([csv_value(getattr(record, c)) for c in columns])
    kinds = {t.__struct_config__.tag: sum(isinstance(r, t) for r in records) for t in RECORD_TYPES}
    print(f"exported {len(people)} people ({', '.join(f'{n} {k}' for k, n in kinds.items())}) through log position"
          f" {envelope.through}, training feed position {envelope.training_through} to {args.output}")
    return 0
