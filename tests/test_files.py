"""Files written safely (``mlpkit._files``): whole or not at all, through unpredictable
temporary names that never follow a planted link, with permissions set on the file
itself (the process's umask is never changed), stale temporary files of killed writes
cleaned up, and an unwritable target refused before any work — with one line and
nothing left behind at the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from click.testing import CliRunner

import mlpkit
from mlpkit import Dense, _files
from mlpkit.cli import main as cli


def small_model():
    return mlpkit.Sequential([Dense(2, 3, "relu"), Dense(3, 1)], seed=0)


def test_a_planted_link_at_the_old_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / ".m.mlpk.tmp").symlink_to(victim)  # the predictable name of before
    small_model().save(tmp_path / "m.mlpk")
    assert victim.read_text() == "keep me"
    assert isinstance(mlpkit.load(tmp_path / "m.mlpk"), mlpkit.Sequential)
    # a link at the target itself is replaced, not written through
    (tmp_path / "link.mlpk").symlink_to(victim)
    small_model().save(tmp_path / "link.mlpk")
    assert victim.read_text() == "keep me" and not (tmp_path / "link.mlpk").is_symlink()


def test_permissions_come_from_the_umask_without_changing_it(tmp_path, monkeypatch):
    old = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda *a: pytest.fail("the process umask was changed"))
        small_model().save(tmp_path / "m.mlpk")
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert (tmp_path / "m.mlpk").stat().st_mode & 0o777 == 0o640
    os.chmod(tmp_path / "m.mlpk", 0o600)  # a file that exists keeps its permissions
    small_model().save(tmp_path / "m.mlpk")
    assert (tmp_path / "m.mlpk").stat().st_mode & 0o777 == 0o600


def test_other_threads_files_keep_their_umask_while_models_are_saved(tmp_path):
    """Before, saving set the process umask for a moment: files another thread created
    then got the wrong permissions (23,453 of 68,901 in a race test)."""
    old = os.umask(0o077)
    wrong, stop = [], threading.Event()

    def create():
        i = 0
        while not stop.is_set():
            path = tmp_path / f"other-{i}"
            with open(path, "w"):
                pass
            if path.stat().st_mode & 0o777 != 0o600:
                wrong.append(path)
            path.unlink()
            i += 1

    worker = threading.Thread(target=create)
    worker.start()
    try:
        for k in range(40):
            small_model().save(tmp_path / f"m{k % 3}.mlpk")
    finally:
        stop.set()
        worker.join(10)
        os.umask(old)
    assert wrong == []


KILLED_SAVE = """
import os, sys, mlpkit
from mlpkit import Dense, _files
def die(*a):  # killed between writing the temporary file and the rename
    os.kill(os.getpid(), 9)
