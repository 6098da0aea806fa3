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

/// Archives larger than this are reported as not read rather than held in memory.
pub const MAX_ARCHIVE: u64 = 256 << 20;
const MAX_DEPTH: usize = 4;
/// What the archives nested in one file may expand to, all levels together, and how many
/// entries may be looked at: a small jar of jars must not cost gigabytes or minutes.
const MAX_EXPANDED: u64 = 256 << 20;
const MAX_ENTRIES: u64 = 200_000;

/// What reading one archive may still spend.
pub struct Budget {
    bytes: u64,
    entries: u64,
    /// Why reading stopped early, if it did.
    pub exhausted: Option<String>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            bytes: MAX_EXPANDED,
            entries: MAX_ENTRIES,
            exhausted: None,
        }
    }
}

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

/// All artifacts of an archive held in memory.
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
    let mut poms = Vec::new();
    let mut mf = Vec::new();
    let mut nested = Vec::new();
    // `META-INF/native-image/GROUP/ARTIFACT/`: GraalVM's layout names the Maven coordinates,
    // also in jars that ship no pom.properties (Tomcat's embedded jars).
    let mut native: Vec<(String, String)> = Vec::new();
    for i in 0..zip.len() {
        if budget.entries == 0 {
            budget.exhausted = Some(format!("more than {MAX_ENTRIES} entries in nested archives"));
            break;
        }
        budget.entries -= 1;
        let Ok(mut entry) = zip.by_index(i) else { continue };
        let entry_name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if entry_name.starts_with("META-INF/maven/") && entry_name.ends_with("/pom.properties") {
            let mut text = String::new();
            entry.by_ref().take(1 << 20).read_to_string(&mut text).ok();
            let p = properties(&text);
            if let (Some(g), Some(a), Some(v)) =
                (get(&p, "groupId"), get(&p, "artifactId"), get(&p, "version"))
            {
                poms.push(Artifact {
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
                && !native.iter().any(|(ng, na)| ng == g && na == a)
            {
                native.push((g.to_string(), a.to_string()));
            }
        } else if entry_name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            let mut text = String::new();
            entry.by_ref().take(1 << 20).read_to_string(&mut text).ok();
            mf = manifest(&text);
        } else if depth < MAX_DEPTH && is_archive(&entry_name) {
            // The declared size may lie: read no more than the budget allows.
            let cap = budget.bytes.min(MAX_ARCHIVE);
            let mut data = Vec::new();
            match entry.by_ref().take(cap + 1).read_to_end(&mut data) {
                Ok(n) if n as u64 <= cap => {
                    budget.bytes -= n as u64;
                    nested.push((entry_name, data));
                }
                Ok(_) => {
                    budget.exhausted =
                        Some(format!("nested archives expand past {} MiB", MAX_EXPANDED >> 20));
                }
                Err(_) => {}
            }
        }
    }
    if poms.is_empty() {
        // No Maven metadata: the file name (`name-1.2.3.jar`), else the OSGi symbolic name
        // (`org.apache.tomcat-embed-websocket` → group `org.apache`), else the title.
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
    for (entry_name, data) in nested {
        let path = format!("{inner}!/{entry_name}");
        // A nested archive that does not open is skipped, not fatal for its parent.
        let _ = read_archive(&data, &entry_name, &path, depth + 1, budget, out);
    }
    Ok(())
}

/// Reads a Java archive's artifacts, nested archives included, within the budget.
pub fn probe_archive(path: &str, size: u64, reader: &mut dyn Read) -> io::Result<JavaArchive> {
    if size > MAX_ARCHIVE {
        io::copy(reader, &mut io::sink())?;
        return Err(io::Error::other("archive too large to read"));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    reader.read_to_end(&mut bytes)?;
    let mut out = Vec::new();
    let mut budget = Budget::default();
    read_archive(&bytes, path, "", 0, &mut budget, &mut out)?;
    Ok(JavaArchive {
        artifacts: out,
        incomplete: budget.exhausted,
    })
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
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
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
        let mut budget = Budget {
            bytes: inner.len() as u64 * 2,
            entries: 1000,
            exhausted: None,
        };
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

        let mut few = Budget {
            bytes: 1 << 30,
            entries: 3,
            exhausted: None,
        };
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
}
