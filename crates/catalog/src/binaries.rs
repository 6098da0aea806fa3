//! Executables and shared libraries that no package manager installed: Go binaries (module
//! list and toolchain from the embedded build info, both the ≥ 1.18 inline layout and the older
//! one), Rust binaries built with cargo-auditable (`.dep-v0`), and key runtimes copied in by
//! hand (node, esbuild's own version for its Go module, CPython, PHP, a JDK by its `release`
//! file, and those the image's ENV names), found by looking inside every ELF file as it streams
//! by. No crate reads Go build info, and
//! `auditable-info` needs the whole file in memory, so both are read here from the stream.
//!
//! What the probe keeps per ELF file is a small JSON summary ([`ElfFacts`]); the detector turns
//! summaries into packages, and [`crate::catalog`] lists the ELF files nothing accounts for.

use drydock_source::ImagePath;
use std::io::{self, Read};

use memchr::memmem;

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Package, PackageType};
pub use crate::probe::{ElfFacts, GoBuildInfo};
use crate::probe::{FileFacts, file_probes};

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// The sentinels Go puts around the module info string.
const MODINFO_START: &[u8] = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
const MODINFO_END: &[u8] = b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";

/// `go1.15.2` at `at`, as the runtime's version string (not `go1bK` in a checksum).
fn toolchain_version(buf: &[u8], at: usize) -> Option<String> {
    let rest = buf.get(at + 4..)?;
    let digits: Vec<u8> = rest
        .iter()
        .take(16)
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .copied()
        .collect();
    let text = String::from_utf8(digits).ok()?;
    let text = text.trim_end_matches('.');
    (!text.is_empty() && text.starts_with(|c: char| c.is_ascii_digit())).then(|| format!("go1.{text}"))
}
/// Build info is small; a module list of a few thousand dependencies fits in this.
const MAX_BUILDINFO: usize = 512 << 10;
/// The most of a `.dep-v0` section read when it is found by content: the JSON it inflates to
/// is read up to [`MAX_DEP_V0_JSON`], and zlib never makes text larger by more than a little.
const MAX_DEP_V0: usize = MAX_DEP_V0_JSON as usize + (64 << 10);
const CHUNK: usize = 1 << 20;

/// How much of the end of an executable is kept for its section headers: cargo-auditable's
/// `.dep-v0` usually sits near them. One further back is found by its content instead.
const TAIL: usize = 2 << 20;

/// Passes bytes through, keeping those from offset `from` on (the end of the file, where the
/// section headers are) and counting the position.
struct Tail<'a> {
    inner: &'a mut dyn Read,
    window: Vec<u8>,
    /// Absolute offset of `window[0]`.
    start: u64,
    pos: u64,
    from: u64,
}

impl Read for Tail<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let end = self.pos + n as u64;
        if end > self.from {
            let skip = usize::try_from(self.from.saturating_sub(self.pos))
                .unwrap_or(n)
                .min(n);
            if self.window.is_empty() {
                self.start = self.pos + skip as u64;
            }
            self.window.extend_from_slice(&buf[skip..n]);
            // Never more than TAIL plus a section header table's worth.
            if self.window.len() > TAIL + (1 << 20) {
                let cut = self.window.len() - TAIL;
                self.window.drain(..cut);
                self.start += cut as u64;
            }
        }
        self.pos = end;
        Ok(n)
    }
}

/// Offset of the section header table from an ELF header.
fn section_table_offset(header: &[u8]) -> Option<u64> {
    let little = *header.get(5)? == 1;
    if *header.get(4)? == 2 {
        let a: [u8; 8] = header.get(0x28..0x30)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    } else {
        let a: [u8; 4] = header.get(0x20..0x24)?.try_into().ok()?;
        Some(u64::from(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }))
    }
}

/// The crates in a `.dep-v0` section's zlib-compressed JSON.
fn dep_v0_crates(compressed: &[u8]) -> Option<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Audit {
        packages: Vec<Crate>,
    }
    #[derive(serde::Deserialize)]
    struct Crate {
        name: String,
        version: String,
    }
    // Real audit data is a few KB per hundred crates. A few KB of zlib can inflate to many
    // MB of small objects, each costing far more parsed than written: past the cap the
    // section is not read (the program then counts among the unscanned ones).
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_DEP_V0_JSON + 1)
        .read_to_end(&mut json)
        .ok()?;
    if json.len() as u64 > MAX_DEP_V0_JSON {
        return None;
    }
    let audit: Audit = serde_json::from_slice(&json).ok()?;
    Some(audit.packages.into_iter().map(|c| (c.name, c.version)).collect())
}

