//! A plain root filesystem on disk, read as a single layer. Symlinks are recorded, never
//! followed while walking, so the walk cannot leave the directory.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::layer::{Entry, LayerScan, NodeKind};
use crate::wants::Wants;

/// Kernel pseudo-filesystems, skipped when a live root (`dir:/`) is scanned.
const SKIP_AT_ROOT: &[&str] = &["proc", "sys", "dev"];

/// The tree as one layer, and what the read left of its pool.
pub(crate) fn scan(root: &Path, wants: &Wants) -> Result<(LayerScan, u64)> {
    let mut scan = LayerScan::default();
    let mut stack = vec![String::new()];
    let mut probed: HashSet<String> = HashSet::new();
    let mut seen_dirs = HashSet::new();
    // One layer: nothing below for an unrecorded entry to replace, so a compact scan simply
    // leaves it out.
    let compact = !wants.records_all();
    let mut visited: u64 = 0;
    let pool = crate::Pool::new(wants.budget);
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        let read = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut names: Vec<_> = read.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name().to_string_lossy().into_owned();
            if rel.is_empty() && SKIP_AT_ROOT.contains(&name.as_str()) {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let full = entry.path();
            let meta = fs::symlink_metadata(&full).map_err(|e| Error::io(&full, e))?;
            let ft = meta.file_type();
            let kind = if ft.is_symlink() {
                let target = fs::read_link(&full).map_err(|e| Error::io(&full, e))?;
                NodeKind::Symlink(target.to_string_lossy().into_owned())
            } else if ft.is_dir() {
                use std::os::unix::fs::MetadataExt;
                if seen_dirs.insert((meta.dev(), meta.ino())) {
                    stack.push(path.clone());
                }
                NodeKind::Dir
            } else if ft.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let size = meta.len();
                let decision = wants.decide(&path, size);
                if let crate::wants::Keep::TooLarge { cap, os_database } = decision {
                    scan.skipped.push(crate::wants::Skipped {
                        path: path.clone(),
                        layer: 0,
                        size,
                        why: format!("larger than the {} MiB drydock reads for such a file", cap >> 20),
                        os_database,
                    });
                }
                if decision == crate::wants::Keep::Yes
                    && !pool.take_optional(crate::pool::file_cost(&path, size))
                {
                    scan.skipped.push(crate::wants::Skipped {
                        path: path.clone(),
                        layer: 0,
                        size,
                        why: crate::layer::budget_spent(wants.budget),
                        os_database: wants.wanted(&path).is_some_and(|(_, os)| os),
                    });
                } else if decision == crate::wants::Keep::Yes {
                    let data = fs::read(&full).map_err(|e| Error::io(&full, e))?;
                    scan.size += data.len() as u64;
                    scan.kept.push((path.clone(), Arc::from(data)));
                } else if size > 0 && (wants.probe.is_some() || wants.content_probe.is_some()) {
                    use std::io::Read;
                    let mut file = fs::File::open(&full).map_err(|e| Error::io(&full, e))?;
                    let mut head = [0u8; 4];
                    let n = size.min(4) as usize;
                    file.read_exact(&mut head[..n]).map_err(|e| Error::io(&full, e))?;
                    let head = &head[..n];
                    let mut stream = std::io::Cursor::new(head).chain(std::io::BufReader::new(file));
                    if let Some(probe) = wants.probe.as_ref().filter(|p| p.accepts(&path, size, head)) {
                        let summary = probe
                            .probe(&path, size, &mut stream, &pool)
                            .map_err(|e| Error::io(&full, e))?;
                        scan.size += size;
                        if compact && !pool.take(summary.len() as u64) {
                            return Err(Error::Usage(format!(
                                "{}: {}",
                                root.display(),
                                crate::layer::records_past_the_pool(wants.budget)
                            )));
                        }
                        scan.probed.push((path.clone(), Arc::from(summary)));
                        probed.insert(path.clone());
                    } else if let Some((_, probe)) = wants
                        .content_probe
                        .as_ref()
                        .filter(|(_, p)| p.accepts(&path, size, head))
                    {
                        let summary = probe
                            .probe(&path, size, &mut stream, &pool)
                            .map_err(|e| Error::io(&full, e))?;
                        scan.size += size;
                        if !summary.is_empty() {
                            scan.content.push((path.clone(), Arc::from(summary)));
                        }
                    }
                }
                NodeKind::File {
                    size,
                    mode: meta.permissions().mode(),
                }
            } else {
                NodeKind::Other
            };
            visited += 1;
            if visited > wants.max_entries {
                return Err(Error::Usage(format!(
                    "{}: {}",
                    root.display(),
                    crate::layer::too_many_entries(wants.max_entries)
                )));
            }
            if compact
                && !matches!(kind, NodeKind::Symlink(_))
                && !wants.names(&path)
                && !probed.contains(&path)
            {
                continue;
            }
            let target = match &kind {
                NodeKind::Symlink(target) => target.as_str(),
                _ => "",
            };
            if compact && !pool.take(crate::pool::record_cost(&path, target)) {
                return Err(Error::Usage(format!(
                    "{}: {}",
                    root.display(),
                    crate::layer::records_past_the_pool(wants.budget)
                )));
            }
            scan.entries.push(Entry {
                path,
                kind,
                hardlink: false,
            });
        }
    }
    Ok((scan, pool.left()))
}
