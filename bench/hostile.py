#!/usr/bin/env python3
"""Writes OCI layouts built to make an image reader hold as much as it can, for
bench/hostile-memory.sh. Each case is a small download that claims or holds a lot.

usage: hostile.py OUTDIR
"""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile, zipfile, zlib


def layout(out, name, layers, zstd_window_log=None):
    """An OCI layout at OUT/NAME with the given layer tars (bytes), gzipped, or compressed with
    the zstd command and the given window when one is named (one for all, or a list)."""
    root = os.path.join(out, name)
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    descriptors, diff_ids = [], []
    windows = zstd_window_log if isinstance(zstd_window_log, list) else [zstd_window_log] * len(layers)
    for tar, zstd_window_log in zip(layers, windows):
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        if zstd_window_log:
            blob = subprocess.run(["zstd", "-q", "-3", f"--long={zstd_window_log}", "-c"],
                                  input=tar, capture_output=True, check=True).stdout
            media_type = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            blob = gzip.compress(tar, compresslevel=6, mtime=0)
            media_type = "application/vnd.oci.image.layer.v1.tar+gzip"
        digest, size = put(blob)
        descriptors.append({"mediaType": media_type, "digest": digest, "size": size})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cdigest, csize = put(config)
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdigest, "size": csize},
                           "layers": descriptors}).encode()
    mdigest, msize = put(manifest)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": mdigest, "size": msize}]}, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


class Tar:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.GNU_FORMAT)

    def file(self, name, data=b""):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(data))
        return self

    def symlink(self, name, target):
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self.tar.addfile(info)
        return self

    def done(self):
        self.tar.close()
        return self.buf.getvalue()


OS_RELEASE = b'ID=debian\nVERSION_ID="12"\n'
STATUS = b"Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n"


def base():
    return Tar().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", STATUS)


