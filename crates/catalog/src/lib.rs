//! Package detectors for drydock, and the inventory they produce.
//!
//! Each ecosystem is one file implementing [`Detector`]: it names the image paths it needs
//! (so the layer walker keeps just those bytes) and turns them into [`Package`]s that know the
//! layer that installed them and the files they own. [`os`] identifies the distribution first,
//! because OS package URLs and later matching depend on it.
//!
//! The rpm database readers (BerkeleyDB hash, ndb, sqlite header blobs) are drydock's own: no
//! maintained crate reads rpmdb header blobs (see `rpm/header.rs`). So is the reader of Java
//! archives as they stream by (`zip_stream.rs`): the zip crate's refuses entries whose sizes
//! follow their data, which most jars have.
//!
//! ```no_run
//! # fn demo(fs: &drydock_source::Filesystem) -> Result<(), drydock_catalog::Error> {
//! let inventory = drydock_catalog::catalog(fs)?;
//! for p in &inventory.packages {
//!     println!("{} {} ({})", p.name, p.version, p.purl);
//! }
//! # Ok(()) }
//! ```

pub mod apk;
mod attribution;
pub mod binaries;
pub mod composer;
mod detector;
pub mod dpkg;
pub mod gem;
pub mod java;
mod json_scan;
pub mod model;
pub mod npm;
pub mod os;
pub mod probe;
pub mod python;
pub mod rpm;
pub mod sources;
mod zip_stream;

pub use detector::{
    Context, Detector, Found, MAX_DATABASE_PACKAGES, MAX_DEPENDS, MAX_IMAGE_PACKAGES, paragraphs, purl,
};
pub use model::{
    BaseConfidence, BaseEvidence, BaseImage, Confidence, Distro, DockerfileLocation, IntroducedBy, Inventory,
    Package, PackageSource, PackageType, Unscanned, UnscannedKind,
};

use drydock_source::{Filesystem, ImagePath, Wants};

/// Why cataloguing an image failed outright (rather than with a warning).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OS package database that cannot be read: its packages would be missed.
    #[error("{path}: malformed package database: {source}")]
    Database {
        /// The database, as an absolute image path.
        path: String,
        /// What is wrong with it.
        source: rpm::DbError,
    },
    /// An OS package database listing more packages than any real system installs: each costs
    /// memory, so a crafted one could list millions.
    #[error("{path}: lists more than {max} packages; drydock stops rather than hold them all")]
    TooManyPackages {
        /// The database, as an absolute image path.
        path: String,
        /// The limit.
        max: usize,
    },
    /// OS packages that hold more memory than the read left of its budget.
    #[error(
        "the {detector} packages take more than the {left} bytes the read budget leaves; drydock stops rather than hold them all (--read-budget raises it)"
    )]
    PastBudget {
        /// The detector (`dpkg`, `rpm`).
        detector: &'static str,
        /// What the read left for them.
        left: u64,
    },
    /// An OS database's file lists, past what the read left of its budget as they were read.
    #[error(
        "{path}: the file lists of its packages take more than the {left} bytes the read budget leaves; drydock stops rather than hold them all (--read-budget raises it)"
    )]
    FileListsPastBudget {
        /// The database, as an absolute image path.
        path: String,
        /// What the read left for the packages.
        left: u64,
    },
    /// An OS package database past the size drydock reads.
    #[error("{path}: package database not read ({size} bytes): {why}")]
    TooLarge {
        /// The database, as an absolute image path.
        path: String,
        /// Its size in bytes.
        size: u64,
        /// Which limit it passed.
        why: String,
    },
}

/// Why a language package manager's manifest (`installed.json`, `package-lock.json`) was not
/// read: its packages are left out with a warning naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// JSON without the list of packages the format has.
    #[error("no package list")]
    NoPackageList,
}

/// Every registered detector, OS package managers first.
pub fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(dpkg::Dpkg),
        Box::new(apk::Apk),
        Box::new(rpm::Rpm),
        Box::new(python::Python),
        Box::new(npm::Npm),
        Box::new(binaries::Binaries),
        Box::new(java::Java),
        Box::new(gem::Gem),
        Box::new(composer::Composer),
    ]
}

