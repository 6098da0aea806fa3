#!/usr/bin/env python3
"""Builds examples/debian-mini, a small real OCI image, from real Debian bookworm packages.

Usage: examples/build-example.py [OUTDIR]        (default: examples/debian-mini)

Needs apt-get (with bookworm sources), dpkg-deb and pip; no container engine and no root.
The Debian packages are fetched with `apt-get download`, their data trees copied into layer
tars, and dpkg's status database and file lists written as dpkg itself would; the Python
wheels are fetched from PyPI with `pip download` and unpacked as pip installs them. Layers:
  1. base-files ncurses-base zlib1g liblzma5 libbz2-1.0     (os-release, merged-/usr links)
  2. libexpat1 libxml2                                       (status rewritten: attribution)
  3. requests 2.25.1, urllib3 1.26.4 from PyPI              (old on purpose: known advisories)
  4. removes /usr/share/doc/libxml2                          (a whiteout)
Everything is deterministic for a given set of package versions (mtime 0, sorted entries).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

LAYERS = [
    ["base-files", "ncurses-base", "zlib1g", "liblzma5", "libbz2-1.0"],
    ["libexpat1", "libxml2"],
]
WHEELS = ["requests==2.25.1", "urllib3==1.26.4"]
SITE = "usr/local/lib/python3.11/dist-packages"
REMOVED = "usr/share/doc/libxml2"
EPOCH = 1735689600  # 2025-01-01, the image's build date


def run(*cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.PIPE).stdout


def download(names, into):
    run("apt-get", "download", *names, cwd=into)
    debs = {}
    for f in os.listdir(into):
        if f.endswith(".deb"):
            pkg = run("dpkg-deb", "-f", os.path.join(into, f), "Package").decode().strip()
            debs[pkg] = os.path.join(into, f)
    return debs


def control(deb):
    text = run("dpkg-deb", "-f", deb).decode()
    lines = text.rstrip("\n").split("\n")
    out = []
    for line in lines:
        out.append(line)
        if line.startswith("Package:"):
            out.append("Status: install ok installed")
    return "\n".join(out) + "\n"


def info(member, kind=tarfile.REGTYPE, mode=0o644, data=b""):
    ti = tarfile.TarInfo(member)
    ti.type = kind
    ti.mode = mode
    ti.mtime = EPOCH
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    return ti


class Layer:
    def __init__(self):
        self.entries = {}

    def add(self, ti, data=None):
        self.entries[ti.name] = (ti, data)

    def add_file(self, name, data, mode=0o644):
        self.add(info(name, data=data, mode=mode), data)

    def add_dirs_for(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.add(info(d, tarfile.DIRTYPE, 0o755))

    def add_deb(self, deb):
        raw = run("dpkg-deb", "--fsys-tarfile", deb)
        listing = []
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            for m in t.getmembers():
                name = m.name.lstrip("./").rstrip("/")
                listing.append("/" + name if name else "/.")
                if not name:
                    continue
                m.name = name
                m.mtime = EPOCH
                m.uid = m.gid = 0
                m.uname = m.gname = "root"
                if m.islnk():
                    m.linkname = m.linkname.lstrip("./")
                data = t.extractfile(m).read() if m.isreg() else None
                self.add(m, data)
        return listing

    def tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for name in sorted(self.entries):
                ti, data = self.entries[name]
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


def blob(out, data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "debian-mini")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "blobs", "sha256"))
    work = tempfile.mkdtemp()
    try:
        debs = download([p for layer in LAYERS for p in layer], work)
        status = []
        layers, diff_ids, history = [], [], []
        for step, names in enumerate(LAYERS):
            layer = Layer()
            for name in names:
                deb = debs[name]
                listing = layer.add_deb(deb)
                ctl = control(deb)
                status.append(ctl)
                arch = run("dpkg-deb", "-f", deb, "Architecture").decode().strip()
                multi = run("dpkg-deb", "-f", deb, "Multi-Arch").decode().strip()
                list_name = f"{name}:{arch}.list" if multi == "same" else f"{name}.list"
                lst = f"var/lib/dpkg/info/{list_name}"
                layer.add_dirs_for(lst)
                layer.add_file(lst, ("\n".join(listing) + "\n").encode())
            layer.add_dirs_for("var/lib/dpkg/status")
            layer.add_file("var/lib/dpkg/status", "\n".join(status).encode())
            layers.append(layer.tar())
            history.append({"created": "2025-01-01T00:00:00Z", "created_by": "/bin/sh -c dpkg --unpack " + " ".join(names)})
        py = Layer()
        wheel_dir = os.path.join(work, "wheels")
        run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", wheel_dir, *WHEELS)
        python_rows = []
        for whl in sorted(os.listdir(wheel_dir)):
            with zipfile.ZipFile(os.path.join(wheel_dir, whl)) as z:
                for name in sorted(z.namelist()):
                    if name.endswith("/"):
                        continue
                    target = f"{SITE}/{name}"
                    py.add_dirs_for(target)
                    py.add_file(target, z.read(name))
            name, version = whl.split("-")[:2]
            python_rows.append((name, version))
        layers.append(py.tar())
        history.append({"created": "2025-01-01T00:00:00Z", "created_by": "/bin/sh -c pip install " + " ".join(WHEELS)})
        wh = Layer()
        wh.add_dirs_for(REMOVED)
        parent, base = os.path.split(REMOVED)
        wh.add_file(f"{parent}/.wh.{base}", b"")
        layers.append(wh.tar())
        history.append({"created": "2025-01-01T00:00:00Z", "created_by": f"/bin/sh -c rm -rf /{REMOVED}"})
        descriptors = []
        for raw in layers:
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            gz = gzip.compress(raw, compresslevel=9, mtime=0)
            descriptors.append(blob(out, gz, "application/vnd.oci.image.layer.v1.tar+gzip"))
        config = {
            "created": "2025-01-01T00:00:00Z",
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        cfg = blob(out, json.dumps(config, indent=2).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfg, "layers": descriptors}
        man = blob(out, json.dumps(manifest, indent=2).encode(), "application/vnd.oci.image.manifest.v1+json")
        man["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
        with open(os.path.join(out, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [man]}, f, indent=2)
        with open(os.path.join(out, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        # What the image holds, for tests: name, version, ecosystem, layer index.
        with open(os.path.join(out, "packages.tsv"), "w") as f:
            for step, names in enumerate(LAYERS):
                for ctl in status:
                    fields = dict(l.split(": ", 1) for l in ctl.splitlines() if ": " in l and not l.startswith(" "))
                    if fields["Package"] in names:
                        f.write("\t".join([fields["Package"], fields["Version"], "deb", str(step)]) + "\n")
            for name, version in python_rows:
                f.write("\t".join([name, version, "pypi", str(len(LAYERS))]) + "\n")
    finally:
        shutil.rmtree(work)
    print(out)


if __name__ == "__main__":
    main()