def main(out):
    # 990,000 empty files with long names (the limit is a million entries): each a tar header, nothing else.
    t = base()
    for i in range(990_000):
        t.file(f"usr/share/junk/{i:07d}/{'x' * 60}")
    layout(out, "million-entries", [t.done()])

    # 99,000 symlinks: each is recorded in full.
    t = base()
    for i in range(99_000):
        t.symlink(f"usr/share/links/{i:06d}-{'y' * 60}", "../../../etc/os-release")
    layout(out, "symlinks", [t.done()])

    # Python METADATA files of a few MB each, compressing to nothing, until the budget ends.
    t = base()
    for i in range(40):
        t.file(f"usr/lib/python3/dist-packages/p{i}-1.0.dist-info/METADATA",
               b"Metadata-Version: 2.1\nName: p%d\nVersion: 1.0\n" % i + b"#" * (8 << 20))
    layout(out, "metadata", [t.done()])

    # A dpkg status of 60 MB: past the read budget.
    t = Tar().file("etc/os-release", OS_RELEASE)
    stanza = b"Package: p%d\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nDescription: " + b"z" * 500 + b"\n\n"
    status = b"".join(stanza % i for i in range(110_000))
    t.file("var/lib/dpkg/status", status)
    layout(out, "big-status", [t.done()])

    # 99,000 npm packages: each manifest is a recorded entry, each package a few KB.
    t = base()
    for i in range(99_000):
        t.file(f"app/node_modules/p{i}/package.json", b'{"name":"p%d","version":"1.0.0"}' % i)
    layout(out, "npm-packages", [t.done()])

    # 99,000 symlinks with names and targets of about 1 KB: each recorded entry holds its text.
    t = base()
    for i in range(99_000):
        t.symlink(f"usr/share/links/{i:06d}-{'y' * 900}", "../../../" + "z" * 1000)
    layout(out, "long-links", [t.done()])

    # 65,000 npm manifests: the read fits the budget, the packages fill what it leaves.
    t = base()
    for i in range(65_000):
        t.file(f"app/node_modules/p{i}/package.json", b'{"name":"p%d","version":"1.0.0"}' % i)
    layout(out, "npm-65k", [t.done()])

    # A zstd layer whose frame asks for a 128 MiB window, over 300 MB of zeros: 10 KB.
    layout(out, "zstd-window", [base().file("srv/zeros", bytes(300 << 20)).done()], zstd_window_log=27)

    # Several classes at once: a zstd layer with the largest window drydock decodes, filled;
    # 60,000 manifests filling the read budget; a 30 MB program the ELF probe reads.
    zeros = base().file("srv/zeros", bytes(60 << 20)).done()
    manifests = Tar()
    for i in range(60_000):
        manifests.file(f"app/node_modules/p{i}/package.json", b'{"name":"p%d","version":"1.0.0"}' % i)
    program = Tar().file("usr/bin/prog", b"\x7fELF" + bytes(60) + b"\xff Go buildinf:" + bytes(30 << 20))
    layout(out, "combined", [zeros, manifests.done(), program.done()], zstd_window_log=[23, None, None])

    # A program whose cargo-auditable data is 38 KB of zlib inflating to 15 MB of tiny objects.
    entry = b'{"name":"a","version":"1"},'
    audit = b'{"packages":[' + entry * ((15 << 20) // len(entry)) + b'{"name":"z","version":"1"}]}'
    layout(out, "audit-data", [base().file("usr/bin/prog", b"\x7fELF" + bytes(60) + zlib.compress(audit, 9)).done()])

    # A package-lock.json of 16 MB in 375,000 tiny entries.
    body = b",".join(b'"node_modules/a%d":{"version":"1.0.0"}' % i for i in range(375_000))
    lock = b'{"name":"app","lockfileVersion":3,"packages":{' + body + b'}}'
    layout(out, "lock-file", [base().file("app/package-lock.json", lock).done()])

    # A jar of 150,000 tiny Maven descriptors (31 MB, streamed).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(150_000):
            z.writestr(f"META-INF/maven/g{i}/a{i}/pom.properties", f"groupId=g{i}\nartifactId=a{i}\nversion=1.0.{i}\n")
    layout(out, "descriptor-jar", [base().file("app/app.jar", buf.getvalue()).done()])

    # A dpkg file list of 1,500,000 short paths (15 MB): its list weighs several times its text.
    t = base().file("var/lib/dpkg/info/base-files.list", b"".join(b"/u/%d\n" % i for i in range(1_500_000)))
    layout(out, "file-list", [t.done()])

    # A deb822 sources file of 67 KB naming 3,000 URIs with 3,000 suites: 9,000,000 archives.
    uris = " ".join(f"http://m{i}.e/d" for i in range(3000))
    suites = " ".join(f"s{i}" for i in range(3000))
    text = f"Types: deb\nURIs: {uris}\nSuites: {suites}\nComponents: main\n".encode()
    layout(out, "apt-sources", [base().file("etc/apt/sources.list.d/x.sources", text).done()])

    # Two revisions of a status of 400,000 tiny paragraphs, in two layers.
    status = b"".join(b"Package: p%d\nVersion: 1\n\n" % i for i in range(400_000))
    layout(out, "status-revisions", [Tar().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", status).done(),
                                     Tar().file("var/lib/dpkg/status", status + b"Package: q\nVersion: 2\n\n").done()])

    # A status whose one package depends on the same name 3,000,000 times (9 MB).
    status = b"Package: p\nStatus: install ok installed\nVersion: 1\nDepends: " + b", ".join([b"a"] * 3_000_000) + b"\n"
    layout(out, "depends", [Tar().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", status).done()])

    # A status of 20,000 packages, the most one database may list.
    t = Tar().file("etc/os-release", OS_RELEASE)
    t.file("var/lib/dpkg/status", b"".join(
        b"Package: p%d\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nSource: s%d\nDepends: p1, p2\n\n"
        % (i, i) for i in range(20_000)))
    layout(out, "max-packages", [t.done()])

    # A fat jar of 120 MB as Spring Boot lays one out: 60 nested jars of 2 MB, stored.
    def jar(entries, method):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as z:
            for name, data in entries:
                z.writestr(name, data)
        return buf.getvalue()

    nested = [(f"BOOT-INF/lib/dep{i}-1.0.jar",
               jar([(f"META-INF/maven/org.example/dep{i}/pom.properties",
                     b"groupId=org.example\nartifactId=dep%d\nversion=1.0\n" % i),
                    ("blob.bin", b"\0" * (2 << 20))], zipfile.ZIP_STORED))
              for i in range(60)]
    t = base().file("app/app.jar", jar(nested, zipfile.ZIP_STORED))
    layout(out, "fat-jar", [t.done()])


if __name__ == "__main__":
    main(sys.argv[1])