/// The files the OS probe and every detector need from the image.
pub fn wants() -> Wants {
    let mut wants = Wants::new();
    for f in os::OS_FILES.iter().chain(sources::FILES) {
        wants.add(f);
    }
    for d in detectors() {
        for p in d.patterns() {
            wants.add(p);
        }
        let (databases, cap) = d.os_databases();
        for p in databases {
            wants.add_capped(p, cap, true);
        }
        for p in d.recorded() {
            wants.record(p);
        }
    }
    wants.probe = Some(std::sync::Arc::new(binaries::FileProbe));
    wants
}

/// Bumped when the ELF probe's summaries or the layer pass change what they record.
/// 2: Java archive facts say when a budget cut the reading short.
/// 3: Java archive groups from `META-INF/native-image/`.
/// 4: compact scans record only what the detectors name.
const EXTRACTION_EPOCH: u32 = 4;

/// The layer cache's analyzer version: it changes whenever what a layer pass extracts could
/// change (the wanted files, the probe, drydock's version), so stale entries are never read.
/// Detectors run on the merged result afterwards, so their own changes need no new version.
pub fn analyzer_version() -> String {
    analyzer_version_of(&wants())
}

/// [`analyzer_version`] for a scan that wants more than the catalog (an audit's listings and
/// content checks): a layer read for one never answers for the other.
pub fn analyzer_version_of(wants: &Wants) -> String {
    let text = format!(
        "{EXTRACTION_EPOCH}|{}|{}",
        env!("CARGO_PKG_VERSION"),
        wants.fingerprint()
    );
    drydock_source::digest::sha256_hex(text.as_bytes())
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect()
}

/// Runs the OS probe and every detector over a merged filesystem.
pub fn catalog(fs: &Filesystem) -> Result<Inventory, Error> {
    catalog_with_env(fs, &[])
}

/// As [`catalog`], with the image config's environment (`NODE_VERSION=…`), which names the
/// version of runtimes official images install by hand.
pub fn catalog_with_env(fs: &Filesystem, env: &[String]) -> Result<Inventory, Error> {
    let mut skipped = Vec::new();
    for s in fs.skipped() {
        if s.os_database {
            return Err(Error::TooLarge {
                path: ImagePath::new(&s.path).absolute(),
                size: s.size,
                why: s.why.clone(),
            });
        }
        skipped.push(format!(
            "{} ({} bytes) was not read: {}",
            ImagePath::new(&s.path),
            s.size,
            s.why
        ));
    }
    let distro = os::detect(fs);
    let mut cx = Context {
        fs,
        distro: distro.as_ref(),
        env,
        listed: 0,
        held: 0,
        allowance: fs.pool_left().unwrap_or(u64::MAX),
    };
    let mut inventory = Inventory {
        distro: distro.clone(),
        ..Default::default()
    };
    let mut databases = Vec::new();
    for d in detectors() {
        let mut found = d.detect(&cx)?;
        found.charge();
        let left = cx.allowance.saturating_sub(cx.held);
        cx.held += found.held;
        if found.held > left && !d.os_databases().0.is_empty() {
            return Err(Error::PastBudget {
                detector: d.name(),
                left,
            });
        }
        cx.listed += found.packages.len();
        if inventory.packages.is_empty() {
            inventory.packages = found.packages;
        } else {
            inventory.packages.extend(found.packages);
        }
        inventory.warnings.extend(found.warnings);
        databases.extend(found.databases);
    }
    match &distro {
        None => inventory.warnings.push(
            "no OS identified: no /etc/os-release, /usr/lib/os-release or distribution release file"
                .to_string(),
        ),
        Some(d) if drydock_ecosystem::distribution(&d.id).is_none() => inventory.warnings.push(format!(
            "OS {:?} ({}) is not one drydock knows; OS packages may be missed and will not be matched",
            d.id, d.source
        )),
        _ => {}
    }
    if databases.is_empty() {
        inventory
            .warnings
            .push("no OS package database found (looked for dpkg, apk and rpm databases)".to_string());
    }
    let (package_sources, too_many) = sources::read(fs);
    inventory.package_sources = package_sources;
    inventory.warnings.extend(too_many);
    inventory.warnings.extend(skipped);
    mark_owners(fs, &mut inventory.packages);
    inventory.unscanned = unscanned(fs, &inventory.packages);
    inventory.packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.arch).cmp(&(b.ecosystem, &b.name, &b.version, &b.arch))
    });
    Ok(inventory)
}

