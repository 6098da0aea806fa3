//! Which installed packages a running container never touched.
//!
//! * [`access`] reads what a trace says was accessed: strace, fatrace, Tetragon and Falco
//!   output, or a list of paths.
//! * [`classify`] maps every accessed file to the package that owns it — dpkg, apk and rpm file
//!   lists, Python `RECORD` files, `node_modules` trees, jars, binaries — with the image's
//!   symlinks followed on both sides (merged `/usr`, `/proc/self/exe`), and calls each package
//!   `used`, `required` (an unused package a used or essential one depends on) or `unused`.
//! * [`removal`] writes the command that removes unused packages, per package manager.
//!
//! A trace shows the paths one run exercised, nothing more: an unused package is a candidate
//! for removal that the user confirms, never a certainty.

pub mod access;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use drydock_catalog::{Package, PackageType};
use serde::Serialize;

pub use access::{Access, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
/// What a traced run made of one installed package.
pub enum State {
    /// A file of the package was accessed.
    Used,
    /// Not accessed, but a used or essential package depends on it, or it is essential.
    Required,
    /// Neither accessed nor needed: a candidate for removal.
    Unused,
}

impl State {
    /// The name the JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Used => "used",
            State::Required => "required",
            State::Unused => "unused",
        }
    }
}

/// What classification reads of the image.
pub struct ImageFiles<'a> {
    /// The inventory's packages.
    pub packages: &'a [Package],
    /// An absolute path's real place in the image, symlinks followed (`/lib/x` → `usr/lib/x`),
    /// without the leading slash.
    pub resolve: &'a dyn Fn(&str) -> String,
    /// Whether a real image path is a regular file.
    pub is_file: &'a dyn Fn(&str) -> bool,
    /// Files a language package installed, as absolute paths, where its inventory entry does
    /// not list them (Python's `RECORD`), by index into `packages`.
    pub extra_files: &'a BTreeMap<usize, Vec<String>>,
}

/// One package's usage.
#[derive(Debug, Clone, Serialize)]
pub struct PackageUsage {
    /// Index into the inventory's packages.
    #[serde(skip)]
    pub index: usize,
    /// Used, required or unused.
    pub state: State,
    /// Files of the package the trace accessed.
    pub files_accessed: usize,
    /// For `required`: the used or essential package that needs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_by: Option<String>,
}

/// Every package's usage, and what the trace touched outside any package.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Classification {
    /// One entry per inventory package, in inventory order.
    pub packages: Vec<PackageUsage>,
    /// Accessed paths that are regular files of the image.
    pub files_in_image: usize,
    /// Accessed regular files that no package owns (the application's own, or generated).
    pub unowned_files: usize,
    /// Programs run, and the package each belongs to.
    pub executed: Vec<(String, Option<String>)>,
}

/// Where a language package lives when it has no file list: a folder it owns, or one file.
fn roots(p: &Package) -> Vec<String> {
    let Some(location) = p.locations.first() else {
        return Vec::new();
    };
    let outer = location.split('!').next().unwrap_or(location);
    let dir = outer.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    match p.ecosystem {
        PackageType::Pypi => {
            // `site/requests-2.25.1.dist-info` (or its `METADATA`): the metadata folder, and the
            // import package and module its normalised name gives.
            let meta = python_metadata_dir(outer);
            let site = meta.rsplit_once('/').map(|(s, _)| s).unwrap_or("");
            let module = p.name.to_lowercase().replace(['-', '.'], "_");
            vec![
                format!("{meta}/"),
                format!("{site}/{module}/"),
                format!("{site}/{module}.py"),
            ]
        }
        PackageType::Npm => vec![format!("{dir}/")],
        PackageType::Gem => {
            // `…/specifications/rake-13.0.6.gemspec` → `…/gems/rake-13.0.6/`.
            let base = dir.rsplit_once('/').map(|(b, _)| b).unwrap_or("");
            vec![
                format!("{base}/gems/{}-{}/", p.name, p.version),
                outer.to_string(),
            ]
        }
        _ => p
            .locations
            .iter()
            .map(|l| l.split('!').next().unwrap_or(l).to_string())
            .collect(),
    }
}

/// The `.dist-info`/`.egg-info` folder of a Python package's location (the folder itself, or
/// a file in it).
pub fn python_metadata_dir(location: &str) -> &str {
    if location.ends_with(".dist-info") || location.ends_with(".egg-info") {
        location
    } else {
        location.rsplit_once('/').map(|(d, _)| d).unwrap_or(location)
    }
}

fn key(p: &Package) -> String {
    format!("{} {}", p.name, p.version)
}