_files.os.replace = die
mlpkit.Sequential([Dense(2, 3), Dense(3, 1)], seed=0).save(sys.argv[1])
"""


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "m.mlpk"
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)], timeout=120)
    assert done.returncode == -signal.SIGKILL
    stale = [p for p in tmp_path.iterdir() if p.name.startswith(".m.mlpk.")]
    assert len(stale) == 1 and not target.exists()
    small_model().save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mlpk"]


def test_a_temporary_file_being_written_is_left_alone(tmp_path):
    import fcntl

    target = tmp_path / "m.mlpk"
    live = tmp_path / ".m.mlpk.abc123.tmp"
    fd = os.open(live, os.O_CREAT | os.O_WRONLY, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's save in progress
    try:
        small_model().save(target)
        assert live.exists()
    finally:
        os.close(fd)
    small_model().save(target)
    assert not live.exists()


@pytest.mark.parametrize("where", ["a folder", "under a file", "unwritable"])
def test_an_output_that_cannot_be_written_is_refused_before_training(tmp_path, where):
    if where == "unwritable" and os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    rng = np.random.default_rng(0)
    rows = ["a,b,y"] + [f"{u:.3f},{v:.3f},{int(u > v)}" for u, v in rng.normal(size=(40, 2))]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "file").write_text("x")
    (tmp_path / "locked").mkdir()
    out = {"a folder": tmp_path, "under a file": tmp_path / "file" / "m.mlpk",
           "unwritable": tmp_path / "locked" / "m.mlpk"}[where]  # fmt: skip
    if where == "unwritable":
        os.chmod(tmp_path / "locked", 0o500)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, ["train", str(tmp_path / "d.csv"), "--target", "y", "--out",
                                      str(out), "--epochs", "1", "--quiet"])  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and ("--out model file" in lines[0] or "folder" in lines[0]), lines
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_check_target_names_each_reason(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a folder"):
        _files.check_target(tmp_path)
    with pytest.raises(ValueError, match="is a file, not a folder"):
        _files.check_target(tmp_path / "f" / "deeper" / "m.mlpk")
    assert _files.check_target(tmp_path / "new" / "m.mlpk") == tmp_path / "new" / "m.mlpk"


def test_text_is_written_as_utf8_and_a_folder_is_named_by_what_it_was_for(tmp_path):
    from mlpkit._files import write_text

    target = tmp_path / "page.html"
    assert write_text(target, "héllo ✓") == target
    assert target.read_bytes() == "héllo ✓".encode()
    with pytest.raises(ValueError, match=r"the output is a folder; give a file name inside it$"):
        write_text(tmp_path, "x")
    with pytest.raises(ValueError, match=r"the explorer page is a folder"):
        write_text(tmp_path, "x", "explorer page")


def _stale(folder, name="m.mlpk", tag="x"):
    path = folder / f".{name}.{tag}.tmp"
    path.write_bytes(b"half a model")
    return path


def test_every_stale_temporary_file_is_removed_and_counted_whatever_lies_beside_it(tmp_path):
    import fcntl

    target = tmp_path / "m.mlpk"
    stale = [_stale(tmp_path, tag=t) for t in ("a", "b", "c")]
    (tmp_path / ".m.mlpk.link.tmp").symlink_to(tmp_path / "elsewhere")  # a link: left
    (tmp_path / ".m.mlpk.dir.tmp").mkdir()  # not a regular file: left
    live = _stale(tmp_path, tag="live")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a save in progress: left
    keep = [tmp_path / ".m.mlpk.notes", tmp_path / ".other.mlpk.x.tmp", tmp_path / "m.mlpk.tmp"]
    for path in keep:
        path.write_text("a user's file")
    try:
        assert _files.remove_stale(target) == 3
    finally:
        os.close(fd)
    assert not any(p.exists() for p in stale)
    assert (tmp_path / ".m.mlpk.link.tmp").is_symlink() and (tmp_path / ".m.mlpk.dir.tmp").is_dir()
    assert live.exists() and all(p.read_text() == "a user's file" for p in keep)
    assert _files.remove_stale(target) == 1  # (the no-longer-locked one)
    assert _files.remove_stale(tmp_path / "absent" / "m.mlpk") == 0


def test_a_planted_link_named_like_a_temporary_file_is_left_in_place(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / ".m.mlpk.tmp").symlink_to(victim)
    small_model().save(tmp_path / "m.mlpk")
    assert (tmp_path / ".m.mlpk.tmp").is_symlink() and victim.read_text() == "keep me"


def test_the_bytes_are_written_beside_the_target_under_a_locked_temporary_name(tmp_path):
    import fcntl

    target = tmp_path / "deep" / "er" / "m.bin"
    seen = []

    def fill(f):
        names = [p.name for p in target.parent.iterdir()]
        seen.extend(names)
        (name,) = names
        fd = os.open(target.parent / name, os.O_RDONLY)
        try:
            with pytest.raises(OSError):  # the writer holds its lock
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        f.write(b"data")

    assert _files.write_atomic(target, fill) == target
    assert len(seen) == 1 and seen[0].startswith(".m.bin.") and seen[0].endswith(".tmp")
    assert target.read_bytes() == b"data" and [p.name for p in target.parent.iterdir()] == ["m.bin"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_what_open_would_give_it(tmp_path, umask):
    old = os.umask(umask)
    try:
        _files.write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "status",
    [OSError("no /proc"), "Name:\tpython\n", "Umask:\tzz\n"],
    ids=["unreadable", "no umask line", "not octal"],
)
def test_the_umask_falls_back_to_022_where_it_cannot_be_read(monkeypatch, status):
    import io

    def fake_open(path, *args, **kwargs):
        if isinstance(status, Exception):
            raise status
        return io.StringIO(status)

    monkeypatch.setattr(_files, "open", fake_open, raising=False)
    assert _files._umask() == 0o022
    monkeypatch.setattr(
        _files, "open", lambda *a, **k: io.StringIO("Umask:\t0027\n"), raising=False
    )
    assert _files._umask() == 0o027


def test_a_target_without_a_file_name_is_refused_by_name(tmp_path):
    target = tmp_path / "sub" / ".."  # (not there yet: not refused as a folder)
    with pytest.raises(ValueError) as caught:
        _files.check_target(target)
    assert str(caught.value) == f"{target}: the output needs a file name"


def test_a_target_under_a_broken_link_or_an_unwritable_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    target = tmp_path / "gone" / "m.mlpk"
    with pytest.raises(ValueError) as caught:
        _files.check_target(target)
    assert str(caught.value) == f"{target}: {tmp_path / 'gone'} is a broken link"
    # (root writes anywhere: the folder's answer is given here as an ordinary user's)
    monkeypatch.setattr(_files.os, "access", lambda path, mode: mode != os.W_OK | os.X_OK)
    with pytest.raises(ValueError) as caught:
        _files.check_target(tmp_path / "m.mlpk")
    assert str(caught.value) == f"{tmp_path / 'm.mlpk'}: the folder {tmp_path} is not writable"


def test_write_atomic_names_its_output_as_the_output_by_default(tmp_path):
    with pytest.raises(ValueError) as caught:
        _files.write_atomic(tmp_path, lambda f: f.write(b"x"))
    assert str(caught.value) == f"{tmp_path}: the output is a folder; give a file name inside it"