/// ELF executables and shared libraries that no package database and no detector accounts
/// for: a scanner must say what it could not see.
fn unscanned(fs: &Filesystem, packages: &[Package]) -> Vec<model::Unscanned> {
    let mut accounted: std::collections::HashSet<String> = std::collections::HashSet::new();
    for p in packages {
        for f in &p.files {
            accounted.insert(fs.resolve(ImagePath::new(f).relative()));
        }
    }
    // Native parts of Python and npm packages live in their package directories.
    let language_roots: Vec<String> = packages
        .iter()
        .filter(|p| matches!(p.ecosystem, PackageType::Pypi | PackageType::Npm))
        .filter_map(|p| p.locations.first())
        .filter_map(|l| {
            let l = ImagePath::new(l).relative();
            l.rfind("/site-packages/")
                .map(|i| l[..i + "/site-packages/".len()].to_string())
                .or_else(|| {
                    l.rfind("/dist-packages/")
                        .map(|i| l[..i + "/dist-packages/".len()].to_string())
                })
                .or_else(|| {
                    l.rfind("/node_modules/")
                        .map(|i| l[..i + "/node_modules/".len()].to_string())
                })
        })
        .collect();
    let mut out: Vec<model::Unscanned> = fs
        .probes()
        .filter(|(path, _, _)| {
            !accounted.contains(*path) && !language_roots.iter().any(|r| path.starts_with(r.as_str()))
        })
        .map(|(path, layer, summary)| {
            let facts = probe::elf_facts(summary).unwrap_or_default();
            let library = path.contains(".so") && facts.elf_type == 3;
            model::Unscanned {
                path: ImagePath::new(path).absolute(),
                layer,
                kind: if library {
                    model::UnscannedKind::SharedLibrary
                } else {
                    model::UnscannedKind::Executable
                },
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A language package whose metadata an OS package installed belongs to that OS package.
/// Paths are compared as listed and as resolved in the image (a package may list `/bin/x`
/// where merged `/usr` puts it at `/usr/bin/x`). A runtime recognised inside a binary that an OS
/// package installed is that OS package, so it is not reported a second time.
fn mark_owners(fs: &Filesystem, packages: &mut Vec<Package>) {
    let mut owners: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for p in packages.iter() {
        if p.ecosystem.is_os() {
            for f in &p.files {
                let owner = format!("{}:{}", p.ecosystem.as_str(), p.name);
                let real = ImagePath::new(&fs.resolve(ImagePath::new(f).relative())).absolute();
                if real != *f {
                    owners.insert(real, owner.clone());
                }
                owners.insert(f.clone(), owner);
            }
        }
    }
    let owned: Vec<Option<String>> = packages
        .iter()
        .map(|p| {
            if p.ecosystem.is_os() {
                return None;
            }
            p.locations.iter().find_map(|loc| {
                owners.get(loc.as_str()).cloned().or_else(|| {
                    ["/METADATA", "/PKG-INFO", "/package.json"]
                        .iter()
                        .find_map(|f| owners.get(format!("{loc}{f}").as_str()).cloned())
                })
            })
        })
        .collect();
    for (p, o) in packages.iter_mut().zip(owned) {
        p.owner = o;
    }
    packages.retain(|p| !(p.ecosystem == PackageType::Generic && p.owner.is_some()));
}