/// The most of cargo-auditable's JSON read: about 10,000 crates.
const MAX_DEP_V0_JSON: u64 = 1 << 20;

/// A zlib stream starting at `b` that inflates to the start of cargo-auditable's JSON. Used to
/// find `.dep-v0` by content when it lies too far from the section headers for the tail window.
fn starts_dep_v0(b: &[u8]) -> bool {
    const JSON_START: &[u8] = b"{\"packages\":[";
    if b.len() < 8 || b[0] != 0x78 || !matches!(b[1], 0x01 | 0x5e | 0x9c | 0xda) {
        return false;
    }
    let mut inflate = flate2::Decompress::new(true);
    let mut out = [0u8; 16];
    let _ = inflate.decompress(&b[..b.len().min(96)], &mut out, flate2::FlushDecompress::None);
    let n = usize::try_from(inflate.total_out()).unwrap_or(0).min(out.len());
    n >= JSON_START.len() && out.starts_with(JSON_START)
}

/// The crate list cargo-auditable embeds: the `.dep-v0` section (zlib-compressed JSON),
/// located through the section headers at the end of the file. The format and the parser are
/// small; the `auditable-info` crate wants the whole file in memory, which a stream has not.
fn cargo_auditable(header: &[u8; 64], window: &[u8], start: u64) -> Option<Vec<(String, String)>> {
    let little = header[5] == 1;
    let wide = header[4] == 2;
    let u16_at = |b: &[u8], o: usize| -> Option<u64> {
        let a: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
        Some(u64::from(if little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }))
    };
    let u32_at = |b: &[u8], o: usize| -> Option<u64> {
        let a: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
        Some(u64::from(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }))
    };
    let u64_at = |b: &[u8], o: usize| -> Option<u64> {
        let a: [u8; 8] = b.get(o..o + 8)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    };
    let word = |b: &[u8], o: usize| if wide { u64_at(b, o) } else { u32_at(b, o) };
    let (shoff, shentsize, shnum, shstrndx) = if wide {
        (
            u64_at(header, 0x28)?,
            u16_at(header, 0x3a)?,
            u16_at(header, 0x3c)?,
            u16_at(header, 0x3e)?,
        )
    } else {
        (
            u32_at(header, 0x20)?,
            u16_at(header, 0x2e)?,
            u16_at(header, 0x30)?,
            u16_at(header, 0x32)?,
        )
    };
    let at = |offset: u64, len: u64| -> Option<&[u8]> {
        let from = usize::try_from(offset.checked_sub(start)?).ok()?;
        window.get(from..from.checked_add(usize::try_from(len).ok()?)?)
    };
    let table = at(shoff, shentsize * shnum)?;
    // (name offset, file offset, size) of section i
    let section = |i: u64| -> Option<(u64, u64, u64)> {
        let h = table.get(usize::try_from(i * shentsize).ok()?..)?;
        let (off_at, size_at) = if wide { (0x18, 0x20) } else { (0x10, 0x14) };
        Some((u32_at(h, 0)?, word(h, off_at)?, word(h, size_at)?))
    };
    let (_, str_off, str_size) = section(shstrndx)?;
    let names = at(str_off, str_size)?;
    for i in 0..shnum {
        let (name_off, off, size) = section(i)?;
        let name = names.get(usize::try_from(name_off).ok()?..)?;
        if !name.starts_with(b".dep-v0\0") {
            continue;
        }
        return dep_v0_crates(at(off, size)?);
    }
    None
}

