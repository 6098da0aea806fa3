//! The merged view of all layers: which path exists in the final image, which layer last wrote
//! it, and every revision of the files detectors asked for.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::layer::{Entry, Fingerprint, LayerScan, NodeKind, fingerprint};
use crate::wants::Pattern;

/// One path of the merged image.
#[derive(Debug, Clone)]
pub struct Node {
    /// Index of the last layer that wrote this path.
    pub layer: usize,
    /// What it is.
    pub kind: NodeKind,
}

/// One layer's version of a kept file; `data: None` means the layer deleted or replaced it.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The layer.
    pub layer: usize,
    /// The file's bytes in that layer.
    pub data: Option<Arc<[u8]>>,
}

/// The merged image: every path's final state, the kept files' revisions, the probes' results.
#[derive(Debug, Default)]
pub struct Filesystem {
    nodes: BTreeMap<String, Node>,
    kept: HashMap<String, Vec<Revision>>,
    probes: HashMap<String, (usize, Arc<[u8]>)>,
    layer_count: usize,
    listings: Vec<LayerListing>,
    /// Entries written through a symlink an earlier layer made (`evil/status` with
    /// `evil -> /var/lib/dpkg`): (layer, path in the tar, real path).
    redirected: Vec<(usize, String, String)>,
    skipped: Vec<crate::wants::Skipped>,
    /// The fingerprints of each layer's unrecorded files, until the wanted files reached
    /// through symlinks have been found ([`Filesystem::unread_wanted`]).
    unrecorded: Vec<(usize, Vec<Fingerprint>)>,
    /// What the read left of its pool ([`crate::Pool`]), for what is built from the files.
    pool_left: Option<u64>,
}

/// One layer's own changes as its tar lists them, kept when [`crate::Wants::listings`] asks:
/// audits look at what every layer shipped, including what later layers hid.
#[derive(Debug, Clone, Default)]
pub struct LayerListing {
    /// The layer's index.
    pub index: usize,
    /// Uncompressed tar size.
    pub size: u64,
    /// Its tar entries, in order.
    pub entries: Vec<Entry>,
    /// Paths the layer's whiteouts delete, and folders its opaque markers empty.
    pub whiteouts: Vec<String>,
    /// Folders its opaque markers empty.
    pub opaque: Vec<String>,
    /// The content probe's result per file, for this layer's files.
    pub content: Vec<(String, Arc<[u8]>)>,
}

const MAX_LINK_HOPS: usize = 40;

/// Fingerprints of the recorded paths and their folders, computed once for the whole merge.
#[derive(Default)]
struct Prints(HashMap<String, Fingerprint>);

