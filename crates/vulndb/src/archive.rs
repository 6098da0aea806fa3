//! Distribution archive indexes: which version of each binary package a suite publishes today.
//!
//! A finding is fixed by a plain rebuild when the fixed version is already in the archive the
//! image installs from; only the archive's own indexes can say so. Debian and Ubuntu publish a
//! `Release` file per suite (`bookworm`, `bookworm-security`, `jammy-updates`, …) naming its
//! date and a `Packages` index per component and architecture; Alpine publishes one
//! `APKINDEX.tar.gz` per branch, repository and architecture. Each import records the date the
//! index describes, so a result can be reproduced.
//!
//! Indexes are kept per *part* (one `Packages` file or one `APKINDEX`): re-importing a part
//! replaces what it held and leaves the suite's other parts alone.

use crate::Malformation;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use drydock_version::Scheme;
use serde::{Deserialize, Serialize};

use crate::Error;

/// What one imported index part describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// `debian`, `ubuntu`, `alpine`.
    pub distro: String,
    /// The name the image's package sources use: `bookworm-security`, `jammy-updates`,
    /// `v3.19/main`.
    pub suite: String,
    /// `main/binary-amd64`, `x86_64`.
    pub part: String,
    /// The release's version where the index gives one (`12`, `12.15`, `22.04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the archive published this index (RFC 3339), from `Release`'s `Date` or the
    /// APKINDEX's own timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Where it was read from: a path or URL.
    pub origin: String,
    /// When drydock read it (RFC 3339).
    pub imported_at: String,
    /// Binary packages it lists.
    pub packages: u64,
    /// The HTTP validator of the download, for a conditional update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// One parsed index part: binary package name → newest version in it (see [`Published`]).
#[derive(Debug, Clone)]
pub struct IndexPart {
    /// Which suite part it is.
    pub info: SuiteInfo,
    /// Binary package name → [`Published`], encoded.
    pub packages: BTreeMap<String, String>,
}

/// The fields of a Debian `Release`/`InRelease` file that matter here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Release {
    /// `Origin` (`Debian`).
    pub origin: Option<String>,
    /// `Suite` (`stable`).
    pub suite: Option<String>,
    /// `Codename` (`bookworm`).
    pub codename: Option<String>,
    /// `Version` (`12.5`).
    pub version: Option<String>,
    /// `Date`, as written.
    pub date: Option<String>,
    /// `Components` (`main contrib`).
    pub components: Vec<String>,
    /// `Architectures`.
    pub architectures: Vec<String>,
}

impl Release {
    /// `debian` or `ubuntu`, from `Origin`.
    pub fn distro(&self) -> Option<String> {
        let origin = self.origin.as_deref()?.to_ascii_lowercase();
        ["debian", "ubuntu"]
            .into_iter()
            .find(|d| origin.split_whitespace().next() == Some(*d))
            .map(str::to_string)
    }
}