/// Version strings that identify a runtime or tool copied into an image outside any package
/// manager: (name, file-name prefix, marker). The version follows the marker. As in other
/// scanners' classifiers, the file name gates the content search.
const CLASSIFIERS: &[(&str, &str, &[u8])] = &[
    ("node", "node", b"node.js/v"),
    ("esbuild", "esbuild", b"Print the current version ("),
    // CPython keeps PY_VERSION as a bare string: `\03.11.2\0`.
    ("python", "python", b"\x003."),
    ("php", "php", b"X-Powered-By: PHP/"),
    // RUBY_DESCRIPTION, `ruby 3.2.2p53 (2023-03-30 revision …) [x86_64-linux]`, lives in
    // libruby (official images build Ruby as a shared library).
    ("ruby", "libruby", b"\0ruby "),
];

/// The layer pass's look inside ELF files: Go build info, cargo-auditable data, version strings.
pub struct ElfProbe;

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn varint(b: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut x: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(at)?;
        at += 1;
        x |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some((usize::try_from(x).ok()?, at));
        }
    }
    None
}

/// Go ≥ 1.18 build info: a 32-byte header (magic, pointer size, flags) then, with flag 0x2,
/// two varint-prefixed strings: the toolchain version and the module info between 16-byte
/// sentinels.
fn parse_buildinfo(b: &[u8]) -> GoBuildInfo {
    let flags = b.get(15).copied().unwrap_or(0);
    if flags & 0x2 == 0 {
        return GoBuildInfo {
            go_version: None,
            modinfo: String::new(),
        };
    }
    let read_bytes = |at: usize| -> Option<(&[u8], usize)> {
        let (len, start) = varint(b, at)?;
        Some((b.get(start..start.checked_add(len)?)?, start + len))
    };
    let Some((version, next)) = read_bytes(32) else {
        return GoBuildInfo::default();
    };
    let version = String::from_utf8_lossy(version).into_owned();
    let raw = read_bytes(next).map(|(m, _)| m).unwrap_or_default();
    // The module info sits between two 16-byte binary sentinels.
    let raw = if raw.len() >= 33 && raw[raw.len() - 17] == b'\n' {
        &raw[16..raw.len() - 16]
    } else {
        raw
    };
    let modinfo = String::from_utf8_lossy(raw).into_owned();
    GoBuildInfo {
        go_version: Some(version),
        modinfo,
    }
}

fn version_after(buf: &[u8], at: usize) -> Option<String> {
    let v: Vec<u8> = buf
        .get(at..)?
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .copied()
        .collect();
    let s = String::from_utf8(v).ok()?;
    let s = s.trim_end_matches('.');
    (s.contains('.') && s.starts_with(|c: char| c.is_ascii_digit())).then(|| s.to_string())
}

/// The file probe registered with the layer walker: ELF files, Java archives and Python eggs.
pub struct FileProbe;

impl drydock_source::Probe for FileProbe {
    fn accepts(&self, path: &str, size: u64, head: &[u8]) -> bool {
        size >= 64
            && (head == b"\x7fELF"
                || (head == b"PK\x03\x04" && (crate::java::is_archive(path) || path.ends_with(".egg"))))
    }

    fn probe(
        &self,
        path: &str,
        size: u64,
        reader: &mut dyn Read,
        pool: &drydock_source::Pool,
    ) -> io::Result<Vec<u8>> {
        let facts = if path.ends_with(".egg") {
            FileFacts::Egg(crate::python::probe_egg(reader).map_err(|e| e.to_string()))
        } else if crate::java::is_archive(path) {
            FileFacts::Java(crate::java::probe_archive(path, size, reader, pool).map_err(|e| e.to_string()))
        } else {
            FileFacts::Elf(ElfProbe.elf_facts(path, size, reader)?)
        };
        Ok(crate::probe::encode(&facts))
    }
}