impl Prints {
    fn of(&mut self, path: &str) -> Fingerprint {
        if let Some(print) = self.0.get(path) {
            return *print;
        }
        let print = fingerprint(path);
        self.0.insert(path.to_string(), print);
        print
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Filesystem {
    /// What the read left of the scan's pool, in bytes: what the packages listed from the
    /// files may take. `None` when the read had no pool (a filesystem built by hand).
    pub fn pool_left(&self) -> Option<u64> {
        self.pool_left
    }

    pub(crate) fn set_pool_left(&mut self, left: u64) {
        self.pool_left = Some(left);
    }

    /// Applies layers in order: first the layer's whiteouts and opaque markers (they hide what
    /// lower layers put there), then its entries.
    pub fn merge(layers: Vec<LayerScan>) -> Self {
        Filesystem::merge_keeping(layers, false)
    }

    /// [`Filesystem::merge`], keeping each layer's listing when `listings` is set.
    pub fn merge_keeping(layers: Vec<LayerScan>, listings: bool) -> Self {
        let mut fs = Filesystem {
            layer_count: layers.len(),
            ..Default::default()
        };
        let mut prints = Prints::default();
        for mut layer in layers {
            let index = layer.index;
            for mut s in std::mem::take(&mut layer.skipped) {
                // The layer index is not part of a cached layer's record.
                s.layer = index;
                fs.skipped.push(s);
            }
            if listings {
                fs.listings.push(LayerListing {
                    index,
                    size: layer.size,
                    entries: layer.entries.clone(),
                    whiteouts: layer.whiteouts.clone(),
                    opaque: layer.opaque.clone(),
                    content: std::mem::take(&mut layer.content),
                });
            }
            // Runtimes apply a layer inside the root, following the symlinks the layers below
            // made: a path under such a link lands where the link points.
            for dir in &layer.opaque {
                let real = fs.real_entry_path(dir);
                fs.remove_under(&real, index);
            }
            for path in &layer.whiteouts {
                let real = fs.real_entry_path(path);
                fs.remove_under(&real, index);
                fs.remove_exact(&real, index);
            }
            if !layer.unrecorded.is_empty() || !layer.unrecorded_dirs.is_empty() {
                fs.apply_unrecorded(&layer.unrecorded, &layer.unrecorded_dirs, index, &mut prints);
                fs.unrecorded.push((index, std::mem::take(&mut layer.unrecorded)));
            }
            // Sorted for look-ups rather than mapped: a map of a hundred thousand kept files
            // costs megabytes. The sort is stable, so a path the tar repeats finds its last copy.
            layer.kept.sort_by(|a, b| a.0.cmp(&b.0));
            layer.probed.sort_by(|a, b| a.0.cmp(&b.0));
            let last = |list: &'_ [(String, Arc<[u8]>)], path: &str| -> Option<Arc<[u8]>> {
                let end = list.partition_point(|(p, _)| p.as_str() <= path);
                end.checked_sub(1)
                    .map(|i| &list[i])
                    .filter(|(p, _)| p == path)
                    .map(|(_, d)| d.clone())
            };
            // Entries come grouped by folder: the last folder's resolution serves its files. An
            // entry is only re-allocated when it does land elsewhere.
            let mut memo: Option<(String, Option<String>)> = None;
            for mut entry in layer.entries {
                let redirect = entry.path.rsplit_once('/').and_then(|(parent, name)| {
                    let real_parent = match &memo {
                        Some((p, real)) if p == parent => real.clone(),
                        _ => {
                            let real = fs.real_parent(parent);
                            memo = Some((parent.to_string(), real.clone()));
                            real
                        }
                    };
                    real_parent.map(|rp| join(&rp, name))
                });
                if !matches!(entry.kind, NodeKind::File { .. }) {
                    memo = None;
                }
                let literal = redirect.map(|real| {
                    let literal = std::mem::replace(&mut entry.path, real);
                    fs.redirected.push((index, literal.clone(), entry.path.clone()));
                    literal
                });
                // Kept files and probes are recorded under the path the tar gave.
                let entry_path = literal.as_deref().unwrap_or(&entry.path);
                match last(&layer.probed, entry_path) {
                    Some(summary) => {
                        fs.probes.insert(entry.path.clone(), (index, summary));
                    }
                    None => {
                        fs.probes.remove(&entry.path);
                    }
                }
                if entry.kind != NodeKind::Dir {
                    fs.remove_under(&entry.path, index);
                }
                match last(&layer.kept, entry_path) {
                    // Most kept files have one revision: a list sized for one, not four.
                    Some(data) => fs
                        .kept
                        .entry(entry.path.clone())
                        .or_insert_with(|| Vec::with_capacity(1))
                        .push(Revision {
                            layer: index,
                            data: Some(data),
                        }),
                    None => {
                        if let Some(revs) = fs.kept.get_mut(&entry.path)
                            && revs.last().is_some_and(|r| r.data.is_some())
                        {
                            revs.push(Revision {
                                layer: index,
                                data: None,
                            });
                        }
                    }
                }
                fs.nodes.insert(
                    entry.path,
                    Node {
                        layer: index,
                        kind: entry.kind,
                    },
                );
            }
        }
        fs
    }

    /// What a compact scan's unrecorded entries do to the paths lower layers left: a folder
    /// replaces a symlink or file at its path; anything else replaces what is at its path and
    /// everything under it. An entry is known only by its fingerprint, so each recorded path is
    /// checked the other way round: its own path and its folders, also as written through a
    /// symlink to one of those folders (`lib/x` for `usr/lib/x` under `lib -> usr/lib`).
    fn apply_unrecorded(
        &mut self,
        others: &[Fingerprint],
        dirs: &[Fingerprint],
        layer: usize,
        prints: &mut Prints,
    ) {
        let hit = |set: &[Fingerprint], print: &Fingerprint| set.binary_search(print).is_ok();
        let aliases = self.folder_aliases();
        let mut doomed = Vec::new();
        for (path, node) in &self.nodes {
            let own = prints.of(path);
            if hit(others, &own) || (node.kind != NodeKind::Dir && hit(dirs, &own)) {
                doomed.push(path.clone());
                continue;
            }
            let replaced = path.match_indices('/').any(|(i, _)| {
                let folder = &path[..i];
                if hit(others, &prints.of(folder)) {
                    return true;
                }
                // Written through a link to this folder: the link's own path, then each
                // component below the folder, down to the path itself.
                aliases.get(folder).is_some_and(|links| {
                    links.iter().any(|link| {
                        let rest = &path[i..];
                        rest.match_indices('/')
                            .skip(1)
                            .map(|(j, _)| &rest[..j])
                            .chain(std::iter::once(rest))
                            .any(|tail| {
                                let literal = format!("{link}{tail}");
                                let print = fingerprint(&literal);
                                hit(others, &print)
                                    || (tail == rest && node.kind != NodeKind::Dir && hit(dirs, &print))
                            })
                    })
                })
            });
            if replaced {
                doomed.push(path.clone());
            }
        }
        for path in doomed {
            self.probes.remove(&path);
            self.nodes.remove(&path);
            self.mark_deleted(&path, layer);
        }
    }

    /// Every symlink by where it resolves to. Only folders are ever looked up: a link to a
    /// file (or to nothing) is in the map but never asked for.
    fn folder_aliases(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (path, node) in &self.nodes {
            if matches!(node.kind, NodeKind::Symlink(_)) {
                out.entry(self.resolve(path)).or_default().push(path.clone());
            }
        }
        out
    }

    /// Where an entry of a layer lands: its folder resolved through the symlinks already in
    /// place (only the folder: the entry itself replaces whatever is at its name).
    fn real_entry_path(&self, path: &str) -> String {
        match path.rsplit_once('/') {
            Some((parent, name)) => self
                .real_parent(parent)
                .map_or_else(|| path.to_string(), |rp| join(&rp, name)),
            None => path.to_string(),
        }
    }

    /// The real folder behind `parent` when a symlink leads elsewhere, `None` when it is itself.
    fn real_parent(&self, parent: &str) -> Option<String> {
        if matches!(
            self.nodes.get(parent),
            Some(Node {
                kind: NodeKind::Dir,
                ..
            })
        ) {
            return None;
        }
        let real = self.resolve(parent);
        (real != parent).then_some(real)
    }

    /// Wanted files whose bytes the layer pass could not know it wanted: an entry written
    /// through an earlier layer's symlink onto a wanted path, or a wanted path that is a
    /// symlink to a file of another name. Each is (layer, path in that layer's tar, real path).
    pub fn unread_wanted(&self, wants: &crate::Wants) -> Vec<(usize, String, String)> {
        let mut out = Vec::new();
        for (layer, literal, real) in &self.redirected {
            let Some(Node {
                kind: NodeKind::File { size, .. },
                layer: at,
            }) = self.nodes.get(real)
            else {
                continue;
            };
            if *at == *layer && wants.keeps(real, *size) && self.data_at(real, *layer).is_none() {
                out.push((*layer, literal.clone(), real.clone()));
            }
        }
        let mut aliases: Option<HashMap<String, Vec<String>>> = None;
        for (path, node) in &self.nodes {
            if !matches!(node.kind, NodeKind::Symlink(_)) || !wants.keeps(path, 0) {
                continue;
            }
            let real = self.resolve(path);
            let (size, layer, literal) = match self.nodes.get(&real) {
                Some(Node {
                    kind: NodeKind::File { size, .. },
                    layer,
                }) => (*size, *layer, None),
                // A compact scan may not have recorded the target (`status -> status.real`):
                // the last layer whose unrecorded files include it wrote it, under its own
                // path or through a link to its folder.
                None => {
                    let aliases = aliases.get_or_insert_with(|| self.folder_aliases());
                    let mut candidates = vec![real.clone()];
                    if let Some((folder, name)) = real.rsplit_once('/') {
                        for link in aliases.get(folder).into_iter().flatten() {
                            candidates.push(format!("{link}/{name}"));
                        }
                    }
                    let prints: Vec<Fingerprint> = candidates.iter().map(|c| fingerprint(c)).collect();
                    let found = self.unrecorded.iter().rev().find_map(|(layer, unrecorded)| {
                        prints
                            .iter()
                            .position(|p| unrecorded.binary_search(p).is_ok())
                            .map(|i| (*layer, i))
                    });
                    match found {
                        Some((layer, i)) => (0, layer, Some(candidates.swap_remove(i))),
                        None => continue,
                    }
                }
                Some(_) => continue,
            };
            if size <= wants.max_file_size && self.data_at(&real, layer).is_none() {
                let literal = literal.unwrap_or_else(|| {
                    self.redirected
                        .iter()
                        .find(|(l, _, r)| *l == layer && *r == real)
                        .map_or_else(|| real.clone(), |(_, lit, _)| lit.clone())
                });
                out.push((layer, literal, real));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn data_at(&self, path: &str, layer: usize) -> Option<&Arc<[u8]>> {
        self.kept
            .get(path)?
            .iter()
            .find(|r| r.layer == layer)
            .and_then(|r| r.data.as_ref())
    }

    /// Records a wanted file that could not be read after all.
    pub(crate) fn note_skipped(&mut self, skipped: crate::wants::Skipped) {
        self.skipped.push(skipped);
    }

    /// Forgets the unrecorded files' fingerprints once the wanted files are all read.
    pub(crate) fn forget_unrecorded(&mut self) {
        self.unrecorded = Vec::new();
    }

    /// Gives a file the bytes a second read of its layer found, and the node that read met
    /// when a compact scan had not recorded it.
    pub(crate) fn supply_read(&mut self, path: &str, layer: usize, data: Arc<[u8]>, kind: NodeKind) {
        self.nodes.entry(path.to_string()).or_insert(Node { layer, kind });
        self.supply(path, layer, data);
    }

    /// Gives a file the bytes a second read of its layer found.
    pub fn supply(&mut self, path: &str, layer: usize, data: Arc<[u8]>) {
        let revs = self.kept.entry(path.to_string()).or_default();
        match revs.iter_mut().find(|r| r.layer == layer) {
            Some(r) => r.data = Some(data),
            None => {
                let at = revs.partition_point(|r| r.layer < layer);
                revs.insert(
                    at,
                    Revision {
                        layer,
                        data: Some(data),
                    },
                );
            }
        }
    }

    fn remove_exact(&mut self, path: &str, layer: usize) {
        self.probes.remove(path);
        if self.nodes.remove(path).is_some() {
            self.mark_deleted(path, layer);
        }
    }

    fn remove_under(&mut self, dir: &str, layer: usize) {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for path in doomed {
            self.probes.remove(&path);
            self.nodes.remove(&path);
            self.mark_deleted(&path, layer);
        }
    }

    fn mark_deleted(&mut self, path: &str, layer: usize) {
        if let Some(revs) = self.kept.get_mut(path)
            && revs.last().is_some_and(|r| r.data.is_some())
        {
            revs.push(Revision { layer, data: None });
        }
    }

    /// Wanted files the layer pass did not keep that the final image still shows: too large
    /// for their kind, or past the scan's budget.
    pub fn skipped(&self) -> Vec<&crate::wants::Skipped> {
        self.skipped
            .iter()
            .filter(|s| {
                let real = self.resolve(&s.path);
                self.nodes.get(&real).is_some_and(|n| n.layer == s.layer)
                    && self.data_at(&real, s.layer).is_none()
            })
            .collect()
    }

    /// Each layer's own listing, oldest first (empty unless the scan asked to keep them).
    pub fn listings(&self) -> &[LayerListing] {
        &self.listings
    }

    /// Probe summaries of the ELF files present in the final image: (path, layer, summary).
    pub fn probes(&self) -> impl Iterator<Item = (&str, usize, &[u8])> {
        self.probes.iter().map(|(p, (l, s))| (p.as_str(), *l, &**s))
    }

    /// How many layers were merged.
    pub fn layer_count(&self) -> usize {
        self.layer_count
    }

    /// The final state of `path` (relative), if it exists.
    pub fn node(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Every path of the final image, in path order.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Follows symlinks in every component, as the kernel would inside a chroot: `..` at the
    /// root stays at the root, so nothing resolves outside the image.
    pub fn resolve(&self, path: &str) -> String {
        // Components still to walk, next one last; the resolved prefix, with where each of its
        // components starts so `..` and a symlink can take one back.
        let mut todo: Vec<&str> = path.split('/').rev().collect();
        let mut current = String::with_capacity(path.len());
        let mut starts: Vec<usize> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop() {
            match part {
                "" | "." => continue,
                ".." => {
                    if let Some(start) = starts.pop() {
                        current.truncate(start);
                    }
                    continue;
                }
                _ => {}
            }
            let start = current.len();
            if !current.is_empty() {
                current.push('/');
            }
            current.push_str(part);
            starts.push(start);
            if let Some(Node {
                kind: NodeKind::Symlink(target),
                ..
            }) = self.nodes.get(&current)
            {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    break;
                }
                current.truncate(start);
                starts.pop();
                if target.starts_with('/') {
                    current.clear();
                    starts.clear();
                }
                todo.extend(target.split('/').rev());
            }
        }
        current
    }

    /// The final content of a kept file (after following symlinks).
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let real = self.resolve(path);
        self.nodes.get(&real)?;
        self.kept.get(&real)?.last()?.data.as_deref()
    }

    /// Every layer's version of a kept file, oldest first.
    pub fn history(&self, path: &str) -> &[Revision] {
        self.kept.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Regular files matching any of the patterns, as real paths, sorted and each once: a
    /// database reachable through several paths (`var/lib/rpm` → `usr/lib/sysimage/rpm`,
    /// `lib` → `usr/lib`) is read once.
    pub fn glob_any(&self, patterns: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = patterns
            .iter()
            .flat_map(|p| self.glob(&Pattern::new(p)))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Regular files in the final image matching the pattern, as real paths, sorted.
    pub fn glob(&self, pattern: &Pattern) -> Vec<String> {
        let mut out = Vec::new();
        match pattern.literal_dir().filter(|_| !pattern.has_globstar()) {
            Some((dir, last)) => {
                let real_dir = self.resolve(&dir);
                let prefix = if real_dir.is_empty() {
                    String::new()
                } else {
                    format!("{real_dir}/")
                };
                for (path, _) in self
                    .nodes
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                {
                    let rest = &path[prefix.len()..];
                    if rest.contains('/') || !crate::wants::component_matches(last, rest) {
                        continue;
                    }
                    let real = self.resolve(path);
                    if matches!(
                        self.nodes.get(&real),
                        Some(Node {
                            kind: NodeKind::File { .. },
                            ..
                        })
                    ) {
                        out.push(real);
                    }
                }
            }
            None => {
                for (path, node) in &self.nodes {
                    if matches!(node.kind, NodeKind::File { .. })
                        && pattern.matches_tail(path)
                        && pattern.matches(path)
                    {
                        out.push(path.clone());
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}
