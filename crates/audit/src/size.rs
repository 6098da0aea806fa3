//! Wasted bytes, as dive computes them, and what each layer ships that nobody can see.
//!
//! dive builds one tree per layer from its tar (whiteouts become nodes at the path they delete,
//! opaque markers are left out) and visits the *leaves* of each tree in layer order. Per path it
//! adds up a size — the entry's tar size, or for a whiteout of a directory the size of
//! everything under that directory in the layers below (a whiteout of a file adds nothing) — and
//! remembers the smallest. Then:
//!
//! * efficiency = Σ smallest size per path ÷ Σ cumulative size per path (1 when nothing);
//! * wasted bytes = Σ cumulative size of the paths met in two or more layers;
//! * user wasted percent = wasted bytes ÷ the summed sizes of every layer but the first, a
//!   layer's size being the sum of its entries' tar sizes.
//!
//! `reclaimable_bytes` is drydock's own: per layer, the bytes of its files that the final image
//! does not show (a later layer deleted or replaced them), though every pull still downloads
//! them.

use std::collections::{BTreeMap, HashMap, HashSet};

use drydock_source::{Filesystem, ImagePath, LayerListing, NodeKind};
use serde::{Deserialize, Serialize};

/// dive's figures for an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeReport {
    /// dive's efficiency: 1 when no layer hides bytes another wrote.
    pub efficiency: f64,
    /// Bytes written and then hidden or replaced by a later layer.
    pub wasted_bytes: u64,
    /// `None` for a single-layer image (dive prints NaN).
    pub user_wasted_percent: Option<f64>,
    /// Sum of every layer's entry sizes.
    pub total_bytes: u64,
    /// Per layer.
    pub layers: Vec<LayerSize>,
    /// Paths met in two or more layers, largest cumulative size first.
    pub inefficient: Vec<Inefficiency>,
}

/// One layer's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSize {
    /// The layer's index.
    pub index: usize,
    /// Sum of the layer's entry sizes.
    pub bytes: u64,
    /// Bytes of this layer's files the final image does not show.
    pub reclaimable_bytes: u64,
}

/// A path several layers wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inefficiency {
    /// The path.
    pub path: String,
    /// How many layers hold it.
    pub count: usize,
    /// Its bytes summed over those layers.
    pub cumulative_bytes: u64,
}

/// The size a tar header gives an entry: hard links, links and folders carry none.
fn tar_size(kind: &NodeKind, hardlink: bool) -> u64 {
    match kind {
        NodeKind::File { size, .. } if !hardlink => *size,
        _ => 0,
    }
}

struct PathData {
    cumulative: u64,
    smallest: u64,
    count: usize,
}

/// The figures, from each layer's listing.
pub fn analyze(fs: &Filesystem) -> SizeReport {
    let listings = fs.listings();
    let mut per_path: HashMap<String, PathData> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    // The stacked tree of the layers seen so far: path → size.
    let mut stacked: BTreeMap<String, u64> = BTreeMap::new();
    let mut layers = Vec::new();
    for listing in listings {
        let mut bytes = 0;
        for (path, size) in leaves(listing, &stacked) {
            let d = per_path.entry(path.clone()).or_insert_with(|| {
                order.push(path.clone());
                PathData {
                    cumulative: 0,
                    smallest: u64::MAX,
                    count: 0,
                }
            });
            d.cumulative += size;
            d.smallest = d.smallest.min(size);
            d.count += 1;
        }
        for w in &listing.whiteouts {
            remove_tree(&mut stacked, w);
        }
        for e in &listing.entries {
            let size = tar_size(&e.kind, e.hardlink);
            bytes += size;
            stacked.insert(e.path.clone(), size);
        }
        layers.push(LayerSize {
            index: listing.index,
            bytes,
            reclaimable_bytes: reclaimable(fs, listing),
        });
    }
    let (mut smallest, mut cumulative, mut wasted) = (0u64, 0u64, 0u64);
    let mut inefficient = Vec::new();
    for path in order {
        let d = &per_path[&path];
        smallest += d.smallest;
        cumulative += d.cumulative;
        if d.count >= 2 {
            wasted += d.cumulative;
            inefficient.push(Inefficiency {
                path: ImagePath::new(&path).absolute(),
                count: d.count,
                cumulative_bytes: d.cumulative,
            });
        }
    }
    inefficient.sort_by(|a, b| {
        b.cumulative_bytes
            .cmp(&a.cumulative_bytes)
            .then(a.path.cmp(&b.path))
    });
    let user_bytes: u64 = layers.iter().skip(1).map(|l| l.bytes).sum();
    SizeReport {
        efficiency: if cumulative == 0 {
            1.0
        } else {
            smallest as f64 / cumulative as f64
        },
        wasted_bytes: wasted,
        user_wasted_percent: (user_bytes > 0).then(|| wasted as f64 / user_bytes as f64),
        total_bytes: layers.iter().map(|l| l.bytes).sum(),
        layers,
        inefficient,
    }
}

/// The leaves of one layer's tree with the size each adds: entries and whiteouts no other path
/// of the layer lies under.
fn leaves(listing: &LayerListing, stacked: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut parents: HashSet<&str> = HashSet::new();
    let all = listing
        .entries
        .iter()
        .map(|e| e.path.as_str())
        .chain(listing.whiteouts.iter().map(String::as_str));
    for path in all {
        let mut p = path;
        while let Some((parent, _)) = p.rsplit_once('/') {
            if !parents.insert(parent) {
                break;
            }
            p = parent;
        }
    }
    let mut out = Vec::new();
    for e in &listing.entries {
        if !parents.contains(e.path.as_str()) {
            out.push((e.path.clone(), tar_size(&e.kind, e.hardlink)));
        }
    }
    for w in &listing.whiteouts {
        if parents.contains(w.as_str()) {
            continue;
        }
        // A deleted folder weighs what was under it; a deleted file weighs nothing.
        let prefix = format!("{w}/");
        let under: u64 = stacked
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, s)| s)
            .sum();
        out.push((w.clone(), under));
    }
    out
}

fn remove_tree(stacked: &mut BTreeMap<String, u64>, path: &str) {
    stacked.remove(path);
    let prefix = format!("{path}/");
    let doomed: Vec<String> = stacked
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        stacked.remove(&k);
    }
}

/// Bytes of the layer's regular files that the final image shows from another layer or not at
/// all.
fn reclaimable(fs: &Filesystem, listing: &LayerListing) -> u64 {
    listing
        .entries
        .iter()
        .filter(|e| !e.hardlink)
        .filter_map(|e| match e.kind {
            NodeKind::File { size, .. } => Some((e, size)),
            _ => None,
        })
        .filter(|(e, _)| fs.node(&e.path).is_none_or(|n| n.layer != listing.index))
        .map(|(_, size)| size)
        .sum()
}
