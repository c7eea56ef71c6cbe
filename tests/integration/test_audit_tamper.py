"""An auditor keeps a signed checkpoint; later, whoever altered, deleted or reordered an event is caught."""

import msgspec

from carecred.cli import main
from contracts.audit import Checkpoint
from services.credential.application import Credentials
from shared.audit.merkle import leaf_hash, leaf_preimage
from tests.audit_support import audit_settings, district, export_and_verify  # noqa: F401
from tests.audit_support import stored_leaves as leaves


def test_an_untouched_log_matches_the_checkpoint_the_auditor_kept(district, capsys):
    kept = msgspec.json.decode(district["kept"].read_bytes(), type=Checkpoint)
    assert kept.tree_size == 3 + 12 + 2
    code, said = export_and_verify(district, capsys)
    assert code == 0, said
    assert f"the {kept.tree_size} events" in said and kept.root_hash in said


def test_later_events_do_not_break_an_older_checkpoint(district, capsys):
    app = Credentials(district["settings"])
    app.registry.register_staff(name="新来的", id_number="11010519491231002X", registered_by=None, actor={"role": "test"})
    app.close()
    code, said = export_and_verify(district, capsys)
    assert code == 0, said


def test_one_changed_byte_in_one_stored_event_is_caught_and_named(district, capsys):
    rows, stored = leaves(district["settings"])
    victim = rows[7]
    stored.change_one_byte(victim["notification_id"])
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert "FAILED" in said
    assert (f"leaf 7: the event at position {victim['notification_id']} (aggregate {victim['aggregate_id']},"
            f" version {victim['version']}) was altered") in said


def test_a_deleted_event_is_caught_and_named(district, capsys):
    rows, stored = leaves(district["settings"])
    victim = rows[4]
    stored.delete(victim["notification_id"])
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert (f"leaf 4: the event at position {victim['notification_id']} (aggregate {victim['aggregate_id']},"
            f" version {victim['version']}) is missing or out of place") in said


def test_two_reordered_events_are_caught_and_the_first_is_named(district, capsys):
    rows, stored = leaves(district["settings"])
    first, second = rows[5], rows[9]
    stored.swap(first["notification_id"], second["notification_id"])
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert (f"leaf 5: the event at position {first['notification_id']} (aggregate {first['aggregate_id']},"
            f" version {first['version']}) was altered") in said


def test_an_event_altered_after_the_checkpoint_is_named_too(district, capsys):
    app = Credentials(district["settings"])
    app.registry.register_staff(name="新来的", id_number="11010519491231002X", registered_by=None, actor={"role": "test"})
    app.close()
    rows, stored = leaves(district["settings"])
    newest = rows[-1]
    stored.change_one_byte(newest["notification_id"])
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert "differs from the leaves the service recorded" in said
    assert f"leaf {len(rows) - 1}: the event at position {newest['notification_id']}" in said


def test_an_auditor_who_kept_an_export_names_the_event_even_if_the_leaves_were_rewritten(district, capsys):
    kept_export = district["tmp"] / "kept.ndjson"
    assert main(["audit", "export", "--service", "credential", "--output", str(kept_export)]) == 0
    rows, stored = leaves(district["settings"])
    victim = rows[11]
    stored.change_one_byte(victim["notification_id"])
    topic, state = stored.row(victim["notification_id"])
    forged = leaf_hash(leaf_preimage(victim["notification_id"], victim["aggregate_id"], victim["version"], topic, state))
    app = Credentials(district["settings"])
    with app.store.transaction(commit=True) as cur:  # the forger also rewrites the stored leaf
        cur.execute("UPDATE merkle_leaves SET leaf_hash = ? WHERE leaf_index = 11", (forged.hex(),))
    app.close()
    export = district["tmp"] / "export.ndjson"
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    capsys.readouterr()
    code = main(["audit", "verify", "--service", "credential", "--export", str(export),
                 "--checkpoint", str(district["kept"])])
    assert code == 1 and "first event that differs" not in capsys.readouterr().err
    code = main(["audit", "verify", "--service", "credential", "--export", str(export),
                 "--checkpoint", str(district["kept"]), "--reference", str(kept_export)])
    assert code == 1
    assert f"leaf 11: the event at position {victim['notification_id']}" in capsys.readouterr().err


def test_a_checkpoint_signed_by_another_key_is_refused(district, capsys):
    forged = msgspec.json.decode(district["kept"].read_bytes(), type=Checkpoint)
    forged.root_hash = "00" * 32
    district["kept"].write_bytes(msgspec.json.encode(forged))
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert "signature does not verify" in said


def test_a_truncated_export_is_caught_even_offline(district, capsys):
    export = district["tmp"] / "export.ndjson"
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    lines = export.read_bytes().splitlines(keepends=True)
    export.write_bytes(b"".join(lines[:-1]))
    capsys.readouterr()
    code = main(["audit", "verify", "--service", "credential", "--offline", "--export", str(export),
                 "--checkpoint", str(district["kept"])])
    assert code == 1
    assert f"the export has {len(lines) - 1} events, the checkpoint covers {len(lines)}" in capsys.readouterr().err
