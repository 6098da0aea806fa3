//! Which layer installed a database entry: the last layer whose copy of the database changed
//! that entry (added it or rewrote it). Package databases are rewritten wholesale by every
//! install, so "the layer that last wrote the file" would blame the last `apt-get install` for
//! every package.

use std::collections::HashMap;
use std::hash::Hash;

use drydock_source::Revision;

/// `parse` turns one revision of a database into entries keyed by package identity; equal
/// values mean the entry did not change.
/// A revision that does not parse counts as empty: only the final revision's errors matter, and
/// the detector reports those itself.
pub(crate) fn entry_layers<K, V>(
    history: &[Revision],
    mut parse: impl FnMut(&[u8]) -> Option<HashMap<K, V>>,
) -> HashMap<K, usize>
where
    K: Eq + Hash + Clone,
    V: PartialEq,
{
    let mut previous: HashMap<K, V> = HashMap::new();
    let mut layers: HashMap<K, usize> = HashMap::new();
    for rev in history {
        let Some(data) = &rev.data else {
            previous.clear();
            layers.clear();
            continue;
        };
        let current = parse(data).unwrap_or_default();
        for (key, value) in &current {
            if previous.get(key) != Some(value) {
                layers.insert(key.clone(), rev.layer);
            }
        }
        layers.retain(|k, _| current.contains_key(k));
        previous = current;
    }
    layers
}

/// The layer that last wrote a file, for per-package files (distroless `status.d`).
pub(crate) fn file_layer(history: &[Revision]) -> Option<usize> {
    history.last().filter(|r| r.data.is_some()).map(|r| r.layer)
}