/// Parses a `Release` file, or the clear-signed `InRelease` around one.
pub fn parse_release(text: &str) -> Result<Release, Malformation> {
    let mut release = Release::default();
    let mut in_body = !text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----");
    let mut seen_header = false;
    for line in text.lines() {
        if !in_body {
            // Armor headers (`Hash: SHA512`) end at the first blank line.
            if line.is_empty() {
                in_body = true;
            }
            continue;
        }
        if line.starts_with("-----BEGIN PGP SIGNATURE-----") {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        seen_header = true;
        match key {
            "Origin" => release.origin = Some(value),
            "Suite" => release.suite = Some(value),
            "Codename" => release.codename = Some(value),
            "Version" => release.version = Some(value),
            "Date" => release.date = rfc2822_to_rfc3339(&value),
            "Components" => release.components = value.split_whitespace().map(str::to_string).collect(),
            "Architectures" => release.architectures = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    if !seen_header || (release.suite.is_none() && release.codename.is_none()) {
        return Err(Malformation::NotRelease);
    }
    Ok(release)
}

fn rfc2822_to_rfc3339(value: &str) -> Option<String> {
    // Release files write `UTC`, which RFC 2822 parsers may refuse; it means +0000.
    let normalized = value.replace(" UTC", " +0000");
    let zoned = jiff::fmt::rfc2822::parse(&normalized).ok()?;
    Some(zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Reads a `Packages` index into name → newest version (an index can list a name once per
/// architecture; `all` and `amd64` builds of one source agree, but nothing promises it).
pub fn parse_packages(text: &str, into: &mut BTreeMap<String, String>) -> Result<usize, Malformation> {
    let mut count = 0;
    for (n, stanza) in text.split("\n\n").enumerate() {
        let mut name = None;
        let mut version = None;
        let mut source_version = None;
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Source:") {
                // `Source: openssl (3.0.15-1~deb12u1)` when the binary's version differs.
                source_version = v
                    .split_once('(')
                    .and_then(|(_, rest)| rest.split_once(')'))
                    .map(|(v, _)| v.trim());
            }
        }
        match (name, version) {
            (Some(name), Some(version)) if !name.is_empty() && !version.is_empty() => {
                let value = match source_version {
                    Some(sv) if sv != version => format!("{version}\t{sv}"),
                    _ => version.to_string(),
                };
                keep_newest(into, name, &value, Scheme::Dpkg);
                count += 1;
            }
            (None, None) if stanza.trim().is_empty() => {}
            _ => return Err(Malformation::Stanza(n + 1)),
        }
    }
    Ok(count)
}

/// A published binary package: its version, and its source package's when that differs
/// (stored as `VERSION` or `VERSION\tSOURCE_VERSION`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The binary package's version.
    pub version: String,
    /// Its source package's version (the same when not given apart).
    pub source_version: String,
}

impl Published {
    /// Reads the stored form.
    pub fn decode(value: &str) -> Published {
        match value.split_once('\t') {
            Some((v, sv)) => Published {
                version: v.to_string(),
                source_version: sv.to_string(),
            },
            None => Published {
                version: value.to_string(),
                source_version: value.to_string(),
            },
        }
    }
}

fn keep_newest(into: &mut BTreeMap<String, String>, name: &str, value: &str, scheme: Scheme) {
    let version = |v: &str| v.split('\t').next().unwrap_or(v).to_string();
    match into.get(name) {
        Some(old)
            if scheme
                .compare(&version(old), &version(value))
                .is_ok_and(|o| o.is_ge()) => {}
        _ => {
            into.insert(name.to_string(), value.to_string());
        }
    }
}

/// Largest index accepted after decompression (Debian's biggest `Packages` is under 100 MB).
const MAX_INDEX: u64 = 512 << 20;

/// The text of an index, decompressed by its name (`.xz`, `.gz`) or its magic bytes.
pub fn decompress(name: &str, bytes: &[u8]) -> Result<Vec<u8>, Malformation> {
    decompress_within(name, bytes, MAX_INDEX)
}

/// [`decompress`], refusing more than `max` bytes of output.
fn decompress_within(name: &str, bytes: &[u8], max: u64) -> Result<Vec<u8>, Malformation> {
    let mut out = Vec::new();
    let result = if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) || name.ends_with(".xz") {
        lzma_rust2::XzReader::new(bytes, true)
            .take(max + 1)
            .read_to_end(&mut out)
    } else if bytes.starts_with(&[0x1f, 0x8b]) || name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(bytes)
            .take(max + 1)
            .read_to_end(&mut out)
    } else {
        return Ok(bytes.to_vec());
    };
    result.map_err(Malformation::Decompress)?;
    if out.len() as u64 > max {
        return Err(Malformation::DecompressedTooLarge { mib: max >> 20 });
    }
    Ok(out)
}

/// Reads an Alpine `APKINDEX.tar.gz` into name → newest version, with the index's date (the
/// `APKINDEX` member's modification time).
pub fn parse_apkindex(bytes: &[u8]) -> Result<(BTreeMap<String, String>, Option<String>), Malformation> {
    let text = decompress("APKINDEX.tar.gz", bytes)?;
    let mut archive = tar::Archive::new(text.as_slice());
    let entries = archive.entries().map_err(Malformation::NotTar)?;
    for entry in entries {
        let mut entry = entry.map_err(Malformation::CorruptTar)?;
        let path = entry.path().map_err(Malformation::CorruptTar)?.into_owned();
        if path != Path::new("APKINDEX") {
            continue;
        }
        let date = entry
            .header()
            .mtime()
            .ok()
            .and_then(|t| jiff::Timestamp::from_second(t as i64).ok())
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
        let mut index = String::new();
        entry
            .read_to_string(&mut index)
            .map_err(Malformation::ApkIndexText)?;
        let mut packages = BTreeMap::new();
        for (n, stanza) in index.split("\n\n").enumerate() {
            let mut name = None;
            let mut version = None;
            for line in stanza.lines() {
                if let Some(v) = line.strip_prefix("P:") {
                    name = Some(v);
                } else if let Some(v) = line.strip_prefix("V:") {
                    version = Some(v);
                }
            }
            match (name, version) {
                (Some(name), Some(version)) => keep_newest(&mut packages, name, version, Scheme::Apk),
                (None, None) if stanza.trim().is_empty() => {}
                _ => return Err(Malformation::ApkIndexEntry(n + 1)),
            }
        }
        return Ok((packages, date));
    }
    Err(Malformation::NoApkIndex)
}

/// Does this file look like an archive index `db import` should read as one?
pub fn is_archive_index(path: &Path, head: &[u8]) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name == "APKINDEX.tar.gz"
        || name.starts_with("Packages")
        || ((name == "Release" || name == "InRelease")
            && (head.starts_with(b"Origin:")
                || head.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----")
                || head.windows(6).any(|w| w == b"Suite:")))
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn read_capped(path: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_INDEX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_INDEX {
        return Err(malformed(
            path,
            Malformation::IndexTooLarge { mib: MAX_INDEX >> 20 },
        ));
    }
    Ok(bytes)
}

fn malformed(path: &Path, problem: Malformation) -> Error {
    Error::Malformed {
        what: path.display().to_string(),
        problem,
    }
}

/// The suite a `Release` describes, by the name sources lists use: Debian writes the codename
/// (`bookworm-security`) in `Codename`, Ubuntu writes it (`jammy-security`) in `Suite`.
fn suite_name(release: &Release) -> String {
    match (&release.codename, &release.suite) {
        (Some(c), Some(s)) if s.starts_with(c.as_str()) => s.clone(),
        (Some(c), _) => c.clone(),
        (None, Some(s)) => s.clone(),
        (None, None) => String::new(),
    }
}

/// Reads the index parts a local file stands for: a `Release`/`InRelease` with the `Packages`
/// files of its layout beside it (`COMPONENT/binary-ARCH/Packages{.xz,.gz,}`), one `Packages`
/// file inside `dists/SUITE/` (the suite's `Release` two folders up names it), or an Alpine
/// `APKINDEX.tar.gz` inside `BRANCH/REPOSITORY/ARCH/`.
pub fn read_local(path: &Path) -> Result<Vec<IndexPart>, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let origin = path.display().to_string();
    if name == "APKINDEX.tar.gz" {
        let bytes = read_capped(path)?;
        let (packages, date) = parse_apkindex(&bytes).map_err(|d| malformed(path, d))?;
        let parts: Vec<String> = path
            .ancestors()
            .skip(1)
            .take(3)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let [arch, repo, branch] = parts.as_slice() else {
            return Err(malformed(path, Malformation::ApkIndexPlace));
        };
        return Ok(vec![IndexPart {
            info: SuiteInfo {
                distro: "alpine".into(),
                suite: format!("{branch}/{repo}"),
                part: arch.clone(),
                version: branch.strip_prefix('v').map(str::to_string),
                date,
                origin,
                imported_at: now(),
                packages: packages.len() as u64,
                etag: None,
            },
            packages,
        }]);
    }
    if name.starts_with("Packages") {
        // dists/SUITE/COMPONENT/binary-ARCH/Packages.xz
        let binary_dir = path
            .parent()
            .ok_or_else(|| malformed(path, Malformation::PackagesPlace))?;
        let component_dir = binary_dir
            .parent()
            .ok_or_else(|| malformed(path, Malformation::PackagesPlace))?;
        let suite_dir = component_dir
            .parent()
            .ok_or_else(|| malformed(path, Malformation::PackagesPlace))?;
        let release =
            read_release_in(suite_dir).ok_or_else(|| malformed(path, Malformation::NoRelease))??;
        let part = format!(
            "{}/{}",
            component_dir.file_name().unwrap_or_default().to_string_lossy(),
            binary_dir.file_name().unwrap_or_default().to_string_lossy()
        );
        return Ok(vec![packages_part(&release, path, &part)?]);
    }
    let bytes = read_capped(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let release = parse_release(&text).map_err(|d| malformed(path, d))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut parts = Vec::new();
    for component in &release.components {
        // Ubuntu and Debian name components `updates/main` in some suites; the folder is the
        // component's last segment relative to the suite.
        for arch in release.architectures.iter().map(String::as_str).chain(["all"]) {
            let folder = dir.join(component).join(format!("binary-{arch}"));
            if let Some(file) = ["Packages.xz", "Packages.gz", "Packages"]
                .iter()
                .map(|n| folder.join(n))
                .find(|p| p.is_file())
            {
                parts.push(packages_part(
                    &release,
                    &file,
                    &format!("{component}/binary-{arch}"),
                )?);
            }
        }
    }
    if parts.is_empty() {
        return Err(malformed(path, Malformation::NoPackagesIndex));
    }
    Ok(parts)
}

fn read_release_in(dir: &Path) -> Option<Result<Release, Error>> {
    let file = ["InRelease", "Release"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())?;
    Some(
        read_capped(&file)
            .and_then(|b| parse_release(&String::from_utf8_lossy(&b)).map_err(|d| malformed(&file, d))),
    )
}

fn packages_part(release: &Release, file: &Path, part: &str) -> Result<IndexPart, Error> {
    let bytes = read_capped(file)?;
    let name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    packages_from_bytes(release, &name, &bytes, part, &file.display().to_string(), None)
        .map_err(|d| malformed(file, d))
}

/// One `Packages` index of a suite, from its (possibly compressed) bytes.
pub fn packages_from_bytes(
    release: &Release,
    file_name: &str,
    bytes: &[u8],
    part: &str,
    origin: &str,
    etag: Option<String>,
) -> Result<IndexPart, Malformation> {
    let distro = release
        .distro()
        .ok_or_else(|| Malformation::Origin(release.origin.clone()))?;
    let text = decompress(file_name, bytes)?;
    let mut packages = BTreeMap::new();
    parse_packages(&String::from_utf8_lossy(&text), &mut packages)?;
    Ok(IndexPart {
        info: SuiteInfo {
            distro,
            suite: suite_name(release),
            part: part.to_string(),
            version: release.version.clone(),
            date: release.date.clone(),
            origin: origin.to_string(),
            imported_at: now(),
            packages: packages.len() as u64,
            etag,
        },
        packages,
    })
}

/// Suites fetched for a release: the release itself, its updates and its security pocket.
pub fn suites_for(distro: &str, version: &str) -> Result<Vec<String>, Error> {
    let codename = codename(distro, version).ok_or_else(|| Error::UnknownRelease {
        release: format!("{distro}:{version}"),
        known: known_releases(),
    })?;
    Ok(match distro {
        "alpine" => vec![format!("{codename}/main"), format!("{codename}/community")],
        _ => vec![
            codename.to_string(),
            format!("{codename}-updates"),
            format!("{codename}-security"),
        ],
    })
}

const DEBIAN: &[(&str, &str)] = &[
    ("10", "buster"),
    ("11", "bullseye"),
    ("12", "bookworm"),
    ("13", "trixie"),
    ("14", "forky"),
];
const UBUNTU: &[(&str, &str)] = &[
    ("18.04", "bionic"),
    ("20.04", "focal"),
    ("22.04", "jammy"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
    ("25.10", "questing"),
    ("26.04", "resolute"),
];

fn codename(distro: &str, version: &str) -> Option<String> {
    match distro {
        "debian" => DEBIAN
            .iter()
            .find(|(v, c)| *v == version.split('.').next().unwrap_or(version) || *c == version)
            .map(|(_, c)| c.to_string()),
        "ubuntu" => UBUNTU
            .iter()
            .find(|(v, c)| *v == version || *c == version)
            .map(|(_, c)| c.to_string()),
        "alpine" => {
            let mut parts = version.trim_start_matches('v').split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok())
                .then(|| format!("v{major}.{minor}"))
        }
        _ => None,
    }
}

fn known_releases() -> String {
    DEBIAN
        .iter()
        .map(|(v, _)| format!("debian:{v}"))
        .chain(UBUNTU.iter().map(|(v, _)| format!("ubuntu:{v}")))
        .chain(["alpine:3.N".to_string()])
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Debian architecture name of an image platform, and Alpine's.
pub fn arch_names(platform_arch: &str) -> (&'static str, &'static str) {
    match platform_arch {
        "arm64" | "aarch64" => ("arm64", "aarch64"),
        "arm" => ("armhf", "armv7"),
        "386" | "i386" => ("i386", "x86"),
        "ppc64le" => ("ppc64el", "ppc64le"),
        "s390x" => ("s390x", "s390x"),
        "riscv64" => ("riscv64", "riscv64"),
        _ => ("amd64", "x86_64"),
    }
}

/// The HTTP agent archive downloads use: statuses are answers, not errors (304 matters).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .build()
        .into()
}

/// What `db update --distro` fetches: one suite of one release from one mirror.
pub struct Fetch {
    /// `debian`, `ubuntu` or `alpine`.
    pub distro: String,
    /// `bookworm-security`, `v3.19`, …
    pub suite: String,
    /// The base URL it is fetched from.
    pub mirror: String,
}

/// Downloads the indexes of `fetch` for `arch` (`components` for Debian and Ubuntu), with
/// conditional requests against what the store holds.
pub fn download(
    agent: &ureq::Agent,
    fetch: &Fetch,
    arch: &str,
    components: &[String],
    store: &crate::Store,
) -> Result<Vec<Option<IndexPart>>, Error> {
    let (deb_arch, apk_arch) = arch_names(arch);
    let base = fetch.mirror.trim_end_matches('/');
    let mut out = Vec::new();
    if fetch.distro == "alpine" {
        let url = format!("{base}/{}/{apk_arch}/APKINDEX.tar.gz", fetch.suite);
        let previous = store.archive_part("alpine", &fetch.suite, apk_arch)?;
        match get(agent, &url, previous.as_ref())? {
            None => out.push(None),
            Some((bytes, etag)) => {
                let (packages, date) = parse_apkindex(&bytes).map_err(|problem| Error::Malformed {
                    what: url.clone(),
                    problem,
                })?;
                out.push(Some(IndexPart {
                    info: SuiteInfo {
                        distro: "alpine".into(),
                        suite: fetch.suite.clone(),
                        part: apk_arch.to_string(),
                        version: fetch
                            .suite
                            .split('/')
                            .next()
                            .map(|b| b.trim_start_matches('v').to_string()),
                        date,
                        origin: url,
                        imported_at: now(),
                        packages: packages.len() as u64,
                        etag,
                    },
                    packages,
                }));
            }
        }
        return Ok(out);
    }
    let release_url = format!("{base}/dists/{}/Release", fetch.suite);
    let (release_bytes, _) = get(agent, &release_url, None)?.unwrap_or_default();
    let release =
        parse_release(&String::from_utf8_lossy(&release_bytes)).map_err(|problem| Error::Malformed {
            what: release_url.clone(),
            problem,
        })?;
    for component in components {
        let part = format!("{component}/binary-{deb_arch}");
        let previous = store.archive_part(&fetch.distro, &suite_name(&release), &part)?;
        // Archives publish xz; small mirrors and local copies may hold only gzip or plain.
        let mut fetched = None;
        for name in ["Packages.xz", "Packages.gz", "Packages"] {
            let url = format!("{base}/dists/{}/{part}/{name}", fetch.suite);
            match get(agent, &url, previous.as_ref()) {
                Err(Error::Download { detail, .. }) if detail == "HTTP 404" && name != "Packages" => continue,
                result => {
                    fetched = Some((name, url, result?));
                    break;
                }
            }
        }
        match fetched {
            Some((_, _, None)) => out.push(None),
            Some((name, url, Some((bytes, etag)))) => out.push(Some(
                packages_from_bytes(&release, name, &bytes, &part, &url, etag).map_err(|problem| {
                    Error::Malformed {
                        what: url.clone(),
                        problem,
                    }
                })?,
            )),
            None => {
                return Err(Error::Download {
                    url: format!("{base}/dists/{}/{part}/", fetch.suite),
                    detail: "no Packages index".into(),
                });
            }
        }
    }
    Ok(out)
}

/// A downloaded index and its ETag.
type Body = (Vec<u8>, Option<String>);

/// `None` when the server answers 304 Not Modified.
fn get(agent: &ureq::Agent, url: &str, previous: Option<&SuiteInfo>) -> Result<Option<Body>, Error> {
    let validators = crate::download::Validators {
        etag: previous.and_then(|p| p.etag.as_deref()),
        last_modified: None,
    };
    match crate::download::fetch(agent, url, validators, &|_| {})? {
        crate::download::Fetched::NotModified => Ok(None),
        crate::download::Fetched::Body { bytes, etag, .. } => Ok(Some((bytes, etag))),
    }
}

/// One line saying what a part holds, for messages.
pub fn describe(part: &IndexPart) -> String {
    format!(
        "{}:{} {} ({} packages{})",
        part.info.distro,
        part.info.suite,
        part.info.part,
        part.info.packages,
        part.info
            .date
            .as_deref()
            .map(|d| format!(", published {d}"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    /// The magic bytes decide as much as the name: a mirror may serve `Packages` compressed.
    #[test]
    fn indexes_are_decompressed_by_name_or_magic() {
        let text = b"Package: a\nVersion: 1\n";
        for (name, bytes) in [
            ("Packages.xz", xz(text)),
            ("Packages", xz(text)),
            ("Packages.gz", gz(text)),
            ("Packages", gz(text)),
            ("Packages", text.to_vec()),
        ] {
            assert_eq!(decompress(name, &bytes).unwrap(), text, "{name}");
        }
        assert!(decompress("Packages.xz", b"not xz").is_err());
    }

    /// Output past the bound is refused, not cut short: a truncated index would silently
    /// lose packages.
    #[test]
    fn decompression_is_bounded() {
        let big = vec![b'x'; 5000];
        for packed in [xz(&big), gz(&big)] {
            assert_eq!(decompress_within("i", &packed, 5000).unwrap().len(), 5000);
            assert!(matches!(
                decompress_within("i", &packed, 4999),
                Err(Malformation::DecompressedTooLarge { mib: 0 })
            ));
        }
    }
}