impl ElfProbe {
    /// Reads what drydock needs of one ELF file, streamed.
    pub fn elf_facts(&self, path: &str, size: u64, reader: &mut dyn Read) -> io::Result<ElfFacts> {
        const KEEP: usize = 64;
        let name = path.rsplit('/').next().unwrap_or(path);
        // Shared libraries are recorded but not searched: Go programs and the runtimes below
        // are executables, and libraries are most of an image's bytes.
        let library = name.contains(".so");
        let classifiers: Vec<(&str, memmem::Finder<'_>)> = CLASSIFIERS
            .iter()
            .filter(|(_, prefix, _)| (!library || prefix.starts_with("lib")) && name.starts_with(prefix))
            .map(|(n, _, m)| (*n, memmem::Finder::new(*m)))
            .collect();
        let go_finder = memmem::Finder::new(GO_MAGIC);
        let sentinel = memmem::Finder::new(MODINFO_START);
        let version_finder = memmem::Finder::new(b"go1.");
        let mut modinfo: Option<String> = None;
        let mut go_version: Option<String> = None;
        let mut rust_by_content: Option<Vec<(String, String)>> = None;
        let mut facts = ElfFacts::default();
        let mut tail = Tail {
            inner: reader,
            window: Vec::new(),
            start: 0,
            pos: 0,
            from: u64::MAX,
        };
        let mut header = [0u8; 64];
        let chunk = CHUNK.min(usize::try_from(size).unwrap_or(CHUNK).max(KEEP));
        let mut buf = vec![0u8; KEEP + chunk];
        let mut filled = 0usize;
        let mut first = true;
        loop {
            // Keep a tail so markers spanning two chunks are still seen.
            let keep = filled.min(KEEP);
            buf.copy_within(filled - keep..filled, 0);
            let n = read_full(&mut tail, &mut buf[keep..keep + chunk])?;
            filled = keep + n;
            if first {
                first = false;
                let h = filled.min(64);
                header[..h].copy_from_slice(&buf[..h]);
                // Keep the file's end from here on; the first chunk is in `buf` if that end
                // began inside it.
                if !library && let Some(shoff) = section_table_offset(&header) {
                    let from = shoff.saturating_sub(TAIL as u64);
                    if from < filled as u64 {
                        tail.window.extend_from_slice(&buf[from as usize..filled]);
                        tail.start = from;
                    }
                    tail.from = from.max(filled as u64);
                }
                let little = buf.get(5) == Some(&1);
                facts.elf_type = if little {
                    u16::from_le_bytes([buf[16], buf[17]])
                } else {
                    u16::from_be_bytes([buf[16], buf[17]])
                };
            }
            if n == 0 {
                break;
            }
            if library && classifiers.is_empty() {
                continue;
            }
            let window = &buf[..filled];
            for (name, finder) in &classifiers {
                if facts.classified.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let found = finder.find_iter(window).find_map(|at| {
                    let v = version_after(window, at + finder.needle().len())?;
                    if *name == "python" {
                        // Only a whole NUL-terminated `3.x.y`, not any "3." inside a string.
                        let end = at + finder.needle().len() + v.len();
                        (window.get(end) == Some(&0) && v.matches('.').count() == 1).then(|| format!("3.{v}"))
                    } else if *name == "ruby" {
                        // The description goes on with a patch level or a space, then `(date`.
                        let end = at + finder.needle().len() + v.len();
                        let rest = window.get(end..(end + 16).min(window.len()))?;
                        (matches!(rest.first(), Some(b'p' | b' ')) && rest.contains(&b'(')).then_some(v)
                    } else {
                        Some(v)
                    }
                });
                if let Some(v) = found {
                    facts.classified.push((name.to_string(), v));
                }
            }
            if library {
                continue;
            }
            if rust_by_content.is_none() && facts.go.is_none() {
                let hit = memchr::memchr_iter(0x78, window).find(|&at| starts_dep_v0(&window[at..]));
                if let Some(at) = hit {
                    let mut ext = window[at..].to_vec();
                    if ext.len() < MAX_DEP_V0 {
                        let have = ext.len();
                        ext.resize(MAX_DEP_V0, 0);
                        let more = read_full(&mut tail, &mut ext[have..])?;
                        ext.truncate(have + more);
                        let keep = ext.len().min(KEEP);
                        buf[..keep].copy_from_slice(&ext[ext.len() - keep..]);
                        filled = keep;
                    }
                    rust_by_content = dep_v0_crates(&ext);
                    continue;
                }
            }
            // Build info, and (for the pre-1.18 layout, whose strings the header only points
            // at) the module info between its sentinels and the toolchain version string.
            let first_marker = [
                go_finder.find(window).filter(|_| facts.go.is_none()),
                sentinel.find(window).filter(|_| modinfo.is_none()),
            ]
            .into_iter()
            .flatten()
            .min();
            if let Some(i) = first_marker {
                let mut ext = window[i..].to_vec();
                if ext.len() < MAX_BUILDINFO {
                    let have = ext.len();
                    ext.resize(MAX_BUILDINFO, 0);
                    let more = read_full(&mut tail, &mut ext[have..])?;
                    ext.truncate(have + more);
                    let tail = ext.len().min(KEEP);
                    buf[..tail].copy_from_slice(&ext[ext.len() - tail..]);
                    filled = tail;
                }
                if facts.go.is_none()
                    && let Some(j) = go_finder.find(&ext)
                {
                    facts.go = Some(parse_buildinfo(&ext[j..]));
                }
                if modinfo.is_none()
                    && let Some(j) = sentinel.find(&ext)
                {
                    let body = &ext[j + MODINFO_START.len()..];
                    let end = memmem::find(body, MODINFO_END).unwrap_or(body.len());
                    modinfo = Some(String::from_utf8_lossy(&body[..end]).into_owned());
                }
                if go_version.is_none() {
                    go_version = version_finder
                        .find_iter(&ext)
                        .find_map(|at| toolchain_version(&ext, at));
                }
            }
            if go_version.is_none() {
                go_version = version_finder
                    .find_iter(&buf[..filled])
                    .find_map(|at| toolchain_version(&buf[..filled], at));
            }
        }
        if let Some(go) = &mut facts.go
            && go.go_version.is_none()
            && let (Some(v), Some(m)) = (go_version, modinfo)
        {
            go.go_version = Some(v);
            go.modinfo = m;
        }
        if facts.go.is_none() && !library {
            facts.rust = cargo_auditable(&header, &tail.window, tail.start).or(rust_by_content);
        }
        Ok(facts)
    }
}

/// Modules of a Go binary: the main module, its dependencies (with `=>` replacements
/// applied) and the standard library of the toolchain that built it.
/// The modules a Go binary was built with: (path, version).
pub fn go_modules(info: &GoBuildInfo) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in info.modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", path, version, ..] | ["dep", path, version, ..] => {
                out.push((path.to_string(), version.to_string()))
            }
            ["=>", path, version, ..] => {
                if let Some(last) = out.last_mut() {
                    *last = (path.to_string(), version.to_string());
                }
            }
            _ => {}
        }
    }
    if let Some(v) = &info.go_version
        && let Some(v) = v.strip_prefix("go")
    {
        let v = v.split([' ', '-']).next().unwrap_or(v);
        out.push(("stdlib".to_string(), v.to_string()));
    }
    out
}

