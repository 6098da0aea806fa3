//! Java archives (`.jar`, `.war`, `.ear`, `.par`), nested ones included: each archive's
//! `META-INF/maven/**/pom.properties`, else its `MANIFEST.MF`, else its file name, gives
//! groupId:artifactId:version; a `META-INF/native-image/GROUP/ARTIFACT/` folder corrects the
//! group the manifest or file name can only guess. Archives are read by the file probe as they stream by.

use drydock_source::ImagePath;
use std::io::{self, Cursor, Read};

use crate::detector::{Context, Detector, Found, purl};
use crate::model::{Package, PackageType};
pub use crate::probe::{Artifact, JavaArchive};
use crate::probe::{FileFacts, file_probes};

/// Archives up to this size are held (when the read budget has room) and read through their
/// central directory; larger ones are read as they stream by.
pub const MAX_HELD: u64 = 16 << 20;
const MAX_DEPTH: usize = 4;
/// What the archives nested in one file may expand to, all levels together, and how many
/// entries may be looked at: a small jar of jars must not cost gigabytes or minutes.
const MAX_EXPANDED: u64 = 256 << 20;
const MAX_ENTRIES: u64 = 200_000;
/// Maven descriptors kept from one archive: one past the image's package limit, so that the
/// limit's warning is said.
const MAX_ARTIFACTS: u64 = crate::MAX_IMAGE_PACKAGES as u64 + 1;

/// What reading one archive may still spend.
pub struct Budget {
    /// Shared with the reader that counts a nested archive's bytes as they stream by.
    bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    entries: u64,
    /// Maven descriptors still to be kept: each becomes a package, and one archive of tiny
    /// entries could name hundreds of thousands.
    artifacts: u64,
    /// Why reading stopped early, if it did.
    pub exhausted: Option<String>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_EXPANDED, MAX_ENTRIES)
    }
}

impl Budget {
    fn new(bytes: u64, entries: u64) -> Self {
        Budget {
            bytes: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(bytes)),
            entries,
            artifacts: MAX_ARTIFACTS,
            exhausted: None,
        }
    }
}

/// A nested archive's bytes, counted against the archive's budget as they are read: past it,
/// an error that ends the nested read.
struct Counted<'a> {
    inner: &'a mut dyn Read,
    left: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::sync::atomic::Ordering;
        let left = self.left.load(Ordering::Relaxed);
        if left == 0 {
            return Err(io::Error::other(EXPANDED));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left.fetch_sub(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const EXPANDED: &str = "nested archives expand past 256 MiB";

/// Whether the path names a Java archive (`.jar`, `.war`, `.ear`, …).
pub fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".par", ".jpi", ".hpi"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_string(), l[i + 1..].trim().to_string()))
        })
        .collect()
}

/// MANIFEST.MF: `Key: value` with 72-byte lines continued by a leading space.
fn manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(rest);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        } else if line.trim().is_empty() && !out.is_empty() {
            break;
        }
    }
    out
}