/// Maps the trace onto the inventory.
pub fn classify(image: &ImageFiles, access: &Access) -> Classification {
    let canon = |path: &str| drydock_source::ImagePath::new(&(image.resolve)(path)).absolute();
    // Exact files, and folder prefixes for packages known by where they live.
    let mut files: HashMap<String, Vec<usize>> = HashMap::new();
    let mut prefixes: Vec<(String, usize)> = Vec::new();
    for (i, p) in image.packages.iter().enumerate() {
        let listed = image.extra_files.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        if !p.files.is_empty() || !listed.is_empty() {
            for f in p.files.iter().chain(listed) {
                files.entry(canon(f)).or_default().push(i);
            }
        }
        if p.files.is_empty() {
            for root in roots(p) {
                if root.ends_with('/') {
                    prefixes.push((canon(root.trim_end_matches('/')) + "/", i));
                } else {
                    files.entry(canon(&root)).or_default().push(i);
                }
            }
        }
    }
    prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let owners = |real: &str| -> Vec<usize> {
        if let Some(o) = files.get(real) {
            return o.clone();
        }
        prefixes
            .iter()
            .find(|(prefix, _)| real.starts_with(prefix.as_str()))
            .map(|(_, i)| vec![*i])
            .unwrap_or_default()
    };

    let mut accessed: BTreeMap<usize, usize> = BTreeMap::new();
    let mut unowned = 0;
    let mut files_in_image = 0;
    let mut seen = BTreeSet::new();
    for path in &access.paths {
        let real = canon(path);
        if !seen.insert(real.clone()) || !(image.is_file)(drydock_source::ImagePath::new(&real).relative()) {
            continue;
        }
        files_in_image += 1;
        let o = owners(&real);
        if o.is_empty() {
            unowned += 1;
        }
        for i in o {
            *accessed.entry(i).or_default() += 1;
        }
    }
    let executed = access
        .executed
        .iter()
        .map(|e| {
            let owner = owners(&canon(e)).first().map(|i| key(&image.packages[*i]));
            (e.clone(), owner)
        })
        .collect();

    // Dependencies close over the used and the essential: what they need stays.
    let mut by_name: HashMap<(PackageType, &str), Vec<usize>> = HashMap::new();
    for (i, p) in image.packages.iter().enumerate() {
        by_name.entry((p.ecosystem, p.name.as_str())).or_default().push(i);
    }
    let mut state: Vec<State> = vec![State::Unused; image.packages.len()];
    let mut required_by: Vec<Option<String>> = vec![None; image.packages.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (i, p) in image.packages.iter().enumerate() {
        if accessed.contains_key(&i) {
            state[i] = State::Used;
            queue.push_back(i);
        } else if p.essential {
            state[i] = State::Required;
            required_by[i] = Some("essential".into());
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        let p = &image.packages[i];
        for dep in &p.depends {
            for &j in by_name.get(&(p.ecosystem, dep.as_str())).into_iter().flatten() {
                if state[j] == State::Unused {
                    state[j] = State::Required;
                    required_by[j] = Some(p.name.clone());
                    queue.push_back(j);
                }
            }
        }
    }
    // A language package an OS package installed goes with it.
    for (i, p) in image.packages.iter().enumerate() {
        let Some(owner) = &p.owner else { continue };
        let owner_name = owner.split_once(':').map(|(_, n)| n).unwrap_or(owner);
        if state[i] == State::Unused
            && image
                .packages
                .iter()
                .enumerate()
                .any(|(j, q)| q.name == owner_name && q.ecosystem != p.ecosystem && state[j] != State::Unused)
        {
            state[i] = State::Required;
            required_by[i] = Some(owner.clone());
        }
    }
    Classification {
        packages: (0..image.packages.len())
            .map(|i| PackageUsage {
                index: i,
                state: state[i],
                files_accessed: accessed.get(&i).copied().unwrap_or(0),
                required_by: required_by[i].clone(),
            })
            .collect(),
        files_in_image,
        unowned_files: unowned,
        executed,
    }
}

/// The commands that remove `packages`, one per package manager, in a fixed order.
pub fn removal(packages: &[&Package]) -> Vec<String> {
    let mut by: BTreeMap<u8, Vec<&str>> = BTreeMap::new();
    for p in packages {
        if p.owner.is_some() {
            continue;
        }
        let rank = match p.ecosystem {
            PackageType::Deb => 0,
            PackageType::Apk => 1,
            PackageType::Rpm => 2,
            PackageType::Pypi => 3,
            PackageType::Npm => 4,
            _ => continue,
        };
        by.entry(rank).or_default().push(&p.name);
    }
    by.into_iter()
        .map(|(rank, mut names)| {
            names.sort();
            names.dedup();
            let list = names.join(" ");
            match rank {
                0 => format!("apt-get purge -y --auto-remove {list}"),
                1 => format!("apk del {list}"),
                2 => format!("dnf remove -y {list}"),
                3 => format!("pip uninstall -y {list}"),
                _ => format!("npm uninstall {list}"),
            }
        })
        .collect()
}

/// `RECORD` lines (`path,hash,size`, paths relative to the folder holding `.dist-info`) as
/// absolute paths.
pub fn record_files(dist_info: &str, record: &str) -> Vec<String> {
    let site = dist_info
        .trim_end_matches('/')
        .rsplit_once('/')
        .map(|(s, _)| s)
        .unwrap_or("");
    record
        .lines()
        .filter_map(|l| {
            let path = if let Some(rest) = l.strip_prefix('"') {
                rest.split_once('"')?.0
            } else {
                l.split(',').next()?
            };
            (!path.is_empty()).then(|| {
                if path.starts_with('/') {
                    path.to_string()
                } else {
                    access::lexical(&format!("{site}/{path}"))
                }
            })
        })
        .collect()
}