const JDK_RELEASE: &str = "**/release";
/// What tells a JDK's `release` file from any other: the launcher beside it.
const JDK_LAUNCHER: &str = "**/bin/java";

/// JDK and JRE homes (a `release` file with `JAVA_VERSION=` beside `bin/java`) and their
/// versions. The `release` file is how the JDK itself records what it is.
fn jdk_homes(fs: &drydock_source::Filesystem) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in fs.glob(&drydock_source::Pattern::new(JDK_RELEASE)) {
        let Some(home) = path.strip_suffix("/release") else {
            continue;
        };
        if fs.node(&format!("{home}/bin/java")).is_none() {
            continue;
        }
        let Some(text) = fs.read(&path) else { continue };
        let version = String::from_utf8_lossy(text).lines().find_map(|l| {
            let v = l.strip_prefix("JAVA_VERSION=")?.trim().trim_matches('"');
            v.starts_with(|c: char| c.is_ascii_digit()).then(|| v.to_string())
        });
        if let Some(v) = version {
            out.push((home.to_string(), v));
        }
    }
    out
}

/// (ENV variable, runtime, executable name prefix) for runtimes official images build from
/// source or unpack from a tarball.
const RUNTIME_ENV: &[(&str, &str, &str)] = &[
    ("NODE_VERSION", "node", "node"),
    ("PYTHON_VERSION", "python", "python3"),
    ("JAVA_VERSION", "openjdk", "java"),
    ("PHP_VERSION", "php", "php"),
    ("RUBY_VERSION", "ruby", "ruby"),
];