fn get<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`).
fn from_file_name(name: &str) -> Option<(String, String)> {
    let stem = name.rsplit('/').next()?.rsplit_once('.')?.0;
    let i = stem
        .char_indices()
        .find(|(i, c)| c.is_ascii_digit() && *i > 0 && stem.as_bytes()[i - 1] == b'-')?
        .0;
    Some((stem[..i - 1].to_string(), stem[i..].to_string()))
}

/// What one archive's entries say about it, gathered as they are met.
#[derive(Default)]
struct Gathered {
    poms: Vec<Artifact>,
    manifest: Vec<(String, String)>,
    /// `META-INF/native-image/GROUP/ARTIFACT/`: GraalVM's layout names the Maven coordinates,
    /// also in jars that ship no pom.properties (Tomcat's embedded jars).
    native: Vec<(String, String)>,
    /// What the nested archives hold, read as each was met.
    nested: Vec<Artifact>,
}

/// Looks at one entry of an archive at `inner` (`""` for the file itself): Maven metadata,
/// the manifest, a native-image folder, or a nested archive, which is walked as it streams by
/// (no more of it than the budget allows, whatever its header declares).
fn visit_entry(
    entry_name: &str,
    entry: &mut dyn Read,
    inner: &str,
    depth: usize,
    budget: &mut Budget,
    seen: &mut Gathered,
) {
    if entry_name.starts_with("META-INF/maven/") && entry_name.ends_with("/pom.properties") {
        let mut text = String::new();
        entry.take(1 << 20).read_to_string(&mut text).ok();
        let p = properties(&text);
        if let (Some(g), Some(a), Some(v)) = (get(&p, "groupId"), get(&p, "artifactId"), get(&p, "version")) {
            if budget.artifacts == 0 {
                return;
            }
            budget.artifacts -= 1;
            seen.poms.push(Artifact {
                group: g.into(),
                artifact: a.into(),
                version: v.into(),
                inner: inner.into(),
            });
        }
    } else if let Some(rest) = entry_name.strip_prefix("META-INF/native-image/") {
        let mut parts = rest.split('/');
        if let (Some(g), Some(a), Some(_)) = (parts.next(), parts.next(), parts.next())
            && !g.is_empty()
            && !a.is_empty()
            && !seen.native.iter().any(|(ng, na)| ng == g && na == a)
        {
            seen.native.push((g.to_string(), a.to_string()));
        }
    } else if entry_name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
        let mut text = String::new();
        entry.take(1 << 20).read_to_string(&mut text).ok();
        seen.manifest = manifest(&text);
    } else if depth < MAX_DEPTH && is_archive(entry_name) {
        // Read as it streams by, never held: a chain of nested archives costs a buffer per
        // level, whatever their sizes.
        let path = format!("{inner}!/{entry_name}");
        let mut counted = Counted {
            inner: entry,
            left: budget.bytes.clone(),
        };
        // A nested archive that does not open is skipped, not fatal for its parent.
        let _ = stream_at(
            &mut counted,
            entry_name,
            &path,
            depth + 1,
            budget,
            &mut seen.nested,
        );
        if budget.bytes.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            budget.exhausted = Some(EXPANDED.to_string());
        }
    }
}

/// Takes one entry from the budget, or records that it is spent.
fn take_entry(budget: &mut Budget) -> bool {
    if budget.entries == 0 {
        budget.exhausted = Some(format!("more than {MAX_ENTRIES} entries in nested archives"));
        return false;
    }
    budget.entries -= 1;
    true
}

/// The archive's own coordinates: its Maven metadata, else the file name
/// (`name-1.2.3.jar`), else the OSGi symbolic name (`org.apache.tomcat-embed-websocket` →
/// group `org.apache`), else the title; then what its nested archives hold.
fn finish(seen: Gathered, name: &str, inner: &str, out: &mut Vec<Artifact>) {
    let Gathered {
        mut poms,
        manifest: mf,
        native,
        nested,
    } = seen;
    if poms.is_empty() {
        let version = get(&mf, "Implementation-Version").or_else(|| get(&mf, "Bundle-Version"));
        let symbolic = get(&mf, "Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
        let from_name = from_file_name(name);
        let (mut group, artifact) = if let Some((a, _)) = &from_name {
            (
                get(&mf, "Implementation-Vendor-Id").unwrap_or("").to_string(),
                Some(a.clone()),
            )
        } else if let Some(sym) = symbolic {
            match sym.rsplit_once('.') {
                Some((g, a)) => (g.to_string(), Some(a.to_string())),
                None => (String::new(), Some(sym.to_string())),
            }
        } else {
            let title = get(&mf, "Implementation-Title").filter(|t| !t.contains(' '));
            (
                get(&mf, "Implementation-Vendor-Id").unwrap_or("").to_string(),
                title.map(str::to_string),
            )
        };
        let version = from_name.as_ref().map(|(_, v)| v.as_str()).or(version);
        // The native-image folder names the group exactly where the guesses above only
        // approximate it (a symbolic name's prefix is often not the groupId).
        let named = native
            .iter()
            .find(|(_, a)| artifact.as_deref() == Some(a.as_str()))
            .or(if native.len() == 1 { native.first() } else { None });
        let artifact = match named {
            Some((g, a)) => {
                group = g.clone();
                Some(a.clone())
            }
            None => artifact,
        };
        if let (Some(a), Some(v)) = (artifact, version) {
            poms.push(Artifact {
                group,
                artifact: a,
                version: v.into(),
                inner: inner.into(),
            });
        }
    }
    out.extend(poms);
    out.extend(nested);
}

/// All artifacts of an archive held in memory, through its central directory.
pub fn read_archive(
    bytes: &[u8],
    name: &str,
    inner: &str,
    depth: usize,
    budget: &mut Budget,
    out: &mut Vec<Artifact>,
) -> io::Result<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    let mut seen = Gathered::default();
    for i in 0..zip.len() {
        if !take_entry(budget) {
            break;
        }
        let Ok(mut entry) = zip.by_index(i) else { continue };
        let entry_name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        visit_entry(&entry_name, &mut entry, inner, depth, budget, &mut seen);
    }
    finish(seen, name, inner, out);
    Ok(())
}

/// Reads a Java archive's artifacts, nested archives included, within the budget. One of up
/// to [`MAX_HELD`] is held (its size taken from `pool` while it is) and read through its
/// central directory; a larger one, or one the pool has no room for, is read as it streams by
/// ([`stream_archive`]), so a fat jar of hundreds of megabytes costs a few buffers.
pub fn probe_archive(
    path: &str,
    size: u64,
    reader: &mut dyn Read,
    pool: &drydock_source::Pool,
) -> io::Result<JavaArchive> {
    let mut out = Vec::new();
    let mut budget = Budget::default();
    if size <= MAX_HELD && pool.take_optional(size) {
        let mut bytes = Vec::with_capacity(size as usize);
        let read = reader
            .take(MAX_HELD)
            .read_to_end(&mut bytes)
            .and_then(|_| read_archive(&bytes, path, "", 0, &mut budget, &mut out));
        drop(bytes);
        pool.give(size);
        read?;
    } else {
        stream_archive(reader, path, &mut budget, &mut out)?;
    }
    Ok(JavaArchive {
        artifacts: out,
        incomplete: budget.exhausted,
    })
}

/// Walks an archive as it streams by ([`crate::zip_stream`]), looking at each entry as the
/// central-directory read does.
pub fn stream_archive(
    reader: &mut dyn Read,
    name: &str,
    budget: &mut Budget,
    out: &mut Vec<Artifact>,
) -> io::Result<()> {
    stream_at(reader, name, "", 0, budget, out)
}

/// [`stream_archive`] for an archive at `inner`, `depth` levels down.
fn stream_at(
    reader: &mut dyn Read,
    name: &str,
    inner: &str,
    depth: usize,
    budget: &mut Budget,
    out: &mut Vec<Artifact>,
) -> io::Result<()> {
    let mut seen = Gathered::default();
    let stopped = crate::zip_stream::walk(reader, &mut |entry_name, data| {
        if !take_entry(budget) {
            return false;
        }
        visit_entry(entry_name, data, inner, depth, budget, &mut seen);
        true
    })?;
    if let Some(why) = stopped {
        budget.exhausted = Some(why);
    }
    finish(seen, name, inner, out);
    Ok(())
}

/// Java archives: the artifacts the file probe recorded.
pub struct Java;

impl Detector for Java {
    fn name(&self) -> &'static str {
        "java"
    }

    fn patterns(&self) -> &'static [&'static str] {
        &[]
    }

    fn detect(&self, cx: &Context<'_>) -> Result<Found, crate::Error> {
        let mut found = Found::default();
        for (path, layer, facts) in file_probes(cx.fs) {
            let FileFacts::Java(result) = facts else {
                continue;
            };
            let artifacts = match result {
                Ok(a) => {
                    if let Some(why) = a.incomplete {
                        found.warnings.push(format!(
                            "{}: Java archive only partly read: {why}",
                            ImagePath::new(path)
                        ));
                    }
                    a.artifacts
                }
                Err(e) => {
                    found
                        .warnings
                        .push(format!("{}: Java archive not read: {e}", ImagePath::new(path)));
                    continue;
                }
            };
            let mut seen = std::collections::HashSet::new();
            for a in artifacts {
                if !seen.insert((a.group.clone(), a.artifact.clone(), a.version.clone())) {
                    continue;
                }
                let name = if a.group.is_empty() {
                    a.artifact.clone()
                } else {
                    format!("{}:{}", a.group, a.artifact)
                };
                if !cx.room(&mut found) {
                    break;
                }
                found.packages.push({
                    let package_url = purl(PackageType::Maven, Some(&a.group), &a.artifact, &a.version, &[]);
                    let mut p = Package::found_at(
                        name,
                        a.version,
                        PackageType::Maven,
                        package_url,
                        Some(layer),
                        format!("{}{}", ImagePath::new(path), a.inner),
                    );
                    p.files = vec![ImagePath::new(path).absolute()];
                    p
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_continuations_and_file_names() {
        let m = manifest(
            "Manifest-Version: 1.0\r\nImplementation-Title: Apache Commons\r\n  Lang\r\nImplementation-Version: 3.12.0\r\n\r\nName: x\r\n",
        );
        assert_eq!(get(&m, "Implementation-Title"), Some("Apache Commons Lang"));
        assert_eq!(
            from_file_name("lib/commons-lang3-3.12.0.jar"),
            Some(("commons-lang3".into(), "3.12.0".into()))
        );
        assert_eq!(from_file_name("app.jar"), None);
        let p = properties(
            "#Generated\ngroupId=com.fasterxml.jackson.core\nartifactId:jackson-core\nversion = 2.15.2\n",
        );
        assert_eq!(get(&p, "artifactId"), Some("jackson-core"));
        assert_eq!(get(&p, "version"), Some("2.15.2"));
    }

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        jar_of(entries, zip::CompressionMethod::Deflated)
    }

    /// An archive whose entries all use `method`.
    fn jar_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let entries: Vec<_> = entries.iter().map(|(n, d)| (*n, *d, method)).collect();
        seekable_jar(&entries)
    }

    /// An archive written with each entry's sizes before its data (a seekable writer).
    fn seekable_jar(entries: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data, method) in entries {
            let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
            w.start_file(*name, opts).unwrap();
            std::io::Write::write_all(&mut w, data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn pom(artifact: &str) -> Vec<u8> {
        format!("groupId=org.example\nartifactId={artifact}\nversion=1.0\n").into_bytes()
    }

    fn coordinates(bytes: &[u8], name: &str) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        read_archive(bytes, name, "", 0, &mut Budget::default(), &mut out).unwrap();
        out.into_iter()
            .map(|a| (a.group, a.artifact, a.version))
            .collect()
    }

    /// An archive as a build tool streaming its output writes it: every entry's sizes follow
    /// its data (a data descriptor).
    fn streamed_jar(entries: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new_stream(Vec::new());
        for (name, data, method) in entries {
            let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
            w.start_file(*name, opts).unwrap();
            std::io::Write::write_all(&mut w, data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn streamed_coordinates(bytes: &[u8], name: &str) -> (Vec<(String, String, String)>, Option<String>) {
        let mut out = Vec::new();
        let mut budget = Budget::default();
        stream_archive(&mut &bytes[..], name, &mut budget, &mut out).unwrap();
        let coordinates = out
            .into_iter()
            .map(|a| (a.group, a.artifact, a.version))
            .collect();
        (coordinates, budget.exhausted)
    }

    /// Read as it streams by, an archive gives what its central directory gives: with sizes
    /// before the data (a seekable writer) and after it (a streaming one), deflated and stored
    /// entries, nested archives two deep.
    #[test]
    fn streaming_reads_what_the_central_directory_reads() {
        use zip::CompressionMethod::{Deflated, Stored};
        let inner = jar(&[("META-INF/maven/org.example/inner/pom.properties", &pom("inner"))]);
        let middle = jar(&[
            ("META-INF/maven/org.example/middle/pom.properties", &pom("middle")),
            ("lib/inner-1.0.jar", &inner),
        ]);
        let filler = vec![b'z'; 300 << 10];
        let app_pom = pom("app");
        let leaf = jar(&[("x.class", b"x")]);
        let entries: Vec<(&str, &[u8], zip::CompressionMethod)> = vec![
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0
",
                Deflated,
            ),
            ("BOOT-INF/classes/big.bin", &filler, Deflated),
            ("BOOT-INF/lib/middle-1.0.jar", &middle, Stored),
            (
                "META-INF/maven/org.example/app/pom.properties",
                &app_pom,
                Deflated,
            ),
            ("BOOT-INF/lib/leaf-2.0.jar", &leaf, Deflated),
        ];
        let want = vec![
            ("org.example".to_string(), "app".to_string(), "1.0".to_string()),
            ("org.example".into(), "middle".into(), "1.0".into()),
            ("org.example".into(), "inner".into(), "1.0".into()),
            (String::new(), "leaf".into(), "2.0".into()),
        ];
        // Sizes in the local headers.
        let seekable = seekable_jar(&entries);
        assert_eq!(coordinates(&seekable, "app.jar"), want);
        assert_eq!(streamed_coordinates(&seekable, "app.jar"), (want.clone(), None));
        // Sizes after the data, except where a stored entry needs them first.
        let deflated: Vec<_> = entries
            .iter()
            .filter(|(_, _, m)| *m == Deflated)
            .cloned()
            .collect();
        let streamed = streamed_jar(&deflated);
        assert_eq!(
            &streamed[6..8],
            &[8, 0],
            "the writer set the data-descriptor flag"
        );
        let want_deflated: Vec<_> = [&want[0], &want[3]].into_iter().cloned().collect();
        assert_eq!(coordinates(&streamed, "app.jar"), want_deflated);
        assert_eq!(streamed_coordinates(&streamed, "app.jar"), (want_deflated, None));
    }

    /// A stored entry whose size follows its data cannot be delimited in a stream: what came
    /// before it is kept, and the result says the archive was only partly read.
    #[test]
    fn a_stored_entry_of_unknown_size_ends_the_stream_and_says_so() {
        use zip::CompressionMethod::{Deflated, Stored};
        let bytes = streamed_jar(&[
            (
                "META-INF/maven/org.example/app/pom.properties",
                &pom("app"),
                Deflated,
            ),
            ("data.bin", b"stored bytes", Stored),
        ]);
        let (got, why) = streamed_coordinates(&bytes, "app.jar");
        assert_eq!(got, vec![("org.example".into(), "app".into(), "1.0".into())]);
        assert_eq!(
            why.as_deref(),
            Some("data.bin is stored with its size after its data, which a stream cannot delimit")
        );
    }

    #[test]
    fn native_image_folders_name_the_group_the_manifest_only_guesses() {
        let mf = b"Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.tomcat-embed-websocket\nBundle-Version: 9.0.65\n";
        let props: &[u8] = b"Args = --x\n";
        let with = jar(&[
            ("META-INF/MANIFEST.MF", mf),
            (
                "META-INF/native-image/org.apache.tomcat.embed/tomcat-embed-websocket/native-image.properties",
                props,
            ),
        ]);
        let without = jar(&[("META-INF/MANIFEST.MF", mf)]);
        let want = |g: &str| {
            vec![(
                g.to_string(),
                "tomcat-embed-websocket".to_string(),
                "9.0.65".to_string(),
            )]
        };
        assert_eq!(coordinates(&with, "x.jar"), want("org.apache.tomcat.embed"));
        assert_eq!(coordinates(&without, "x.jar"), want("org.apache"));
        // Several folders (a shaded jar): the one whose artifact the file name gives.
        let shaded = jar(&[
            (
                "META-INF/native-image/io.netty/netty-common/native-image.properties",
                props,
            ),
            (
                "META-INF/native-image/org.example/app-core/native-image.properties",
                props,
            ),
        ]);
        assert_eq!(
            coordinates(&shaded, "lib/app-core-2.1.0.jar"),
            vec![("org.example".into(), "app-core".into(), "2.1.0".into())]
        );
        // pom.properties stays first.
        let both = jar(&[
            ("META-INF/maven/org.example/inner/pom.properties", &pom("inner")),
            (
                "META-INF/native-image/other.group/inner/native-image.properties",
                props,
            ),
        ]);
        assert_eq!(coordinates(&both, "inner.jar")[0].0, "org.example");
    }

    /// A small jar of jars cannot make the reader spend more than its budget: what is read
    /// before it runs out is kept, and the archive says it was cut short.
    #[test]
    fn nested_archives_stop_at_the_budget_and_say_so() {
        let padding = vec![0u8; 600 << 10];
        let inner = jar(&[
            ("META-INF/maven/org.example/inner/pom.properties", &pom("inner")),
            ("data.bin", &padding),
        ]);
        let outer = jar(&[
            ("META-INF/maven/org.example/outer/pom.properties", &pom("outer")),
            ("lib/a.jar", &inner),
            ("lib/b.jar", &inner),
            ("lib/c.jar", &inner),
        ]);
        // Deflated, each inner jar is small in the outer one, but expands to its full size.
        assert!(outer.len() < 64 << 10, "{}", outer.len());
        let mut budget = Budget::new(inner.len() as u64 * 2, 1000);
        let mut out = Vec::new();
        read_archive(&outer, "app.jar", "", 0, &mut budget, &mut out).unwrap();
        let names: Vec<(&str, &str)> = out
            .iter()
            .map(|a| (a.artifact.as_str(), a.inner.as_str()))
            .collect();
        assert_eq!(
            names,
            [("outer", ""), ("inner", "!/lib/a.jar"), ("inner", "!/lib/b.jar")]
        );
        assert!(budget.exhausted.as_deref().unwrap().contains("expand past"));

        let mut few = Budget::new(1 << 30, 3);
        let mut out = Vec::new();
        read_archive(&outer, "app.jar", "", 0, &mut few, &mut out).unwrap();
        assert!(
            few.exhausted.as_deref().unwrap().contains("entries"),
            "{:?}",
            few.exhausted
        );

        // With the default budget everything is read.
        let mut all = Budget::default();
        let mut out = Vec::new();
        read_archive(&outer, "app.jar", "", 0, &mut all, &mut out).unwrap();
        assert_eq!(out.len(), 4);
        assert!(all.exhausted.is_none());
    }

    /// Archives nested in each other are read as they stream by, never held: a chain of 20 MiB
    /// archives, stored, is read whole, and what the probe held is given back to the pool. An
    /// archive held for its central directory takes its size from the pool; without room, it
    /// streams.
    #[test]
    fn a_chain_of_nested_archives_is_read_without_holding_it() {
        let stored = |entries: &[(&str, &[u8])]| jar_of(entries, zip::CompressionMethod::Stored);
        let bulk = vec![0u8; 20 << 20];
        let inner = stored(&[
            ("META-INF/maven/org.example/inner/pom.properties", &pom("inner")),
            ("bulk.bin", &bulk),
        ]);
        let middle = stored(&[
            ("META-INF/maven/org.example/middle/pom.properties", &pom("middle")),
            ("lib/inner-1.0.jar", &inner),
        ]);
        let outer = jar(&[("lib/middle-1.0.jar", &middle)]);
        assert!(outer.len() < 1 << 20);
        for pool_size in [64 << 20, 1 << 10] {
            let pool = drydock_source::Pool::new(pool_size);
            let found = probe_archive("app.jar", outer.len() as u64, &mut &outer[..], &pool).unwrap();
            let names: Vec<(&str, &str)> = found
                .artifacts
                .iter()
                .map(|a| (a.artifact.as_str(), a.inner.as_str()))
                .collect();
            assert_eq!(
                names,
                [
                    ("middle", "!/lib/middle-1.0.jar"),
                    ("inner", "!/lib/middle-1.0.jar!/lib/inner-1.0.jar")
                ],
                "pool of {pool_size}"
            );
            assert_eq!(found.incomplete, None);
            assert_eq!(pool.left(), pool_size);
        }
    }

    /// One archive of tiny Maven descriptors keeps one more than the image may list, so the
    /// image's limit says what is missing, and no more: each would become a package.
    #[test]
    fn maven_descriptors_stop_one_past_the_image_limit() {
        let poms: Vec<(String, Vec<u8>)> = (0..MAX_ARTIFACTS + 5)
            .map(|i| {
                (
                    format!("META-INF/maven/g{i}/a{i}/pom.properties"),
                    format!("groupId=g{i}\nartifactId=a{i}\nversion=1.{i}\n").into_bytes(),
                )
            })
            .collect();
        let entries: Vec<(&str, &[u8])> = poms.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let archive = jar(&entries);
        let pool = drydock_source::Pool::new(1 << 30);
        let found = probe_archive("app.jar", archive.len() as u64, &mut &archive[..], &pool).unwrap();
        assert_eq!(found.artifacts.len() as u64, MAX_ARTIFACTS);
    }
}