fn runtime_from_env(path: &str, env: &[String]) -> Option<(&'static str, String)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    for (var, runtime, prefix) in RUNTIME_ENV {
        if name != *prefix
            && !name.starts_with(&format!("{prefix}."))
            && !(name.starts_with(prefix) && name[prefix.len()..].starts_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        let value = env.iter().find_map(|e| e.strip_prefix(&format!("{var}=")))?;
        // JAVA_VERSION is often `jdk-17.0.9+9`.
        let version = value
            .trim_start_matches("jdk-")
            .trim_start_matches('v')
            .split('+')
            .next()
            .unwrap_or(value)
            .to_string();
        if version.starts_with(|c: char| c.is_ascii_digit()) {
            return Some((runtime, version));
        }
    }
    None
}

/// Packages found inside binaries: Go modules, Rust crates and runtimes copied in by hand.
pub struct Binaries;

impl Detector for Binaries {
    fn name(&self) -> &'static str {
        "binaries"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[JDK_RELEASE]
    }

    fn recorded(&self) -> &'static [&'static str] {
        &[JDK_LAUNCHER]
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for (home, version) in jdk_homes(cx.fs) {
            let release = format!("{}/release", ImagePath::new(&home));
            let mut p = Package::found_at(
                "openjdk".into(),
                version.clone(),
                PackageType::Generic,
                purl(PackageType::Generic, None, "openjdk", &version, &[]),
                cx.fs.node(&format!("{home}/release")).map(|n| n.layer),
                release.clone(),
            );
            p.files = vec![release, format!("{}/bin/java", ImagePath::new(&home))];
            if !cx.room(&mut found) {
                break;
            }
            found.packages.push(p);
        }
        for (path, layer, facts) in file_probes(cx.fs) {
            let FileFacts::Elf(facts) = facts else { continue };
            let location = ImagePath::new(path).absolute();
            let classified = |name: &str| {
                facts
                    .classified
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            // Official images install runtimes by hand and say which in their ENV.
            let env_runtime = if facts.go.is_none()
                && facts.classified.is_empty()
                && (path.starts_with("usr/local/") || path.starts_with("opt/"))
                && path.contains("/bin/")
            {
                runtime_from_env(path, cx.env).filter(|(r, _)| {
                    // A JDK found by its release file is already reported.
                    !found
                        .packages
                        .iter()
                        .any(|p| p.ecosystem == PackageType::Generic && p.name == *r)
                })
            } else {
                None
            };
            let mut push = |name: String, version: String, eco: PackageType, purl: String| {
                if !cx.room(&mut found) {
                    return;
                }
                found.packages.push({
                    let mut p = Package::found_at(name, version, eco, purl, Some(layer), location.clone());
                    p.files = vec![location.clone()];
                    p
                });
            };
            if let Some(crates) = &facts.rust {
                for (name, version) in crates {
                    let p = purl(PackageType::Cargo, None, name, version, &[]);
                    push(name.clone(), version.clone(), PackageType::Cargo, p);
                }
                continue;
            }
            if let Some(go) = &facts.go {
                if go.go_version.is_none() {
                    found.warnings.push(format!(
                        "{location}: Go binary with pre-1.18 build info; its modules were not read"
                    ));
                    continue;
                }
                let mut modules = go_modules(go);
                // A main module built from a checkout reports "(devel)"; a classifier may know better.
                if let Some((_, version)) = modules.first_mut()
                    && version == "(devel)"
                    && let Some(v) = classified("esbuild")
                {
                    *version = format!("v{v}");
                }
                for (path, version) in modules {
                    let (ns, name) = path
                        .rsplit_once('/')
                        .map(|(a, b)| (Some(a), b))
                        .unwrap_or((None, path.as_str()));
                    let p = purl(PackageType::Golang, ns, name, &version, &[]);
                    push(path.clone(), version, PackageType::Golang, p);
                }
                continue;
            }
            for runtime in ["node", "python", "php", "ruby"] {
                if let Some(v) = classified(runtime) {
                    let p = purl(PackageType::Generic, None, runtime, &v, &[]);
                    push(runtime.to_string(), v, PackageType::Generic, p);
                    break;
                }
            }
            if let Some((runtime, version)) = env_runtime {
                let p = purl(PackageType::Generic, None, runtime, &version, &[]);
                push(runtime.to_string(), version, PackageType::Generic, p);
            }
        }
        // One runtime seen twice (the executable by ENV, its library by content) is one package
        // owning both files.
        let mut merged: Vec<Package> = Vec::new();
        for p in found.packages.drain(..) {
            match merged.iter_mut().find(|m| {
                p.ecosystem == PackageType::Generic
                    && m.ecosystem == p.ecosystem
                    && m.name == p.name
                    && m.version == p.version
            }) {
                Some(m) => {
                    m.files.extend(p.files);
                    m.locations.extend(p.locations);
                }
                None => merged.push(p),
            }
        }
        found.packages = merged;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    /// cargo-auditable's JSON is read up to 1 MiB: a few KB of zlib inflating to 15 MB of
    /// tiny objects would otherwise be parsed into hundreds of megabytes.
    #[test]
    fn audit_data_past_its_cap_is_not_parsed() {
        let zlib = |json: &[u8]| {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut e, json).unwrap();
            e.finish().unwrap()
        };
        let json = |n: usize| {
            let mut j = String::from(r#"{"packages":["#);
            for i in 0..n {
                j.push_str(&format!(r#"{{"name":"c{i}","version":"1.0.{i}"}},"#));
            }
            j.push_str(r#"{"name":"last","version":"2.0.0"}]}"#);
            j.into_bytes()
        };
        let within = json(20_000);
        assert!(within.len() < 1 << 20);
        let crates = dep_v0_crates(&zlib(&within)).unwrap();
        assert_eq!(crates.len(), 20_001);
        assert_eq!(crates[20_000], ("last".to_string(), "2.0.0".to_string()));
        let past = json(40_000);
        assert!(past.len() > 1 << 20);
        let compressed = zlib(&past);
        assert!(compressed.len() < 200 << 10);
        assert_eq!(dep_v0_crates(&compressed), None);
    }

    use super::*;

    fn blob(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn uvarint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    #[test]
    fn runtimes_named_by_env() {
        let env = vec![
            "PATH=/usr/local/bin".to_string(),
            "PYTHON_VERSION=3.11.7".into(),
            "JAVA_VERSION=jdk-17.0.9+9".into(),
        ];
        assert_eq!(
            runtime_from_env("usr/local/bin/python3.11", &env),
            Some(("python", "3.11.7".into()))
        );
        assert_eq!(
            runtime_from_env("opt/java/openjdk/bin/java", &env),
            Some(("openjdk", "17.0.9".into()))
        );
        assert_eq!(runtime_from_env("usr/local/bin/pythonista", &env), None);
        assert_eq!(
            runtime_from_env("usr/local/bin/node", &env),
            None,
            "no NODE_VERSION"
        );
    }

    #[test]
    fn go_buildinfo_inline_layout() {
        let sentinel = "0123456789abcdef";
        let modinfo = format!(
            "{sentinel}path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:x=\ndep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgolang.org/x/net\tv0.2.0\th1:z=\nbuild\tGOOS=linux\n{sentinel}"
        );
        let mut info = GO_MAGIC.to_vec();
        info.extend_from_slice(&[8, 2]);
        info.resize(32, 0);
        uvarint(8, &mut info);
        info.extend_from_slice(b"go1.21.5");
        uvarint(modinfo.len(), &mut info);
        info.extend_from_slice(modinfo.as_bytes());
        let elf = blob(&[
            b"\x7fELF\x02\x01\x01\0",
            &[0u8; 8],
            &[2, 0],
            &vec![0u8; 2 << 20],
            &info,
            b"node.js/v20.9.0\0",
        ]);
        let summary = drydock_source::Probe::probe(
            &FileProbe,
            "usr/bin/node",
            elf.len() as u64,
            &mut &elf[..],
            &drydock_source::Pool::new(1 << 30),
        )
        .unwrap();
        let f = crate::probe::elf_facts(&summary).unwrap();
        assert_eq!(f.elf_type, 2);
        let go = f.go.unwrap();
        assert_eq!(go.go_version.as_deref(), Some("go1.21.5"));
        assert_eq!(
            go_modules(&go),
            vec![
                ("example.com/app".to_string(), "v1.2.3".to_string()),
                ("golang.org/x/net".to_string(), "v0.2.0".to_string()),
                ("stdlib".to_string(), "1.21.5".to_string())
            ]
        );
        assert_eq!(f.classified, vec![("node".to_string(), "20.9.0".to_string())]);
    }
}
